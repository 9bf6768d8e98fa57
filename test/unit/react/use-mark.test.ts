import { act, cleanup, render } from '@testing-library/react';
import { createElement, StrictMode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { MarkEvent } from '../../../src/index';
import { useMark } from '../../../src/react/index';
import { FakePlayer } from './fake-player';

afterEach(cleanup);

describe('useMark', () => {
  it('calls the latest handler for each mark, subscribes once, and stops after unmount', () => {
    const player = new FakePlayer();
    const calls: string[] = [];
    function Captions({ label }: { label: string }) {
      // A new function on every render, as an inline handler is.
      useMark(player.asPlayer(), (m: MarkEvent) => calls.push(`${label}:${m.name}@${m.sampleOffset}`));
      return null;
    }
    const view = render(createElement(StrictMode, null, createElement(Captions, { label: 'a' })));
    expect(player.markHandlers.size).toBe(1); // StrictMode's extra mount unsubscribed its first
    act(() => player.mark('hello', 0));
    view.rerender(createElement(StrictMode, null, createElement(Captions, { label: 'b' })));
    expect(player.markHandlers.size).toBe(1);
    act(() => player.mark('world', 4800));
    expect(calls).toEqual(['a:hello@0', 'b:world@4800']);

    view.unmount();
    expect(player.markHandlers.size).toBe(0);
    player.mark('late', 9600);
    expect(calls).toHaveLength(2);
  });

  it('waits for a player', () => {
    const player = new FakePlayer();
    const calls: string[] = [];
    function Captions({ p }: { p: FakePlayer | null }) {
      useMark(p?.asPlayer() ?? null, (m) => calls.push(m.name));
      return null;
    }
    const view = render(createElement(Captions, { p: null }));
    view.rerender(createElement(Captions, { p: player }));
    act(() => player.mark('now', 0));
    expect(calls).toEqual(['now']);
  });
});
