/**
 * Single-producer single-consumer ring of Float32 samples.
 *
 * Memory layout of the backing buffer (shared or not):
 *   bytes 0..7   Int32 read index, Int32 write index (Atomics, so a SharedArrayBuffer works)
 *   bytes 8..    (capacity + 1) Float32 slots
 *
 * Invariants:
 * - 0 ≤ read, write ≤ capacity (indices into capacity + 1 slots).
 * - One slot always stays empty, so read === write means empty and
 *   (write + 1) mod (capacity + 1) === read means full; no shared counter is needed.
 * - Only the producer stores `write`, only the consumer stores `read`. Each publishes its
 *   index after (producer) or after reading (consumer) the samples it covers, with
 *   Atomics.store, so the other side never sees an index ahead of the data.
 *
 * No method allocates; all are safe to call from an AudioWorklet's process().
 */
export class SampleRing {
  /** Samples the ring can hold at once. */
  readonly capacity: number;
  /** The sample slots; read them through the indices the consumer methods give. */
  readonly data: Float32Array;
  readonly #indices: Int32Array;
  readonly #slots: number;

  /** Bytes of backing buffer a ring of `capacity` samples needs. */
  static bytesFor(capacity: number): number {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`voxplay: ring capacity must be a positive integer, got ${capacity}`);
    }
    return 8 + (capacity + 1) * 4;
  }

  /** Wraps `buffer` (from {@link SampleRing.bytesFor}); both sides construct over the same buffer. */
  constructor(buffer: ArrayBuffer | SharedArrayBuffer, capacity: number) {
    const need = SampleRing.bytesFor(capacity);
    if (buffer.byteLength < need) {
      throw new RangeError(`voxplay: ring buffer of ${buffer.byteLength} bytes is too small for ${capacity} samples (${need} needed)`);
    }
    this.capacity = capacity;
    this.#slots = capacity + 1;
    this.#indices = new Int32Array(buffer, 0, 2);
    this.data = new Float32Array(buffer, 8, this.#slots);
  }

  /** Samples ready to read. Either side may call it. */
  availableRead(): number {
    const read = Atomics.load(this.#indices, 0);
    const write = Atomics.load(this.#indices, 1);
    return (write - read + this.#slots) % this.#slots;
  }

  /** Free space for writing. Either side may call it. */
  availableWrite(): number {
    return this.capacity - this.availableRead();
  }

  /**
   * Producer: copies up to `count` samples from `src[offset..]`; returns how many fit.
   */
  write(src: Float32Array, offset: number, count: number): number {
    const read = Atomics.load(this.#indices, 0);
    const write = Atomics.load(this.#indices, 1);
    const free = this.capacity - ((write - read + this.#slots) % this.#slots);
    const n = count <= 0 ? 0 : count < free ? count : free;
    const first = Math.min(n, this.#slots - write);
    // subarray allocates, but the producer is the main thread (or the worklet's
    // message handler, outside process()), where that is allowed.
    this.data.set(src.subarray(offset, offset + first), write);
    if (n > first) this.data.set(src.subarray(offset + first, offset + n), 0);
    Atomics.store(this.#indices, 1, (write + n) % this.#slots);
    return n;
  }

  /**
   * Consumer: index into {@link SampleRing.data} of the next sample to read, and (via
   * {@link SampleRing.contiguousRead}) how many follow it without wrapping. Read them in
   * place, then {@link SampleRing.advance}. This is how process() reads without copying.
   */
  readIndex(): number {
    return Atomics.load(this.#indices, 0);
  }

  /** Consumer: readable samples from {@link SampleRing.readIndex} up to the wrap point. */
  contiguousRead(): number {
    const read = Atomics.load(this.#indices, 0);
    const write = Atomics.load(this.#indices, 1);
    return write >= read ? write - read : this.#slots - read;
  }

  /** Consumer: marks `count` samples read (or dropped). Clamped to what is available; returns the count advanced. */
  advance(count: number): number {
    if (!(count > 0)) return 0;
    const available = this.availableRead();
    const n = count < available ? count : available;
    Atomics.store(this.#indices, 0, (Atomics.load(this.#indices, 0) + n) % this.#slots);
    return n;
  }

  /** Consumer: copies up to `count` samples into `dst[offset..]` and advances; returns how many. */
  read(dst: Float32Array, offset: number, count: number): number {
    let done = 0;
    while (done < count) {
      const run = Math.min(this.contiguousRead(), count - done);
      if (run === 0) break;
      const start = this.readIndex();
      for (let i = 0; i < run; i++) dst[offset + done + i] = this.data[start + i];
      this.advance(run);
      done += run;
    }
    return done;
  }
}
