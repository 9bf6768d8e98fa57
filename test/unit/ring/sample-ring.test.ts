import { describe, expect, it } from 'vitest';
import { SampleRing } from '../../../src/ring/sample-ring';
import { mulberry32 } from '../prng';

function makeRing(capacity: number): SampleRing {
  return new SampleRing(new ArrayBuffer(SampleRing.bytesFor(capacity)), capacity);
}

/** 1, 2, 3, ... from `start`: every sample is distinct and exactly representable. */
function counter(start: number, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = start + i;
  return x;
}

/** Reads the readable samples in place (readIndex/contiguousRead) without advancing. */
function peekInPlace(ring: SampleRing): number[] {
  const out: number[] = [];
  const start = ring.readIndex();
  const run = ring.contiguousRead();
  for (let i = 0; i < run; i++) out.push(ring.data[start + i]);
  return out;
}

describe('SampleRing.bytesFor / constructor', () => {
  it('needs 8 index bytes plus capacity + 1 float slots', () => {
    expect(SampleRing.bytesFor(1)).toBe(8 + 2 * 4);
    expect(SampleRing.bytesFor(1000)).toBe(8 + 1001 * 4);
    const ring = makeRing(10);
    expect(ring.capacity).toBe(10);
    expect(ring.data.length).toBe(11);
  });

  it.each([0, -1, 1.5, NaN, Infinity, -Infinity])('bytesFor(%s) throws a RangeError', (bad) => {
    expect(() => SampleRing.bytesFor(bad)).toThrow(RangeError);
    expect(() => SampleRing.bytesFor(bad)).toThrow(String(bad));
  });

  it('the constructor rejects a bad capacity and a buffer that is too small', () => {
    expect(() => new SampleRing(new ArrayBuffer(1024), 0)).toThrow(RangeError);
    expect(() => new SampleRing(new ArrayBuffer(1024), 2.5)).toThrow(RangeError);
    const need = SampleRing.bytesFor(100);
    expect(() => new SampleRing(new ArrayBuffer(need - 4), 100)).toThrow(RangeError);
    expect(() => new SampleRing(new ArrayBuffer(need - 4), 100)).toThrow(String(need));
    expect(() => new SampleRing(new ArrayBuffer(need), 100)).not.toThrow();
    // A larger buffer is fine; the ring uses its prefix.
    expect(new SampleRing(new ArrayBuffer(need + 64), 100).data.length).toBe(101);
  });

  it('starts empty', () => {
    const ring = makeRing(8);
    expect(ring.availableRead()).toBe(0);
    expect(ring.availableWrite()).toBe(8);
    expect(ring.contiguousRead()).toBe(0);
    expect(ring.readIndex()).toBe(0);
    expect(ring.read(new Float32Array(4), 0, 4)).toBe(0);
    expect(ring.advance(3)).toBe(0);
  });
});

