import { describe, expect, it } from 'vitest';
import { alawToLinear, mulawToLinear } from '../../../src/codecs/g711';
import { float32ToAlaw, float32ToMulaw, linearToAlaw, linearToMulaw } from '../../../src/protocol/g711-encode';
import { mulberry32 } from '../prng';

describe('G.711 encoders', () => {
  it('every code the decoder produces encodes back to itself (μ-law: both zeros to 0xFF)', () => {
    for (let code = 0; code < 256; code++) {
      expect(linearToMulaw(mulawToLinear(code)), `μ-law ${code}`).toBe(code === 0x7f ? 0xff : code);
      expect(linearToAlaw(alawToLinear(code)), `A-law ${code}`).toBe(code);
    }
  });

  it('round trip of wideband noise stays within G.711 quantisation (error < 1/12 of the value)', () => {
    const rnd = mulberry32(5);
    const x = Float32Array.from({ length: 20000 }, () => (rnd() * 2 - 1) * 0.9);
    for (const [encode, decode] of [
      [float32ToMulaw, mulawToLinear],
      [float32ToAlaw, alawToLinear],
    ] as const) {
      const codes = encode(x);
      let worstRelative = 0;
      for (let i = 0; i < x.length; i++) {
        const v = x[i] * 32768;
        const err = Math.abs(decode(codes[i]) - v);
        worstRelative = Math.max(worstRelative, err / Math.max(Math.abs(v), 256)); // below 256: A-law steps by 16
      }
      // A 4-bit mantissa: half a step is at most 1/32 of a segment's span; at a segment's
      // low end (where μ-law's bias sits) that is up to ~1/15 of the value. A wrong
      // segment or mantissa would be off by 1/2 or more.
      expect(worstRelative).toBeLessThan(1 / 12);
    }
  });

  it('clamps out-of-range samples and turns NaN into silence', () => {
    expect(Array.from(float32ToMulaw(new Float32Array([2, -2, NaN])))).toEqual([linearToMulaw(32767), linearToMulaw(-32768), 0xff]);
    expect(alawToLinear(float32ToAlaw(new Float32Array([NaN]))[0])).toBe(8);
  });
});
