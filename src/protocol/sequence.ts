/**
 * Per-utterance sequence checking for framed audio.
 *
 * Invariants:
 * - For each tracked utterance the tracker holds one number: the next `seq`
 *   it expects. An untracked utterance expects 0.
 * - `ok` and `gap` advance the expectation to `got + 1` (a gap is reported
 *   once, then the stream resynchronises); `duplicate-or-reordered` leaves it
 *   unchanged, because audio already played past cannot be inserted.
 * - At most {@link MAX_TRACKED_UTTERANCES} utterances are held; adding one
 *   more forgets the least recently checked. An evicted utterance that sends
 *   again is treated as new, so its next frame reports a gap of `seq` frames.
 *
 * @packageDocumentation
 */

/** How many utterances a {@link SequenceTracker} remembers at once. */
export const MAX_TRACKED_UTTERANCES = 64;

/**
 * Outcome of {@link SequenceTracker.check}:
 * - `ok`: `got` was the expected seq.
 * - `gap`: `got` is ahead; `missing = got - expected` frames never arrived (yet).
 * - `duplicate-or-reordered`: `got` is behind the expected seq; drop the frame.
 */
export type SeqResult =
  { kind: 'ok' } | { kind: 'gap'; missing: number; expected: number; got: number } | { kind: 'duplicate-or-reordered'; expected: number; got: number };

const OK: SeqResult = Object.freeze({ kind: 'ok' });
const U32_MAX = 0xffff_ffff;

/**
 * Detects missing, duplicate and reordered frames, per utterance.
 *
 * Ids are compared as strings, so the numeric id from a frame header and the
 * `String(id)` from a JSON control message name the same utterance. Call
 * {@link SequenceTracker.forget} after an utterance's end frame (or an
 * interrupt) so a reused id starts again at 0.
 */
export class SequenceTracker {
  // Map iteration order is insertion order; re-inserting on every check keeps
  // the least recently checked utterance first, making eviction O(1).
  readonly #next = new Map<string, number>();

  /** Number of utterances currently tracked (≤ {@link MAX_TRACKED_UTTERANCES}). */
  get size(): number {
    return this.#next.size;
  }

  /**
   * Records that frame `seq` of `utteranceId` arrived and classifies it.
   *
   * @param utteranceId - Frame header id, or the JSON string form of it.
   * @param seq - The frame's sequence number, a u32 (as decoded from a header).
   * @throws RangeError if `seq` is not an integer in 0..2^32-1: only decoded
   *   headers should reach here, so that is a caller bug.
   */
  check(utteranceId: number | string, seq: number): SeqResult {
    if (!Number.isInteger(seq) || seq < 0 || seq > U32_MAX) {
      throw new RangeError(`SequenceTracker.check: seq ${seq} is not a u32`);
    }
    const key = String(utteranceId);
    const expected = this.#next.get(key);
    if (expected === undefined) {
      if (this.#next.size >= MAX_TRACKED_UTTERANCES) {
        // First key is the least recently checked; see #next.
        const oldest = this.#next.keys().next().value as string;
        this.#next.delete(oldest);
      }
      this.#next.set(key, seq + 1);
      return seq === 0 ? OK : { kind: 'gap', missing: seq, expected: 0, got: seq };
    }
    this.#next.delete(key);
    if (seq < expected) {
      this.#next.set(key, expected);
      return { kind: 'duplicate-or-reordered', expected, got: seq };
    }
    this.#next.set(key, seq + 1);
    return seq === expected ? OK : { kind: 'gap', missing: seq - expected, expected, got: seq };
  }

  /** Stops tracking `utteranceId`; its next frame is expected to be seq 0. */
  forget(utteranceId: number | string): void {
    this.#next.delete(String(utteranceId));
  }
}
