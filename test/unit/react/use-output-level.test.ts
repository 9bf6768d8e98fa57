import { act, cleanup, render } from '@testing-library/react';
import { createElement } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OutputLevel } from '../../../src/index';
import { useOutputLevel } from '../../../src/react/index';
import { FakePlayer } from './fake-player';

/** requestAnimationFrame under the test's control: `frame()` runs one animation frame. */
const frames = {
  queue: new Map<number, FrameRequestCallback>(),
  next: 1,
  count: 0,
  frame(): void {
    const due = [...this.queue.values()];
    this.queue.clear();
    this.count++;
    act(() => {
      for (const callback of due) callback(this.count * 16.7);
    });
  },
};

beforeEach(() => {
  frames.queue.clear();
  frames.count = 0;
  vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => {
    const id = frames.next++;
    frames.queue.set(id, callback);
    return id;
  });
  vi.stubGlobal('cancelAnimationFrame', (id: number) => frames.queue.delete(id));
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderLevel(player: FakePlayer | null) {
  const out = { renders: 0, shown: null as OutputLevel | null };
  function Meter({ player }: { player: FakePlayer | null }) {
    out.renders++;
    const level = useOutputLevel(player);
    out.shown = level;
    return createElement('meter', { value: level.rms });
  }
  const view = render(createElement(Meter, { player }));
  return { out, view, Meter };
}

describe('useOutputLevel', () => {
  it('renders at most once per animation frame while the level changes on every worklet report', () => {
    const player = new FakePlayer();
    const { out } = renderLevel(player);
    expect(out.renders).toBe(1);
    // 60 frames with three reports each (a 20 ms report period against a 16.7 ms frame is
    // about one; three makes the point): 180 level changes.
    let reports = 0;
    for (let f = 0; f < 60; f++) {
      for (let r = 0; r < 3; r++) player.report(0.1 + 0.001 * ++reports);
      frames.frame();
    }
    expect(reports).toBe(180);
    expect(out.renders - 1).toBe(60); // one per frame, not one per report
    expect(out.shown).toEqual(player.level); // the latest
    expect(player.levelReads).toBe(60);
  });

  it('does not render in frames where the level stayed the same', () => {
    const player = new FakePlayer();
    const { out } = renderLevel(player);
    for (let f = 0; f < 30; f++) frames.frame(); // silence before anything played
    expect(out.renders).toBe(1);
    player.report(0.25);
    for (let f = 0; f < 30; f++) frames.frame(); // one report, then nothing new
    expect(out.renders).toBe(2);
    expect(out.shown?.rms).toBe(0.25);
    // A report of the same level (same RMS and peak) changes nothing visible: no render.
    player.report(0.25);
    frames.frame();
    expect(out.renders).toBe(2);
  });

  it('is silence for a null player and asks for no frames; stops the loop on unmount', () => {
    const { out, view, Meter } = renderLevel(null);
    expect(out.shown).toMatchObject({ rms: 0, peak: 0, rmsDb: -Infinity, peakDb: -Infinity });
    expect(frames.queue.size).toBe(0);

    const player = new FakePlayer();
    player.report(0.5);
    view.rerender(createElement(Meter, { player }));
    expect(frames.queue.size).toBe(1);
    frames.frame();
    expect(out.shown?.rms).toBe(0.5);

    view.unmount();
    expect(frames.queue.size).toBe(0);
    const reads = player.levelReads;
    frames.frame();
    expect(player.levelReads).toBe(reads);
  });
});
