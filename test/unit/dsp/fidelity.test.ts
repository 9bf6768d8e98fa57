/**
 * The resampler's fidelity goals (issue 12), measured the way `npm run fidelity` measures
 * them (bench/fidelity-measure.ts), for every rate pair the player meets in practice:
 * flat within ±0.1 dB to 0.9 of the lower Nyquist, images and aliases at or below −90 dB,
 * and SNR ≥ 85 dB against a float64 129-tap reference on wideband signals (band-limited
 * white noise and a logarithmic sweep; speech is in docs/fidelity.md, as it needs espeak-ng).
 */
import { describe, expect, it } from 'vitest';
import { measure, PAIRS } from '../../../bench/fidelity-measure';

describe('resampler fidelity (default design)', () => {
  for (const [inRate, outRate] of PAIRS) {
    it(`${inRate} → ${outRate} Hz: flat to 0.9 of the lower Nyquist, images and aliases ≤ −90 dB, wideband SNR ≥ 85 dB`, () => {
      const r = measure(inRate, outRate, undefined, false);
      console.log(
        `[fidelity] ${inRate} → ${outRate}: flat to ${r.flatTo.toFixed(3)}, worst image/alias ${r.worstImage.toFixed(1)} dB, SNR noise ${r.snr.noise.toFixed(1)} dB, sweep ${r.snr.sweep.toFixed(1)} dB`,
      );
      expect(r.flatTo).toBeGreaterThanOrEqual(0.9);
      expect(Math.abs(r.gainAt09)).toBeLessThanOrEqual(0.1);
      expect(r.worstImage).toBeLessThanOrEqual(-90);
      expect(r.snr.noise).toBeGreaterThanOrEqual(85);
      expect(r.snr.sweep).toBeGreaterThanOrEqual(85);
    });
  }

  it('the measurement can fail: the former design (cutoff 0.88, 16 taps per side) misses every goal', () => {
    const r = measure(24000, 48000, { rolloff: 0.88, kaiserBeta: 10, halfTaps: 16 }, false);
    expect(r.flatTo).toBeLessThan(0.8);
    expect(r.worstImage).toBeGreaterThan(-40);
    expect(r.snr.noise).toBeLessThan(30);
  });
});
