import { act, cleanup, render } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamPlayer, type PlayerSnapshot } from '../../../src/index';
import { usePlayerState } from '../../../src/react/index';
import { FakePlayer } from './fake-player';

afterEach(cleanup);

/** Renders usePlayerState(player), counting renders; `shown` is the latest snapshot. */
function renderState(player: Parameters<typeof usePlayerState>[0]) {
  const out = { renders: 0, shown: null as PlayerSnapshot | null };
  function State() {
    out.renders++;
    const snapshot = usePlayerState(player);
    out.shown = snapshot;
    return createElement('p', null, `${snapshot.state} volume ${snapshot.volume} speed ${snapshot.speed}`);
  }
  const view = render(createElement(State));
  return { out, view };
}

describe('usePlayerState', () => {
  it('re-renders when the volume or the speed changes, and not when nothing in the snapshot does', () => {
    const player = new StreamPlayer({ transport: 'message' });
    const { out, view } = renderState(player);
    expect(out.renders).toBe(1);
    expect(view.container.textContent).toBe('new volume 1 speed 1');

    act(() => void (player.volume = 0.5));
    expect(out.renders).toBe(2);
    expect(view.container.textContent).toBe('new volume 0.5 speed 1');

    act(() => void (player.speed = 1.5));
    expect(out.renders).toBe(3);
    expect(view.container.textContent).toBe('new volume 0.5 speed 1.5');

    // The player refreshes its store on each of these, but nothing in the snapshot changes.
    act(() => {
      player.volume = 0.5;
      player.muted = false;
      player.speed = 1.5;
    });
    expect(out.renders).toBe(3);
    expect(out.shown).toBe(player.getSnapshot());

    act(() => void (player.muted = true));
    expect(out.renders).toBe(4);
    expect(out.shown?.muted).toBe(true);
    void player.close();
  });

  it('follows a player it is given later, and unsubscribes from the one it left', () => {
    const fake = new FakePlayer();
    const seen: PlayerSnapshot[] = [];
    function State({ player }: { player: FakePlayer | null }) {
      seen.push(usePlayerState(player));
      return null;
    }
    const view = render(createElement(State, { player: null }));
    expect(seen.at(-1)).toMatchObject({ state: 'new', volume: 1, speed: 1, error: null });
    const none = seen.at(-1);
    view.rerender(createElement(State, { player: null }));
    expect(seen.at(-1)).toBe(none); // one constant, so useSyncExternalStore is satisfied

    view.rerender(createElement(State, { player: fake }));
    expect(seen.at(-1)).toBe(fake.snapshot);
    expect(fake.listeners.size).toBe(1);
    act(() => fake.change({ bufferedMs: 120, playing: true }));
    expect(seen.at(-1)).toMatchObject({ bufferedMs: 120, playing: true });

    view.rerender(createElement(State, { player: null }));
    expect(fake.listeners.size).toBe(0);
    expect(seen.at(-1)).toBe(none);
  });

  it('unsubscribes on unmount', () => {
    const fake = new FakePlayer();
    const { view } = renderState(fake);
    expect(fake.listeners.size).toBe(1);
    view.unmount();
    expect(fake.listeners.size).toBe(0);
  });
});
