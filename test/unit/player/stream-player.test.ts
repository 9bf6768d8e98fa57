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

  it("refuses transport 'shared' on a page that is not cross-origin isolated", () => {
    expect(() => new StreamPlayer({ transport: 'shared' })).toThrow(/cross-origin isolated/);
  });
});
