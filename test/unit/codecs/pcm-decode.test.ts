import { describe, expect, it } from 'vitest';
import { BYTES_PER_SAMPLE, PcmDecoder, sanitize } from '../../../src/codecs/pcm';
import type { PcmFormat } from '../../../src/codecs/pcm';
import { float32ToPcm16 } from '../../../src/protocol/pcm-encode';
import { mulberry32 } from '../prng';

// ---------------------------------------------------------------------------------------
// Reference encoders/decoders, written independently of the module (DataView, explicit LE).
// ---------------------------------------------------------------------------------------

function encodePcm16(ints: readonly number[]): Uint8Array {
  const out = new Uint8Array(ints.length * 2);
  const view = new DataView(out.buffer);
  ints.forEach((v, i) => view.setInt16(i * 2, v, true));
  return out;
}

function encodeF32(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

/** What the decoder must produce for pcm16: int / 32768. */
function expectedPcm16(ints: readonly number[]): number[] {
  return ints.map((v) => v / 32768);
}

/** What the decoder must produce for f32: float32 rounding, non-finite → 0, clamp to [-1, 1]. */
function expectedF32(values: readonly number[]): { samples: number[]; nonFinite: number } {
  let nonFinite = 0;
  const samples = values.map((v) => {
    const f = Math.fround(v);
    if (!Number.isFinite(f)) {
      nonFinite++;
      return 0;
    }
    return Math.min(1, Math.max(-1, f));
  });
  return { samples, nonFinite };
}

// A pcm16 signal with both extremes, zero, ±1 LSB and ordinary values.
const PCM16_INTS = [0, 32767, -32768, 1, -1, 12345, -12345, 16384, -16384, 32766, -32767, 7];
// An f32 signal with ±1 exactly, out-of-range values, NaN, ±Infinity, -0, subnormal-ish and
// values that are not exactly representable in float32.
const F32_VALUES = [0, 1, -1, 0.5, -0.25, NaN, Infinity, -Infinity, 1.5, -3, 0.1, -0, 1e-40, 0.999999, 2 ** -24];

interface Case {
  format: PcmFormat;
  bytes: Uint8Array;
  expected: number[];
  nonFinite: number;
}

const CASES: Case[] = [
  { format: 'pcm16', bytes: encodePcm16(PCM16_INTS), expected: expectedPcm16(PCM16_INTS), nonFinite: 0 },
  {
    format: 'f32',
    bytes: encodeF32(F32_VALUES),
    ...(() => {
      const e = expectedF32(F32_VALUES);
      return { expected: e.samples, nonFinite: e.nonFinite };
    })(),
  },
];

/**
 * Decodes `bytes` cut at `cuts` (sorted, may repeat → empty chunks) with one decoder,
 * checking pendingBytes after every chunk; returns the concatenated samples and the
 * summed nonFinite count.
 */
function decodeSplit(format: PcmFormat, bytes: Uint8Array, cuts: readonly number[]): { samples: number[]; nonFinite: number } {
  const dec = new PcmDecoder(format);
  const width = BYTES_PER_SAMPLE[format];
  const samples: number[] = [];
  let nonFinite = 0;
  let fed = 0;
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    const chunk = bytes.subarray(prev, cut);
    const r = dec.decode(chunk);
    fed += chunk.length;
    // Exactly the samples completed by the bytes fed so far.
    expect(samples.length + r.samples.length).toBe(Math.floor(fed / width));
    for (const x of r.samples) samples.push(x);
    nonFinite += r.nonFinite;
    expect(dec.pendingBytes).toBe(fed % width);
    prev = cut;
  }
  return { samples, nonFinite };
}