describe('SampleRing capacity and wraparound', () => {
  it('holds exactly `capacity` samples: full at capacity, then refuses more', () => {
    for (const cap of [1, 2, 3, 7, 64]) {
      const ring = makeRing(cap);
      expect(ring.write(counter(1, cap + 5), 0, cap + 5)).toBe(cap);
      expect(ring.availableRead()).toBe(cap);
      expect(ring.availableWrite()).toBe(0);
      expect(ring.write(counter(100, 1), 0, 1)).toBe(0);
      const dst = new Float32Array(cap + 5);
      expect(ring.read(dst, 0, cap + 5)).toBe(cap);
      expect(Array.from(dst.subarray(0, cap))).toEqual(Array.from(counter(1, cap)));
      expect(ring.availableRead()).toBe(0);
      expect(ring.availableWrite()).toBe(cap);
    }
  });

  it('keeps one slot empty: read and write indices never coincide when full', () => {
    const cap = 5;
    const buffer = new ArrayBuffer(SampleRing.bytesFor(cap));
    const ring = new SampleRing(buffer, cap);
    const idx = new Int32Array(buffer, 0, 2);
    const starts = new Set<number>();
    for (let shift = 0; shift < 2 * (cap + 1); shift++) {
      ring.write(counter(0, cap), 0, cap);
      expect(ring.availableRead()).toBe(cap);
      // full ⇔ (write + 1) mod (capacity + 1) === read
      expect((idx[1] + 1) % (cap + 1)).toBe(idx[0]);
      expect(idx[0]).not.toBe(idx[1]);
      // Emptying moves the start by cap ≡ -1 (mod cap + 1): every start position is covered.
      starts.add(idx[0]);
      expect(ring.advance(cap)).toBe(cap);
      expect(idx[0]).toBe(idx[1]);
    }
    expect(starts.size).toBe(cap + 1);
  });

  it('write returns the count that fit when asked for more than the free space', () => {
    const ring = makeRing(10);
    expect(ring.write(counter(1, 6), 0, 6)).toBe(6);
    expect(ring.write(counter(7, 6), 0, 6)).toBe(4);
    expect(ring.availableWrite()).toBe(0);
    const dst = new Float32Array(10);
    expect(ring.read(dst, 0, 10)).toBe(10);
    expect(Array.from(dst)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('write honours the source offset and count', () => {
    const ring = makeRing(10);
    const src = counter(0, 20);
    expect(ring.write(src, 5, 3)).toBe(3);
    expect(ring.write(src, 12, 0)).toBe(0);
    const dst = new Float32Array(5).fill(-1);
    expect(ring.read(dst, 1, 10)).toBe(3);
    expect(Array.from(dst)).toEqual([-1, 5, 6, 7, -1]);
  });

  it('wraps around: a write across the end lands split, and read() returns it in order', () => {
    const ring = makeRing(6); // 7 slots
    ring.write(counter(1, 5), 0, 5);
    expect(ring.read(new Float32Array(5), 0, 5)).toBe(5); // read = write = 5
    expect(ring.write(counter(10, 6), 0, 6)).toBe(6); // slots 5,6 then 0..3
    expect(ring.readIndex()).toBe(5);
    expect(ring.contiguousRead()).toBe(2);
    expect(peekInPlace(ring)).toEqual([10, 11]);
    expect(Array.from(ring.data.subarray(0, 4))).toEqual([12, 13, 14, 15]);
    const dst = new Float32Array(6);
    expect(ring.read(dst, 0, 6)).toBe(6);
    expect(Array.from(dst)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(ring.availableRead()).toBe(0);
  });

  it('contiguousRead/readIndex/advance read in place across the wrap', () => {
    const ring = makeRing(6);
    ring.write(counter(0, 4), 0, 4);
    ring.advance(4);
    ring.write(counter(100, 6), 0, 6); // slots 4,5,6 then 0,1,2
    const got: number[] = [];
    let guard = 0;
    while (ring.availableRead() > 0 && guard++ < 10) {
      const run = ring.contiguousRead();
      expect(run).toBeGreaterThan(0);
      got.push(...peekInPlace(ring));
      expect(ring.advance(run)).toBe(run);
    }
    expect(got).toEqual([100, 101, 102, 103, 104, 105]);
    expect(guard).toBe(2); // exactly two runs: before and after the wrap
  });

  it('advance is clamped to what is available', () => {
    const ring = makeRing(8);
    ring.write(counter(1, 3), 0, 3);
    expect(ring.advance(10)).toBe(2 + 1);
    expect(ring.availableRead()).toBe(0);
    expect(ring.advance(1)).toBe(0);
    expect(ring.advance(0)).toBe(0);
    ring.write(counter(7, 4), 0, 4);
    expect(ring.advance(1)).toBe(1);
    expect(peekInPlace(ring)).toEqual([8, 9, 10]);
  });

  it('read stops at what is available and writes only dst[offset..offset+n)', () => {
    const ring = makeRing(8);
    ring.write(counter(1, 3), 0, 3);
    const dst = new Float32Array(8).fill(-5);
    expect(ring.read(dst, 2, 6)).toBe(3);
    expect(Array.from(dst)).toEqual([-5, -5, 1, 2, 3, -5, -5, -5]);
    expect(ring.read(dst, 0, 0)).toBe(0);
  });
});

describe('SampleRing property test against an array queue', () => {
  for (let seed = 1; seed <= 20; seed++) {
    it(`seed ${seed}: 2000 random write/read/advance/peek operations match the model`, () => {
      const rng = mulberry32(seed * 7919);
      const cap = 1 + Math.floor(rng() * 50);
      const ring = makeRing(cap);
      const model: number[] = [];
      let next = 1;
      const dst = new Float32Array(2 * cap + 4);
      const check = () => {
        expect(ring.availableRead()).toBe(model.length);
        expect(ring.availableWrite()).toBe(cap - model.length);
        const run = ring.contiguousRead();
        const ri = ring.readIndex();
        expect(ri).toBeGreaterThanOrEqual(0);
        expect(ri).toBeLessThanOrEqual(cap);
        // The contiguous run is everything available, or up to the end of the slots.
        expect(run).toBe(Math.min(model.length, cap + 1 - ri));
        expect(peekInPlace(ring)).toEqual(model.slice(0, run));
      };
      for (let op = 0; op < 2000; op++) {
        const r = rng();
        if (r < 0.4) {
          const count = Math.floor(rng() * (cap + 3));
          const src = counter(next, count);
          const wrote = ring.write(src, 0, count);
          expect(wrote).toBe(Math.min(count, cap - model.length));
          for (let i = 0; i < wrote; i++) model.push(next + i);
          next += wrote;
        } else if (r < 0.7) {
          const count = Math.floor(rng() * (cap + 3));
          const offset = Math.floor(rng() * 3);
          const got = ring.read(dst, offset, count);
          const want = model.splice(0, Math.min(count, model.length));
          expect(got).toBe(want.length);
          expect(Array.from(dst.subarray(offset, offset + got))).toEqual(want);
        } else if (r < 0.9) {
          const count = Math.floor(rng() * (cap + 3));
          const n = ring.advance(count);
          expect(n).toBe(Math.min(count, model.length));
          model.splice(0, n);
        } else {
          // In-place consumption of one contiguous run, as process() does it.
          const run = ring.contiguousRead();
          const seen = peekInPlace(ring);
          expect(ring.advance(run)).toBe(run);
          expect(seen).toEqual(model.splice(0, run));
        }
        check();
      }
      // Drain: everything ever written came out in order, exactly once.
      const rest: number[] = [];
      while (ring.availableRead() > 0) {
        const n = ring.read(dst, 0, dst.length);
        rest.push(...Array.from(dst.subarray(0, n)));
      }
      expect(rest).toEqual(model);
    });
  }
});

describe('SampleRing over a SharedArrayBuffer', () => {
  it('a producer view and a consumer view over the same buffer see the same state', () => {
    const cap = 16;
    const sab = new SharedArrayBuffer(SampleRing.bytesFor(cap));
    const producer = new SampleRing(sab, cap);
    const consumer = new SampleRing(sab, cap);
    expect(producer.data).not.toBe(consumer.data);

    expect(producer.write(counter(1, 10), 0, 10)).toBe(10);
    expect(consumer.availableRead()).toBe(10);
    expect(consumer.availableWrite()).toBe(6);
    expect(peekInPlace(consumer)).toEqual(Array.from(counter(1, 10)));

    expect(consumer.advance(7)).toBe(7);
    expect(producer.availableRead()).toBe(3);
    expect(producer.availableWrite()).toBe(13);

    // The producer wraps; the consumer reads across the wrap.
    expect(producer.write(counter(11, 20), 0, 20)).toBe(13);
    expect(producer.availableWrite()).toBe(0);
    expect(consumer.availableRead()).toBe(16);
    const dst = new Float32Array(16);
    expect(consumer.read(dst, 0, 16)).toBe(16);
    expect(Array.from(dst)).toEqual(Array.from(counter(8, 16)));
    expect(producer.availableRead()).toBe(0);
    expect(producer.readIndex()).toBe(consumer.readIndex());
  });

  it('interleaved producer/consumer on separate views deliver a long stream in order', () => {
    const rng = mulberry32(2024);
    const cap = 37;
    const sab = new SharedArrayBuffer(SampleRing.bytesFor(cap));
    const producer = new SampleRing(sab, cap);
    const consumer = new SampleRing(sab, cap);
    let next = 0;
    let expected = 0;
    const dst = new Float32Array(cap);
    for (let step = 0; step < 3000; step++) {
      if (rng() < 0.5) {
        const n = Math.floor(rng() * 20);
        next += producer.write(counter(next, n), 0, n);
      } else {
        const got = consumer.read(dst, 0, Math.floor(rng() * 20));
        for (let i = 0; i < got; i++) expect(dst[i]).toBe(expected++);
      }
      expect(consumer.availableRead()).toBe(next - expected);
      expect(producer.availableRead()).toBe(next - expected);
    }
    expect(next).toBeGreaterThan(10 * cap);
  });
});
