import { act, cleanup, render } from '@testing-library/react';
import { createElement, StrictMode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamPlayer } from '../../../src/index';
import { useStreamPlayer, type UseStreamPlayerOptions } from '../../../src/react/index';

// Every player the hook makes, counted where it is made: the core's StreamPlayer, as the
// hook imports it, replaced by a subclass that records each instance.
const made = vi.hoisted(() => [] as StreamPlayer[]);
vi.mock('../../../src/index', async (importOriginal) => {
  const core = await importOriginal<typeof import('../../../src/index')>();
  class CountedPlayer extends core.StreamPlayer {
    constructor(...args: ConstructorParameters<typeof core.StreamPlayer>) {
      super(...args);
      made.push(this);
    }
  }
  return { ...core, StreamPlayer: CountedPlayer };
});

afterEach(() => {
  cleanup();
  made.length = 0;
});

/** Renders a component that holds the hook's player; `seen` gets what each render returned. */
function renderPlayer(options: UseStreamPlayerOptions, strict: boolean) {
  const seen: (StreamPlayer | null)[] = [];
  function Holder() {
    seen.push(useStreamPlayer(options));
    return null;
  }
  const element = createElement(Holder);
  const view = render(strict ? createElement(StrictMode, null, element) : element);
  return { seen, view };
}

/** Lets a deferred close (a microtask) run. */
const settle = () => act(async () => await Promise.resolve());

describe('useStreamPlayer', () => {
  it('under StrictMode (effects mount, unmount, mount) makes one player and keeps it open; unmount closes it', async () => {
    const { seen, view } = renderPlayer({ transport: 'message' }, true);
    await settle();
    expect(made).toHaveLength(1);
    const player = made[0];
    expect(player.state).toBe('new'); // not closed by StrictMode's extra unmount
    expect(seen[0]).toBeNull(); // first render: no player yet (it is made in an effect)
    expect(seen.at(-1)).toBe(player);
    expect(new Set(seen.filter((p) => p !== null))).toEqual(new Set([player]));

    view.unmount();
    await settle();
    expect(player.state).toBe('closed');
    expect(made).toHaveLength(1);
  });

  it('without StrictMode: one player, closed on unmount', async () => {
    const { seen, view } = renderPlayer({ transport: 'message', speed: 1.5 }, false);
    expect(made).toHaveLength(1);
    expect(seen.at(-1)).toBe(made[0]);
    expect(made[0].speed).toBe(1.5); // the options reach the player
    view.unmount();
    expect(made[0].state).toBe('new'); // the close waits for a microtask…
    await settle();
    expect(made[0].state).toBe('closed'); // …and then happens
  });

  it('two components, two players', async () => {
    function Holder() {
      useStreamPlayer({ transport: 'message' });
      return null;
    }
    render(createElement(StrictMode, null, createElement(Holder), createElement(Holder)));
    await settle();
    expect(made).toHaveLength(2);
    expect(made.map((p) => p.state)).toEqual(['new', 'new']);
  });

  it('the first gesture on the document starts the player, once; later gestures do not start it again', async () => {
    const starts = vi.fn(() => Promise.resolve());
    renderPlayer({ transport: 'message' }, true);
    await settle();
    const player = made[0];
    vi.spyOn(player, 'start').mockImplementation(starts);
    document.body.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    document.dispatchEvent(new Event('keydown'));
    expect(starts).toHaveBeenCalledTimes(1);
  });

  it('a gesture does not start a player the app already started', async () => {
    renderPlayer({ transport: 'message' }, false);
    const player = made[0];
    const start = vi.spyOn(player, 'start').mockResolvedValue(undefined);
    vi.spyOn(player, 'state', 'get').mockReturnValue('running');
    document.dispatchEvent(new Event('click'));
    expect(start).not.toHaveBeenCalled();
  });

  it('listens on unlockTarget, and nowhere with null', async () => {
    const button = document.createElement('button');
    document.body.append(button);
    const { view } = renderPlayer({ transport: 'message', unlockTarget: button }, false);
    const start = vi.spyOn(made[0], 'start').mockResolvedValue(undefined);
    document.dispatchEvent(new Event('pointerdown'));
    expect(start).not.toHaveBeenCalled();
    button.dispatchEvent(new Event('pointerdown'));
    expect(start).toHaveBeenCalledTimes(1);
    view.unmount();
    button.remove();

    const unlock = vi.spyOn(StreamPlayer.prototype, 'unlockOnGesture');
    renderPlayer({ transport: 'message', unlockTarget: null }, false);
    const startNull = vi.spyOn(made[1], 'start').mockResolvedValue(undefined);
    document.dispatchEvent(new Event('pointerdown'));
    expect(startNull).not.toHaveBeenCalled();
    expect(unlock).not.toHaveBeenCalled();
    unlock.mockRestore();
  });

  it("hands the target to the player's unlockOnGesture (resume when blocked or preempted)", async () => {
    const unlock = vi.spyOn(StreamPlayer.prototype, 'unlockOnGesture');
    renderPlayer({ transport: 'message' }, true);
    await settle();
    expect(unlock.mock.instances).toEqual([made[0]]);
    expect(unlock).toHaveBeenCalledWith(document);
    unlock.mockRestore();
  });

  it('stops listening for gestures on unmount', async () => {
    const { view } = renderPlayer({ transport: 'message' }, false);
    const start = vi.spyOn(made[0], 'start').mockResolvedValue(undefined);
    view.unmount();
    document.dispatchEvent(new Event('pointerdown'));
    expect(start).not.toHaveBeenCalled();
    await settle();
  });

  it('a start that fails on the gesture is reported with reportError', async () => {
    const reported = vi.fn();
    vi.stubGlobal('reportError', reported);
    try {
      renderPlayer({ transport: 'message' }, false);
      const failure = new Error('worklet-load');
      vi.spyOn(made[0], 'start').mockRejectedValue(failure);
      document.dispatchEvent(new Event('keydown'));
      await settle();
      expect(reported).toHaveBeenCalledWith(failure);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
