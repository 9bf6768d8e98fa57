import { describe, expect, it } from 'vitest';
import { DelayEstimator } from '../../../src/echo/delay-estimator';
import { FAR_FIXTURE, loadFixture, makeRir, simulateRoom } from '../../support/echo-room';

function estimate(mic: Float32Array, ref: Float32Array): DelayEstimator {
  const estimator = new DelayEstimator(16000, 500);
  for (let s = 0; s + 256 <= mic.length; s += 256) estimator.push(mic.subarray(s, s + 256), ref.subarray(s, s + 256), 256);
  return estimator;
}

describe('DelayEstimator', () => {
  it('finds a pure delay of white noise exactly, from 0 to 490 ms', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296 - 0.5;
    const ref = new Float32Array(16000 * 5).map(random);
    for (const delay of [0, 160, 4000, 7840]) {
      const mic = new Float32Array(ref.length);
      for (let i = delay; i < mic.length; i++) mic[i] = 0.2 * ref[i - delay];
      expect(estimate(mic, ref).delay).toBe(delay);
    }
  });

  it('finds the first arrival of speech through reverberant rooms, within 2 ms', () => {
    const far = loadFixture(FAR_FIXTURE).subarray(0, 16000 * 8);
    for (const [rt60, delayMs, seed] of [
      [0.3, 40, 1],
      [0.6, 250, 2],
      [0.45, 400, 3],
    ]) {
      const room = simulateRoom({ far, rir: makeRir({ rt60, seed }), delayMs });
      const found = estimate(room.mic, room.ref).delay;
      expect(Math.abs(found - delayMs * 16), `RT60 ${rt60}, ${delayMs} ms: found ${found / 16} ms`).toBeLessThanOrEqual(32);
    }
  });

  it('says nothing while the far end is silent', () => {
    const silent = new Float32Array(16000 * 3);
    expect(estimate(silent, silent).delay).toBe(-1);
  });
});
