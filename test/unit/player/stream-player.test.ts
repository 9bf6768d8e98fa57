import { describe, expect, it } from 'vitest';
import { StreamPlayer } from '../../../src/player/stream-player';
import type { VoxplayError } from '../../../src/errors';

// The public class without a context: what works before start() (subscriptions, checks).
describe('StreamPlayer (before start)', () => {
  it('on() returns an unsubscribe function; once() fires a single time', () => {
    const player = new StreamPlayer({ transport: 'message' });
    const seen: string[] = [];
    const off = player.on('error', (e) => seen.push(`on:${e.code}`));
    player.once('error', (e) => seen.push(`once:${e.code}`));
    const cancelled = player.once('error', () => seen.push('cancelled'));
    cancelled();
    player.endUtterance('nobody');
    player.endUtterance('nobody');
    off();
    player.endUtterance('nobody');
    expect(seen).toEqual(['on:unknown-utterance', 'once:unknown-utterance', 'on:unknown-utterance']);
  });

  it('push checks rate and format with typed errors, and bytes with a TypeError', () => {
    const player = new StreamPlayer({ transport: 'message' });
    const codes: string[] = [];
    for (const f of [
      () => player.push(new Uint8Array(2), { sampleRate: 96000 }),
      () => player.push(new Uint8Array(2), { format: 'aac' as never }),
      () => player.push('x' as never),
    ]) {
      try {
        f();
      } catch (e) {
        codes.push((e as VoxplayError).code ?? (e as Error).name);
      }
    }
    expect(codes).toEqual(['bad-option', 'bad-option', 'TypeError']);
  });

  it('speed: the option and the setter check the range, announce a change, and show in the metrics', () => {
    const player = new StreamPlayer({ transport: 'message', speed: 1.5 });
    expect(player.speed).toBe(1.5);
    expect(player.getMetrics().speed).toBe(1.5);
    const changes: { speed: number; previous: number }[] = [];
    player.on('speedchange', (e) => changes.push(e));
    player.speed = 2;
    player.speed = 2; // unchanged: no event
    player.speed = 0.5;
    expect(changes).toEqual([
      { speed: 2, previous: 1.5 },
      { speed: 0.5, previous: 2 },
    ]);
    for (const bad of [0.49, 2.01, NaN, '1' as never]) {
      expect(() => (player.speed = bad)).toThrow(expect.objectContaining({ code: 'bad-option' }) as Error);
    }
    expect(player.speed).toBe(0.5);
    expect(player.getMetrics().speed).toBe(0.5);
  });

  it('record() and outputStream need a started player: bad-option, and null', () => {
    const player = new StreamPlayer({ transport: 'message' });
    expect(player.outputStream).toBeNull();
    expect(() => player.record()).toThrow(expect.objectContaining({ code: 'bad-option' }) as Error);
  });

  it("refuses transport 'shared' on a page that is not cross-origin isolated", () => {
    expect(() => new StreamPlayer({ transport: 'shared' })).toThrow(/cross-origin isolated/);
  });
});