function expectSameSamples(actual: readonly number[], expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    // Object.is distinguishes -0 and 0: bitwise identity is what "same samples" means here.
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`sample ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

describe('PcmDecoder: whole-buffer decoding', () => {
  for (const c of CASES) {
    it(`${c.format}: decodes a known signal (extremes included) exactly`, () => {
      const dec = new PcmDecoder(c.format);
      const r = dec.decode(c.bytes);
      expect(r.samples).toBeInstanceOf(Float32Array);
      expectSameSamples(Array.from(r.samples), c.expected);
      expect(r.nonFinite).toBe(c.nonFinite);
      expect(dec.pendingBytes).toBe(0);
    });
  }

  it('pcm16 maps -32768 to exactly -1 and 32767 to 32767/32768', () => {
    const r = new PcmDecoder('pcm16').decode(encodePcm16([-32768, 32767, 0]));
    expect(r.samples[0]).toBe(-1);
    expect(r.samples[1]).toBe(32767 / 32768);
    expect(r.samples[2]).toBe(0);
    expect(r.nonFinite).toBe(0);
  });

  it('f32 replaces NaN/±Infinity by 0 and counts them, and clamps out-of-range values', () => {
    const r = new PcmDecoder('f32').decode(encodeF32([NaN, 2, -2, Infinity, 0.5, -Infinity, 1, -1]));
    expect(Array.from(r.samples)).toEqual([0, 1, -1, 0, 0.5, 0, 1, -1]);
    expect(r.nonFinite).toBe(3);
  });

  it('f32 treats every NaN bit pattern (signalling, negative, payload) as non-finite', () => {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x7fc00000, true); // quiet NaN
    view.setUint32(4, 0x7f800001, true); // signalling NaN
    view.setUint32(8, 0xffc00123, true); // negative NaN with payload
    view.setUint32(12, 0x3f800000, true); // 1.0
    const r = new PcmDecoder('f32').decode(bytes);
    expect(Array.from(r.samples)).toEqual([0, 0, 0, 1]);
    expect(r.nonFinite).toBe(3);
  });

  it('decodes from a view at an unaligned offset inside a larger buffer', () => {
    for (const c of CASES) {
      const big = new Uint8Array(c.bytes.length + 7);
      big.fill(0xab);
      big.set(c.bytes, 3);
      const view = big.subarray(3, 3 + c.bytes.length);
      const r = new PcmDecoder(c.format).decode(view);
      expectSameSamples(Array.from(r.samples), c.expected);
    }
  });

  it('returns a fresh array per call, and carried bytes are copied (mutating input later has no effect)', () => {
    const dec = new PcmDecoder('pcm16');
    const bytes = encodePcm16([1000, 2000, 3000]);
    const chunk1 = bytes.slice(0, 3); // one sample + 1 carried byte
    const r1 = dec.decode(chunk1);
    chunk1.fill(0xff); // the caller reuses its buffer
    const r2 = dec.decode(bytes.slice(3));
    expect(r2.samples).not.toBe(r1.samples);
    expect(r2.samples.buffer).not.toBe(r1.samples.buffer);
    expect(Array.from(r1.samples)).toEqual([1000 / 32768]);
    expect(Array.from(r2.samples)).toEqual([2000 / 32768, 3000 / 32768]);
  });

  it('an empty chunk decodes to no samples and changes nothing', () => {
    const dec = new PcmDecoder('f32');
    const r = dec.decode(new Uint8Array(0));
    expect(r.samples.length).toBe(0);
    expect(r.nonFinite).toBe(0);
    expect(dec.pendingBytes).toBe(0);
  });
});

describe('PcmDecoder: chunking independence', () => {
  for (const c of CASES) {
    it(`${c.format}: every single split point gives the same samples as decoding whole`, () => {
      const whole = new PcmDecoder(c.format).decode(c.bytes);
      const wholeArr = Array.from(whole.samples);
      for (let cut = 0; cut <= c.bytes.length; cut++) {
        const r = decodeSplit(c.format, c.bytes, [cut]);
        expectSameSamples(r.samples, wholeArr);
        expectSameSamples(r.samples, c.expected);
        expect(r.nonFinite).toBe(c.nonFinite);
      }
    });

    it(`${c.format}: every pair of split points (short signal) gives the same samples`, () => {
      // A short prefix keeps the pair count small but still spans several samples.
      const width = BYTES_PER_SAMPLE[c.format];
      const nSamples = c.format === 'pcm16' ? 7 : 8;
      const bytes = c.bytes.subarray(0, nSamples * width);
      const expected = c.expected.slice(0, nSamples);
      const expectedBad = c.format === 'f32' ? expectedF32(F32_VALUES.slice(0, nSamples)).nonFinite : 0;
      let combos = 0;
      for (let a = 0; a <= bytes.length; a++) {
        for (let b = a; b <= bytes.length; b++) {
          const r = decodeSplit(c.format, bytes, [a, b]);
          expectSameSamples(r.samples, expected);
          expect(r.nonFinite).toBe(expectedBad);
          combos++;
        }
      }
      expect(combos).toBe(((bytes.length + 1) * (bytes.length + 2)) / 2);
    });

    it(`${c.format}: random multi-splits (1-byte and empty chunks included) give the same samples`, () => {
      const rng = mulberry32(c.format === 'pcm16' ? 1601 : 3204);
      // A longer signal: the case's values repeated with random values in between.
      const width = BYTES_PER_SAMPLE[c.format];
      const bytes = new Uint8Array(c.bytes.length * 20);
      for (let k = 0; k < 20; k++) bytes.set(c.bytes, k * c.bytes.length);
      const whole = Array.from(new PcmDecoder(c.format).decode(bytes).samples);
      expect(whole.length).toBe(bytes.length / width);
      let sawOneByte = false;
      let sawEmpty = false;
      for (let trial = 0; trial < 300; trial++) {
        const cuts: number[] = [];
        let pos = 0;
        while (pos < bytes.length) {
          const mode = rng();
          // 1/5 empty chunk, 1/5 single byte, otherwise 1..2*width+3 bytes, or a long run.
          let len: number;
          if (mode < 0.2) len = 0;
          else if (mode < 0.4) len = 1;
          else if (mode < 0.9) len = 1 + Math.floor(rng() * (2 * width + 3));
          else len = Math.floor(rng() * 200);
          if (len === 0) sawEmpty = true;
          if (len === 1) sawOneByte = true;
          pos = Math.min(bytes.length, pos + len);
          cuts.push(pos);
        }
        const r = decodeSplit(c.format, bytes, cuts);
        expectSameSamples(r.samples, whole);
        expect(r.nonFinite).toBe(c.nonFinite * 20);
      }
      expect(sawOneByte && sawEmpty).toBe(true);
    });
  }

  it('pcm16: random signals over the full int16 range, random chunking, match the reference', () => {
    const rng = mulberry32(99);
    for (let trial = 0; trial < 50; trial++) {
      const ints: number[] = [];
      const n = 1 + Math.floor(rng() * 300);
      for (let i = 0; i < n; i++) ints.push(Math.floor(rng() * 65536) - 32768);
      const bytes = encodePcm16(ints);
      const cuts: number[] = [];
      let pos = 0;
      while (pos < bytes.length) {
        pos = Math.min(bytes.length, pos + Math.floor(rng() * 9));
        cuts.push(pos);
      }
      expectSameSamples(decodeSplit('pcm16', bytes, cuts).samples, expectedPcm16(ints));
    }
  });
});

describe('PcmDecoder: reset and pendingBytes', () => {
  it('pcm16: reset() drops the carried byte, returns 1, and the next chunk decodes aligned', () => {
    const dec = new PcmDecoder('pcm16');
    const r = dec.decode(encodePcm16([100, 200]).subarray(0, 3));
    expect(Array.from(r.samples)).toEqual([100 / 32768]);
    expect(dec.pendingBytes).toBe(1);
    expect(dec.reset()).toBe(1);
    expect(dec.pendingBytes).toBe(0);
    const next = dec.decode(encodePcm16([-300, 400]));
    expect(Array.from(next.samples)).toEqual([-300 / 32768, 400 / 32768]);
    expect(dec.pendingBytes).toBe(0);
    expect(dec.reset()).toBe(0);
  });

  it('f32: reset() returns 1, 2 or 3 carried bytes and forgets them', () => {
    for (let carried = 1; carried <= 3; carried++) {
      const dec = new PcmDecoder('f32');
      const bytes = encodeF32([0.25, -0.75]);
      // Feed the carried prefix of sample 1 one byte at a time.
      for (let k = 0; k < carried; k++) {
        const r = dec.decode(bytes.subarray(4 + k, 4 + k + 1));
        expect(r.samples.length).toBe(0);
        expect(dec.pendingBytes).toBe(k + 1);
      }
      expect(dec.reset()).toBe(carried);
      expect(dec.pendingBytes).toBe(0);
      const r = dec.decode(bytes);
      expect(Array.from(r.samples)).toEqual([0.25, -0.75]);
    }
  });

  it('pendingBytes accumulates across empty and tiny chunks without emitting samples early', () => {
    const dec = new PcmDecoder('f32');
    const bytes = encodeF32([0.5]);
    const seen: number[] = [];
    for (let k = 0; k < 4; k++) {
      expect(dec.decode(new Uint8Array(0)).samples.length).toBe(0);
      const r = dec.decode(bytes.subarray(k, k + 1));
      seen.push(dec.pendingBytes);
      if (k < 3) expect(r.samples.length).toBe(0);
      else expect(Array.from(r.samples)).toEqual([0.5]);
    }
    expect(seen).toEqual([1, 2, 3, 0]);
  });

  it('a carried partial sample never leaks into another decoder', () => {
    const a = new PcmDecoder('pcm16');
    const b = new PcmDecoder('pcm16');
    a.decode(new Uint8Array([0x34]));
    expect(a.pendingBytes).toBe(1);
    expect(b.pendingBytes).toBe(0);
    expect(Array.from(b.decode(encodePcm16([5])).samples)).toEqual([5 / 32768]);
  });
});

describe('PcmDecoder: construction', () => {
  it.each([['pcm8'], ['PCM16'], ['f64'], [''], [undefined], [null], [16]])('throws a TypeError naming %j', (bad) => {
    let err: unknown;
    try {
      new PcmDecoder(bad as unknown as PcmFormat);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toContain(String(JSON.stringify(bad)));
  });

  it('exposes the format and the byte widths', () => {
    expect(new PcmDecoder('pcm16').format).toBe('pcm16');
    expect(new PcmDecoder('f32').format).toBe('f32');
    expect(BYTES_PER_SAMPLE).toEqual({ pcm16: 2, f32: 4 });
  });
});

describe('sanitize', () => {
  it('zeroes non-finite values in place, clamps the rest, and returns the non-finite count', () => {
    const x = new Float32Array([NaN, 0.5, Infinity, -Infinity, 1.0001, -7, -1, 1, 0, -0.5]);
    const bad = sanitize(x);
    expect(bad).toBe(3);
    expect(Array.from(x)).toEqual([0, 0.5, 0, 0, 1, -1, -1, 1, 0, -0.5]);
  });

  it('leaves a clean in-range array untouched and returns 0', () => {
    const rng = mulberry32(5);
    const x = new Float32Array(1000);
    for (let i = 0; i < x.length; i++) x[i] = rng() * 2 - 1;
    const before = Array.from(x);
    expect(sanitize(x)).toBe(0);
    expect(Array.from(x)).toEqual(before);
  });

  it('handles an empty array', () => {
    expect(sanitize(new Float32Array(0))).toBe(0);
  });
});

describe('float32ToPcm16 ↔ PcmDecoder', () => {
  it('every value on the decoder grid (k/32768, all 65536 of them) round-trips exactly', () => {
    const x = new Float32Array(65536);
    for (let k = -32768; k < 32768; k++) x[k + 32768] = k / 32768;
    const bytes = float32ToPcm16(x);
    expect(bytes.length).toBe(x.length * 2);
    const y = new PcmDecoder('pcm16').decode(bytes).samples;
    let mismatches = 0;
    let firstBad = '';
    for (let i = 0; i < x.length; i++) {
      if (x[i] !== y[i]) {
        if (mismatches === 0) firstBad = `k=${i - 32768}: ${x[i]} → ${y[i]}`;
        mismatches++;
      }
    }
    expect(mismatches, firstBad).toBe(0);
  });

  it('every int16 survives decode → encode (bytes identical)', () => {
    const ints: number[] = [];
    for (let k = -32768; k < 32768; k++) ints.push(k);
    const bytes = encodePcm16(ints);
    const again = float32ToPcm16(new PcmDecoder('pcm16').decode(bytes).samples);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('writes little-endian, maps ±1 to the extremes, clamps out of range and zeroes NaN', () => {
    const bytes = float32ToPcm16(new Float32Array([-1, 1, 2, -2, NaN, 0, 0.5]));
    const view = new DataView(bytes.buffer);
    const ints = Array.from({ length: 7 }, (_, i) => view.getInt16(i * 2, true));
    expect(ints).toEqual([-32768, 32767, 32767, -32768, 0, 0, 16384]);
  });

  it('random in-range floats decode to within half an LSB, and re-encode to the same bytes', () => {
    const rng = mulberry32(42);
    const x = new Float32Array(5000);
    for (let i = 0; i < x.length; i++) x[i] = rng() * 2 - 1;
    const bytes = float32ToPcm16(x);
    const y = new PcmDecoder('pcm16').decode(bytes).samples;
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(0.5 / 32768 + 1e-12);
    }
    expect(Buffer.from(float32ToPcm16(y)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('encoded bytes split anywhere decode the same as whole', () => {
    const rng = mulberry32(8);
    const x = new Float32Array(64);
    for (let i = 0; i < x.length; i++) x[i] = rng() * 2 - 1;
    x[0] = -1;
    x[1] = 1;
    const bytes = float32ToPcm16(x);
    const whole = Array.from(new PcmDecoder('pcm16').decode(bytes).samples);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expectSameSamples(decodeSplit('pcm16', bytes, [cut]).samples, whole);
    }
  });
});
