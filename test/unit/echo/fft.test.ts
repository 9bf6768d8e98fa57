import { describe, expect, it } from 'vitest';
import { Fft } from '../../../src/echo/fft';

describe('Fft', () => {
  it('matches a direct DFT and inverts exactly', () => {
    const n = 64;
    const fft = new Fft(n);
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      re[i] = Math.sin(i * 0.7) + (i % 5) * 0.1;
      im[i] = Math.cos(i * 0.3);
    }
    const x = Float64Array.from(re);
    const y = Float64Array.from(im);
    fft.forward(re, im);
    for (const k of [0, 1, 7, 31, 32, 63]) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        const a = (-2 * Math.PI * k * t) / n;
        sr += x[t] * Math.cos(a) - y[t] * Math.sin(a);
        si += x[t] * Math.sin(a) + y[t] * Math.cos(a);
      }
      expect(re[k]).toBeCloseTo(sr, 9);
      expect(im[k]).toBeCloseTo(si, 9);
    }
    fft.inverse(re, im);
    for (let i = 0; i < n; i++) {
      expect(re[i]).toBeCloseTo(x[i], 12);
      expect(im[i]).toBeCloseTo(y[i], 12);
    }
  });

  it('refuses a size that is not a power of two', () => {
    expect(() => new Fft(48)).toThrow(RangeError);
  });
});
