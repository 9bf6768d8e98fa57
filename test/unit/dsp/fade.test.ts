import { describe, expect, it } from 'vitest';
import { Fader } from '../../../src/dsp/fade';
import { mulberry32 } from '../prng';

/** Runs a buffer of ones through the fader in random pieces; the result is the gain per sample. */
function gains(f: Fader, n: number, rnd: () => number, maxChunk = 64): Float32Array {
  const buf = new Float32Array(n).fill(1);
  let i = 0;
  while (i < n) {
    const c = Math.min(n - i, Math.floor(rnd() * maxChunk));
    f.apply(buf, i, c);
    i += c;
  }
  return buf;
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

function maxStep(g: Float32Array, from = 1, to = g.length): number {
  let m = 0;
  for (let i = Math.max(1, from); i < to; i++) m = Math.max(m, Math.abs(g[i] - g[i - 1]));
  return m;
}

describe('Fader', () => {
  it('starts at gain 1 (or the constructor argument), not ramping', () => {
    const f = new Fader();
    expect(f.gain).toBe(1);
    expect(f.ramping).toBe(false);
    expect(f.remaining).toBe(0);
    expect(new Fader(0.25).gain).toBe(0.25);
  });

  it('is a bit-exact pass-through at gain 1 with no ramp', () => {
    const rnd = mulberry32(1);
    const buf = new Float32Array(1000);
    for (let i = 0; i < buf.length; i++) buf[i] = (rnd() * 2 - 1) * 1e-3;
    buf[5] = -0;
    buf[6] = Number.NaN;
    buf[7] = 1e-42; // subnormal
    const before = buf.slice();
    new Fader().apply(buf, 0, buf.length);
    expect(bitsEqual(buf, before)).toBe(true);
  });

  it('ramps to 0 monotonically, hits exactly 0 on its last sample and stays there', () => {
    for (const L of [1, 2, 7, 128, 480, 1000]) {
      const f = new Fader();
      f.rampTo(0, L);
      expect(f.ramping).toBe(true);
      expect(f.remaining).toBe(L);
      const g = gains(f, L + 300, mulberry32(L));
      for (let i = 1; i < g.length; i++) expect(g[i]).toBeLessThanOrEqual(g[i - 1]);
      expect(g[L - 1]).toBe(0);
      if (L > 1) expect(g[L - 2]).toBeGreaterThan(0);
      for (let i = L; i < g.length; i++) expect(g[i]).toBe(0);
      expect(f.gain).toBe(0);
      expect(f.ramping).toBe(false);
      expect(f.remaining).toBe(0);
      // Raised cosine: largest step sin(pi / 2L) <= pi / 2L (plus float32 rounding).
      expect(maxStep(g, 1, L)).toBeLessThanOrEqual(Math.PI / (2 * L) + 1e-7);
      expect(1 - g[0]).toBeLessThanOrEqual(Math.PI / (2 * L) + 1e-7);
    }
  });

  it('ramps back up to exactly 1, after which it is a pass-through again', () => {
    const f = new Fader(0);
    f.rampTo(1, 256);
    const g = gains(f, 400, mulberry32(9));
    for (let i = 1; i < g.length; i++) expect(g[i]).toBeGreaterThanOrEqual(g[i - 1]);
    expect(g[255]).toBe(1);
    expect(g[0]).toBeGreaterThan(0);
    expect(maxStep(g)).toBeLessThanOrEqual(Math.PI / 512 + 1e-7);
    expect(f.gain).toBe(1);
    const buf = new Float32Array([0.1, -0.3, Number.NaN]);
    const before = buf.slice();
    f.apply(buf, 0, 3);
    expect(bitsEqual(buf, before)).toBe(true);
  });

  it('restarts a ramp from the current gain without a jump', () => {
    const f = new Fader();
    f.rampTo(0, 480);
    const a = gains(f, 200, mulberry32(2));
    const mid = f.gain;
    expect(Math.fround(mid)).toBe(a[199]);
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(1);
    f.rampTo(1, 300);
    expect(f.remaining).toBe(300);
    const b = gains(f, 300, mulberry32(3));
    // The first step of the new ramp is as gentle as any other step of it.
    expect(Math.abs(b[0] - mid)).toBeLessThanOrEqual(((1 - mid) * Math.PI) / 600 + 1e-7);
    for (let i = 1; i < b.length; i++) expect(b[i]).toBeGreaterThanOrEqual(b[i - 1]);
    expect(b[299]).toBe(1);
  });

  it('gives the same gains however the buffer is split', () => {
    const run = (seed: number, maxChunk: number): Float32Array => {
      const f = new Fader();
      f.rampTo(0, 333);
      return gains(f, 500, mulberry32(seed), maxChunk);
    };
    const whole = run(1, 10_000);
    expect(bitsEqual(run(2, 2), whole)).toBe(true);
    expect(bitsEqual(run(3, 50), whole)).toBe(true);
  });

  it('jumps when the length is 0 and applies constant gains', () => {
    const f = new Fader();
    f.rampTo(0.5, 0);
    expect(f.gain).toBe(0.5);
    expect(f.ramping).toBe(false);
    const buf = new Float32Array([1, -2, 4]);
    f.apply(buf, 0, 3);
    expect(Array.from(buf)).toEqual([0.5, -1, 2]);
    f.rampTo(0, 0);
    const buf2 = new Float32Array([1, Number.NaN, Infinity]);
    f.apply(buf2, 0, 3);
    expect(Array.from(buf2)).toEqual([0, 0, 0]);
  });

  it('only touches the requested range and never throws on bad arguments', () => {
    const f = new Fader(0.5);
    const buf = new Float32Array([1, 1, 1, 1]);
    f.apply(buf, 1, 2);
    expect(Array.from(buf)).toEqual([1, 0.5, 0.5, 1]);
    expect(() => f.apply(buf, 3, 100)).not.toThrow();
    expect(buf[3]).toBe(0.5);
    expect(() => f.apply(buf, -1, Number.NaN)).not.toThrow();
    expect(() => f.apply(buf, 10, 5)).not.toThrow();
    f.rampTo(Number.NaN, 10);
    expect(f.gain).toBe(0.5);
    expect(f.ramping).toBe(false);
    f.rampTo(1, Number.NaN);
    expect(f.gain).toBe(1);
    expect(f.ramping).toBe(false);
  });
});
