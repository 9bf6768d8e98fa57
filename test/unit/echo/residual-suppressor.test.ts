// The residual suppressor's two leaks: the evidence is read with the filter's own, the output's
// gain may take a larger one (the detector's while the filter misses an echo-path change).
import { describe, expect, it } from 'vitest';
import { ResidualSuppressor } from '../../../src/echo/residual-suppressor';
import { mulberry32 } from '../prng';

const BLOCK = 256;

/** Blocks of an "error" that is half echo-like (correlated with y) and half other sound. */
function feed(outputLeak: number | undefined) {
  const s = new ResidualSuppressor(BLOCK, 16000);
  const rng = mulberry32(3);
  const e = new Float64Array(BLOCK);
  const y = new Float64Array(BLOCK);
  const out = new Float64Array(BLOCK);
  const evidence: number[] = [];
  let outEnergy = 0;
  let inEnergy = 0;
  for (let b = 0; b < 200; b++) {
    for (let i = 0; i < BLOCK; i++) {
      y[i] = (rng() * 2 - 1) * 0.1;
      e[i] = 0.5 * y[i] + (rng() * 2 - 1) * 0.02;
    }
    s.process(e, y, 0.01, false, out, outputLeak);
    evidence.push(s.evidence);
    if (b >= 20) {
      for (let i = 0; i < BLOCK; i++) {
        outEnergy += out[i] * out[i];
        inEnergy += e[i] * e[i];
      }
    }
  }
  return { evidence, erleDb: 10 * Math.log10(inEnergy / outEnergy) };
}

describe('ResidualSuppressor', () => {
  it('an output leak of 1 suppresses the output far more and leaves the evidence exactly as with the learnt leak', () => {
    const learnt = feed(undefined);
    const whole = feed(1);
    expect(whole.evidence).toEqual(learnt.evidence);
    expect(whole.erleDb).toBeGreaterThan(learnt.erleDb + 10);
  });
});
