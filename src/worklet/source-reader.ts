import type { SampleRing } from '../ring/sample-ring.js';

/**
 * The first stage of the engine's pipeline: the source samples in stream order, from the
 * ring, or first from a prefix (the samples a predecessor engine had taken from its ring but
 * not yet played, when the context was recreated). Tracks `absRead`, the absolute position of
 * the next sample. Reads come as contiguous runs, so a stage downstream reads the ring's own
 * memory without a copy. No method allocates or throws (except {@link SourceReader.lookbehind},
 * for a handover).
 */
export class SourceReader {
  readonly ring: SampleRing;
  /** Absolute count of samples consumed (played or dropped). */
  absRead = 0;
  #prefix: Float32Array = new Float32Array(0);
  #prefixAt = 0;
  #prefixLeft = 0;
  /** Absolute position just after the prefix's last sample. */
  #prefixEnd = 0;

  constructor(ring: SampleRing) {
    this.ring = ring;
  }

  /** Samples available now (prefix and ring). */
  available(): number {
    return this.#prefixLeft + this.ring.availableRead();
  }

  /** The array the next run lives in. */
  runArray(): Float32Array {
    return this.#prefixLeft > 0 ? this.#prefix : this.ring.data;
  }

  /** Index of the next sample in {@link runArray}. */
  runIndex(): number {
    return this.#prefixLeft > 0 ? this.#prefixAt : this.ring.readIndex();
  }

  /** Samples contiguous from {@link runIndex}. */
  runLength(): number {
    return this.#prefixLeft > 0 ? this.#prefixLeft : this.ring.contiguousRead();
  }

  /** Consumes `count` samples of the current run. */
  advance(count: number): void {
    if (this.#prefixLeft > 0) {
      this.#prefixAt += count;
      this.#prefixLeft -= count;
    } else this.ring.advance(count);
    this.absRead += count;
  }

  /** Drops every sample before absolute position `to` (an interrupt's flush). */
  skipTo(to: number): void {
    if (to > this.absRead && this.#prefixLeft > 0) {
      const skipped = Math.min(this.#prefixLeft, to - this.absRead);
      this.#prefixAt += skipped;
      this.#prefixLeft -= skipped;
      this.absRead += skipped;
    }
    if (to > this.absRead) this.absRead += this.ring.advance(to - this.absRead);
  }

  /**
   * For a handover: the `ahead` samples consumed last (still behind the ring's read position,
   * or in our own prefix) followed by the unread prefix, or null when new samples already
   * overwrote them (the ring was full). Allocates: message handler only.
   */
  lookbehind(ahead: number): Float32Array | null {
    const ring = this.ring;
    // The part of the lookahead before prefixEnd came from a prefix of our own (a second
    // recreation), the rest from just behind the ring's read position.
    const fromRing = Math.min(ahead, Math.max(0, this.absRead - this.#prefixEnd));
    const fromPrefix = ahead - fromRing;
    if (fromRing > ring.availableWrite()) return null;
    const out = new Float32Array(ahead + this.#prefixLeft);
    const prefixStart = this.#prefixEnd - this.#prefix.length;
    const at = this.absRead - ahead - prefixStart;
    out.set(this.#prefix.subarray(at, at + fromPrefix), 0);
    const cap = ring.data.length; // slots, one more than the capacity
    const from = (ring.readIndex() - fromRing + cap) % cap;
    for (let k = 0; k < fromRing; k++) out[fromPrefix + k] = ring.data[(from + k) % cap];
    out.set(this.#prefix.subarray(this.#prefixAt, this.#prefixAt + this.#prefixLeft), ahead);
    return out;
  }

  /** The unread prefix alone (when the lookbehind was lost). Allocates. */
  unreadPrefix(): Float32Array {
    return this.#prefix.slice(this.#prefixAt, this.#prefixAt + this.#prefixLeft);
  }

  /** Continues from a predecessor: position `absRead`, whose next samples are `prefix`. */
  restore(absRead: number, prefix: Float32Array): void {
    this.absRead = absRead;
    this.#prefix = prefix;
    this.#prefixAt = 0;
    this.#prefixLeft = prefix.length;
    this.#prefixEnd = absRead + prefix.length;
  }
}
