/**
 * Real speech through the whole player in Chromium, into 48 kHz and 44.1 kHz app contexts
 * (an OfflineAudioContext, so the capture is the rendered buffer, frame-exact): the output
 * must match a float64 reference resampling of the same input, ≥ 85 dB SNR (issue 12).
 * The speech is test/fixtures/speech-24k.s16le (espeak-ng), low-passed to 0.9 of its
 * Nyquist: the band the resampler promises to keep flat.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lowpass, reference } from '../../bench/fidelity-measure';
import { useSuite } from './fixture';
import { openPage, REPO_ROOT, ENGINE } from './harness';

const suite = useSuite();
const RATE = 24000;

/** The fixture as floats, band-limited to 0.9 of 12 kHz, rounded to float32 (what the player gets). */
function speech(): Float32Array {
  const bytes = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'speech-24k.s16le'));
  const ints = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const x = Float64Array.from(ints, (v) => v / 32768);
  return Float32Array.from(lowpass(x, 0.45));
}

/** SNR of `out` against `ref` at the best alignment offset in 0..maxOffset (where playback began), over the middle. */
function bestSnr(out: Float32Array, ref: Float64Array, maxOffset: number): { offset: number; snrDb: number } {
  const edge = 1024;
  let best = { offset: -1, snrDb: -Infinity };
  for (let offset = 0; offset <= maxOffset; offset++) {
    let s = 0;
    let e = 0;
    for (let k = edge; k < ref.length - edge && k + offset < out.length; k++) {
      s += ref[k] * ref[k];
      const d = out[k + offset] - ref[k];
      e += d * d;
    }
    const snrDb = 10 * Math.log10(s / e);
    if (snrDb > best.snrDb) best = { offset, snrDb };
  }
  return best;
}

describe(`fidelity in ${ENGINE}`, () => {
  const input = speech();
  for (const contextRate of [48000, 44100]) {
    it(`speech at 24 kHz into a ${contextRate / 1000} kHz context: ≥ 85 dB SNR against a float64 reference`, async () => {
      const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
      try {
        const out = await opened.page.evaluate(
          async ({ rate, samples, seconds }) => {
            const { renderOffline, base64ToBytes } = await (globalThis as any).importModule('/test/browser/pages/reliability-fixture.js');
            const bytes = base64ToBytes(samples);
            const result = await renderOffline({
              rate,
              seconds,
              player: { sampleRate: 24000, format: 'f32', maxBufferMs: 10_000 },
              feed: (player: any) => {
                player.push(bytes, { utteranceId: 'speech' });
                player.endUtterance('speech');
              },
            });
            return { output: result.output, errors: result.errors, played: result.metrics.samples.played };
          },
          { rate: contextRate, samples: Buffer.from(input.buffer).toString('base64'), seconds: input.length / RATE + 0.3 },
        );
        expect(opened.errors).toEqual([]);
        expect(out.errors).toEqual([]);
        expect(out.played).toBe(input.length);
        const captured = new Float32Array(Uint8Array.from(Buffer.from(out.output, 'base64')).buffer);
        const ref = reference(Float64Array.from(input), RATE, contextRate);
        const { offset, snrDb } = bestSnr(captured, ref, 1024);
        console.log(`[fidelity] speech 24 kHz → ${contextRate / 1000} kHz in Chromium: ${snrDb.toFixed(1)} dB SNR (playback began at frame ${offset})`);
        expect(snrDb).toBeGreaterThanOrEqual(85);
      } finally {
        await opened.close();
      }
    });
  }
});
