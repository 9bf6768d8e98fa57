import { describe, expect, it } from 'vitest';
import { downmix, Trim } from '../../../src/codecs/packet-stream';

const ramp = (from: number, n: number) => Float32Array.from({ length: n }, (_, i) => from + i);

describe('Trim (gapless start and end trimming of decoded blocks)', () => {
  it('drops toSkip samples across blocks, then keeps exactly total samples, whatever the block sizes', () => {
    for (const sizes of [[1152, 1152, 1152, 1152], [100, 2000, 1, 1507], [4608]]) {
      const trim = new Trim();
      trim.toSkip = 1105; // LAME's 576 + the decoder's 529
      trim.total = 2000;
      const kept: number[] = [];
      let at = 0;
      for (const n of sizes) {
        kept.push(...trim.keep(ramp(at, n)));
        at += n;
      }
      expect(kept).toEqual(Array.from(ramp(1105, 2000)));
    }
  });

  it('keeps everything after the skip while the total is unknown', () => {
    const trim = new Trim();
    trim.toSkip = 3;
    expect(Array.from(trim.keep(ramp(0, 2)))).toEqual([]);
    expect(Array.from(trim.keep(ramp(2, 4)))).toEqual([3, 4, 5]);
  });
});

describe('downmix', () => {
  it('averages channels, and copies a single one', () => {
    const left = new Float32Array([1, 0.5, 0]);
    const mono = downmix([left], 2);
    expect(Array.from(mono)).toEqual([1, 0.5]);
    mono[0] = 9;
    expect(left[0]).toBe(1);
    expect(Array.from(downmix([left, new Float32Array([0, 0.5, 1])], 3))).toEqual([0.5, 0.5, 0.5]);
  });
});
