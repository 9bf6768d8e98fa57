import { describe, expect, it } from 'vitest';
import { SnapshotStore, type PlayerSnapshot } from '../../../src/player/store';
import { StreamPlayer } from '../../../src/player/stream-player';

const base: PlayerSnapshot = { state: 'new', utteranceId: null, playing: false, paused: false, bufferedMs: 0, volume: 1, muted: false, speed: 1, error: null };

describe('SnapshotStore', () => {
  it('keeps the snapshot identity until a field changes, and tells listeners only then', () => {
    let values = { ...base };
    const store = new SnapshotStore(() => ({ ...values }));
    const first = store.getSnapshot();
    expect(Object.isFrozen(first)).toBe(true);
    let calls = 0;
    const off = store.subscribe(() => calls++);
    store.refresh();
    expect(store.getSnapshot()).toBe(first);
    expect(calls).toBe(0);
    values = { ...values, bufferedMs: 120 };
    store.refresh();
    const second = store.getSnapshot();
    expect(second).not.toBe(first);
    expect(second.bufferedMs).toBe(120);
    expect(calls).toBe(1);
    off();
    values = { ...values, volume: 0.5 };
    store.refresh();
    expect(calls).toBe(1);
  });

  it('a listener that unsubscribes while being told does not stop the others', () => {
    let n = 0;
    const store = new SnapshotStore(() => ({ ...base, bufferedMs: n }));
    const seen: string[] = [];
    const offA = store.subscribe(() => {
      seen.push('a');
      offA();
    });
    store.subscribe(() => seen.push('b'));
    n = 1;
    store.refresh();
    n = 2;
    store.refresh();
    expect(seen).toEqual(['a', 'b', 'b']);
  });
});

describe('StreamPlayer as a store', () => {
  it('subscribe/getSnapshot are bound, and volume, mute, speed and errors make new snapshots', () => {
    const player = new StreamPlayer({ transport: 'message' });
    const { subscribe, getSnapshot } = player; // as useSyncExternalStore receives them
    const first = getSnapshot();
    expect(first).toMatchObject({ state: 'new', utteranceId: null, playing: false, paused: false, volume: 1, muted: false, speed: 1, error: null });
    expect(getSnapshot()).toBe(first);
    let calls = 0;
    const off = subscribe(() => calls++);
    player.volume = 0.5;
    expect(getSnapshot().volume).toBe(0.5);
    player.muted = true;
    player.speed = 1.5;
    expect(getSnapshot()).toMatchObject({ volume: 0.5, muted: true, speed: 1.5 });
    expect(calls).toBe(3);
    player.endUtterance('nobody'); // an error event: unknown-utterance
    expect(getSnapshot().error?.code).toBe('unknown-utterance');
    expect(calls).toBe(4);
    const settled = getSnapshot();
    player.volume = 0.5; // unchanged
    expect(getSnapshot()).toBe(settled);
    off();
  });
});
