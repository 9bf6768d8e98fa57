import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/player/options';
import type { StreamPlayerOptions } from '../../../src/player/types';

describe('resolveOptions', () => {
  it('defaults suit 24 kHz PCM16 speech', () => {
    const o = resolveOptions();
    expect(o).toMatchObject({
      sampleRate: 24000,
      format: 'pcm16',
      prebufferMs: 60,
      fadeMs: 5,
      maxBufferMs: 60_000,
      metricsIntervalMs: 250,
      transport: 'auto',
      adaptivePrebuffer: { stepMs: 20, maxMs: 400 },
      capacity: 1_440_000,
      sinkId: '',
      audioSession: 'auto',
      speed: 1,
    });
  });

  it('caps adaptive prebuffer growth at half the buffer, and keeps it off when asked', () => {
    expect(resolveOptions({ maxBufferMs: 500 }).adaptivePrebuffer).toEqual({ stepMs: 20, maxMs: 250 });
    expect(resolveOptions({ adaptivePrebuffer: false }).adaptivePrebuffer).toBe(false);
  });

  const bad: [string, StreamPlayerOptions, RegExp][] = [
    ['rate too low', { sampleRate: 7999 }, /sampleRate must be an integer from 8000 to 48000 Hz, got 7999/],
    ['fractional rate', { sampleRate: 24000.5 }, /sampleRate/],
    ['unknown format', { format: 'aac' as never }, /format must be "pcm16", "f32", "mulaw", "alaw", "wav", "ogg-opus", "opus" or "mp3", got "aac"/],
    ['negative prebuffer', { prebufferMs: -1 }, /prebufferMs must be a number from 0 to 10000/],
    ['NaN fade', { fadeMs: NaN }, /fadeMs/],
    ['tiny buffer', { maxBufferMs: 50 }, /maxBufferMs must be a number from 100/],
    ['prebuffer ≥ buffer', { prebufferMs: 500, maxBufferMs: 500 }, /prebufferMs \(500\) must be smaller than maxBufferMs \(500\)/],
    ['bad adaptive', { adaptivePrebuffer: { stepMs: -1, maxMs: 10 } }, /adaptivePrebuffer/],
    ['unknown transport', { transport: 'udp' as never }, /transport must be "auto", "shared" or "message"/],
    ['non-string sinkId', { sinkId: 3 as never }, /sinkId must be a device id string, got number/],
    ['unknown audioSession', { audioSession: 'ambient' as never }, /audioSession must be "auto" or "playback", got "ambient"/],
    ['destination without context', { destination: {} as AudioNode }, /destination needs its `context`/],
    ['speed below 0.5', { speed: 0.4 }, /speed must be a number from 0.5 to 2, got 0.4/],
    ['speed above 2', { speed: 2.5 }, /speed must be a number from 0.5 to 2, got 2.5/],
    ['NaN speed', { speed: NaN }, /speed must be a number from 0.5 to 2, got NaN/],
  ];
  for (const [what, options, message] of bad) {
    it(`refuses ${what} with a bad-option error naming it`, () => {
      let caught: unknown;
      try {
        resolveOptions(options);
      } catch (e) {
        caught = e;
      }
      expect(caught).toMatchObject({ name: 'VoxplayError', code: 'bad-option' });
      expect((caught as Error).message).toMatch(message);
    });
  }
});
