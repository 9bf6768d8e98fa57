/**
 * Click-free gain changes for the audio render thread.
 *
 * @packageDocumentation
 */

/**
 * Click-free gain ramps (raised cosine) applied in place.
 *
 * A ramp of length L from gain g0 to g1 multiplies its n-th sample (n = 1..L)
 * by `g0 + (g1 - g0) * (1 - cos(pi * n / L)) / 2`: monotone, zero slope at
 * both ends, largest per-sample step `|g1 - g0| * sin(pi / (2L))` (so at most
 * `|g1 - g0| * pi / (2L)`), and exactly g1 on the last sample. The
 * gain is a function of the sample index only, so how the signal is split
 * into {@link Fader.apply} calls does not change the result.
 *
 * Allocation and threading: allocates nothing, creates no closures and never
 * throws, so every method (constructor included) is safe to call from an
 * AudioWorklet's `process()`. An instance is not thread-safe: use it from a
 * single thread.
 */
export class Fader {
  // Initialised here, not only in the constructor: a bare declaration is
  // emitted as a class field holding `undefined`, which leaves V8 with a
  // generic field, and every later store of a non-integer gain would then
  // allocate a HeapNumber on the audio thread.
  /**
   * Current gain: the gain applied to the most recent sample, or the gain a
   * ramp starts from. Writing it directly jumps (and leaves any ramp running
   * from its original start); prefer {@link rampTo}.
   */
  gain = 1;

  #start = 1;
  #target = 1;
  #length = 0;
  #pos = 0;

  /** @param initialGain - Starting gain, default 1. Non-finite values are treated as 1. */
  constructor(initialGain = 1) {
    this.gain = Number.isFinite(initialGain) ? initialGain : 1;
    this.#start = this.gain;
    this.#target = this.gain;
  }

  /** True while a ramp has samples left. */
  get ramping(): boolean {
    return this.#pos < this.#length;
  }

  /** Samples left in the current ramp (0 when not ramping). */
  get remaining(): number {
    return this.#length - this.#pos;
  }

  /**
   * Starts a ramp from the current gain to `target` over `lengthSamples`
   * samples, replacing any ramp in progress without a jump (the new ramp
   * starts from wherever the old one got to). A length of 0 (or less) sets
   * the gain immediately. A non-finite target is ignored; a non-finite or
   * fractional length is floored / treated as 0. Allocation-free; never throws.
   */
  rampTo(target: number, lengthSamples: number): void {
    if (!Number.isFinite(target)) return;
    const len = lengthSamples >= 1 && lengthSamples < Infinity ? Math.floor(lengthSamples) : 0;
    if (len === 0) {
      this.gain = target;
      this.#start = target;
      this.#target = target;
      this.#length = 0;
      this.#pos = 0;
      return;
    }
    this.#start = this.gain;
    this.#target = target;
    this.#length = len;
    this.#pos = 0;
  }

  /**
   * Multiplies buf[offset .. offset+count) by the gain, advancing any ramp.
   * When the gain is exactly 1 and no ramp is active the samples are not
   * touched (bit-exact pass-through). The range is clamped to the array.
   * Allocation-free; never throws.
   */
  apply(buf: Float32Array, offset: number, count: number): void {
    offset = offset > 0 ? offset | 0 : 0;
    count = Math.min(count > 0 ? count | 0 : 0, Math.max(0, buf.length - offset));
    let i = offset;
    const end = offset + count;
    if (this.#pos < this.#length) {
      const start = this.#start;
      const target = this.#target;
      const half = (target - start) * 0.5;
      const len = this.#length;
      const w = Math.PI / len;
      let pos = this.#pos;
      // The ramp's last sample is peeled off the loop: it is pinned to the
      // target so a fade-out ends at exactly 0 (the cosine gives ~1e-17).
      const stop = Math.min(len - 1, pos + (end - i));
      while (pos < stop) {
        pos++;
        buf[i++] *= start + half * (1 - Math.cos(w * pos));
      }
      if (pos === len - 1 && i < end) {
        buf[i++] *= target;
        this.gain = target;
        this.#start = target;
        this.#length = 0;
        this.#pos = 0;
      } else {
        this.#pos = pos;
        if (pos > 0) this.gain = start + half * (1 - Math.cos(w * pos));
      }
    }
    if (i >= end) return;
    const g = this.gain;
    if (g === 1) return;
    if (g === 0) {
      // fill() also clears NaN/Inf that multiplying by 0 would keep.
      buf.fill(0, i, end);
      return;
    }
    for (; i < end; i++) buf[i] *= g;
  }
}
