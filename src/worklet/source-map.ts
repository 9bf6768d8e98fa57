import type { StretchMapSink } from '../dsp/time-stretch.js';

/** Pieces remembered: several seconds of the busiest stretching (one piece per cycle of at least one period). */
export const MAP_HISTORY = 2048;

/** {@link SourceMap.stretchedAt}: the position is past what has been mapped so far. */
export const NOT_YET = Infinity;
/** {@link SourceMap.sourceAt} / {@link SourceMap.stretchedAt}: the history no longer covers it. */
export const FORGOTTEN = -1;

/** Fields of a piece record. */
const Piece = { Serial: 0, Stretched: 1, Source: 2, StretchedLength: 3, SourceLength: 4, Fields: 5 } as const;

/**
 * How an utterance's stretched stream (what the resampler reads: the source itself at speed
 * 1, else the time-stretcher's output) maps back to its source samples: consecutive linear
 * pieces, per utterance, monotone. Marks, `playedMs`, the interrupt's `playedSamples` and every
 * figure the engine reports stay in source time through it.
 *
 * At speed 1 the pieces have slope 1 and merge into one, so the map is the identity and costs
 * nothing. A circular history of {@link MAP_HISTORY} pieces; pure and preallocated: no method
 * allocates or throws.
 */
export class SourceMap implements StretchMapSink {
  readonly #pieces = new Float64Array(MAP_HISTORY * Piece.Fields);
  #last = -1;
  #count = 0;
  #serial = -1;
  /** End of the newest piece of the current utterance (stretched, source). */
  #stretchedEnd = 0;
  #sourceEnd = 0;

  /** Utterance `serial` maps from here: stretched position `stretched` is source position `source`. */
  open(serial: number, stretched: number, source: number): void {
    this.#serial = serial;
    this.#stretchedEnd = stretched;
    this.#sourceEnd = source;
    this.#append(0, 0);
  }

  /** Stretched samples made so far for the current utterance (the end of the newest piece). */
  get stretched(): number {
    return this.#stretchedEnd;
  }

  /** Appends a piece to the current utterance; slope-1 pieces that continue a slope-1 piece merge into it. */
  plan(stretched: number, source: number): void {
    const o = this.#last * Piece.Fields;
    const p = this.#pieces;
    if (stretched === source && p[o + Piece.StretchedLength] === p[o + Piece.SourceLength]) {
      p[o + Piece.StretchedLength] += stretched;
      p[o + Piece.SourceLength] += source;
    } else this.#append(stretched, source);
    this.#stretchedEnd += stretched;
    this.#sourceEnd += source;
  }

  /**
   * A stretch cycle cut short: the newest piece really made `stretched` samples from `source`.
   * The piece keeps its planned slope over what was made, so no position already read moves;
   * the map jumps forward to `source` after it (the next piece starts there).
   */
  settle(stretched: number, source: number): void {
    const o = this.#last * Piece.Fields;
    const p = this.#pieces;
    const planned = p[o + Piece.StretchedLength];
    const slope = planned > 0 ? p[o + Piece.SourceLength] / planned : 1;
    const along = Math.floor(stretched * slope);
    p[o + Piece.StretchedLength] = stretched;
    p[o + Piece.SourceLength] = along < source ? along : source;
    this.#stretchedEnd = p[o + Piece.Stretched] + stretched;
    this.#sourceEnd = p[o + Piece.Source] + source;
  }

  /**
   * Source position of stretched position `s` of utterance `serial` (floor within a piece),
   * the source end for a position past the newest piece, or {@link FORGOTTEN}.
   */
  sourceAt(serial: number, s: number): number {
    const p = this.#pieces;
    for (let k = 0; k < this.#count; k++) {
      const o = ((this.#last - k + MAP_HISTORY) % MAP_HISTORY) * Piece.Fields;
      if (p[o + Piece.Serial] < serial) break;
      if (p[o + Piece.Serial] > serial || s < p[o + Piece.Stretched]) continue;
      const length = p[o + Piece.StretchedLength];
      const into = s - p[o + Piece.Stretched];
      if (into >= length) return p[o + Piece.Source] + p[o + Piece.SourceLength];
      return p[o + Piece.Source] + Math.floor((into * p[o + Piece.SourceLength]) / length);
    }
    return FORGOTTEN;
  }

  /**
   * The first stretched position of utterance `serial` whose source position is at or past
   * `source`: where a mark on that source sample sounds. {@link NOT_YET} when no piece reaches
   * it yet, {@link FORGOTTEN} when the history no longer covers it.
   */
  stretchedAt(serial: number, source: number): number {
    if (serial > this.#serial) return NOT_YET;
    const p = this.#pieces;
    // Newest first; `next` is the start of the piece after the one looked at.
    let next = NOT_YET;
    let nextFrom = -1;
    for (let k = 0; k < this.#count; k++) {
      const o = ((this.#last - k + MAP_HISTORY) % MAP_HISTORY) * Piece.Fields;
      if (p[o + Piece.Serial] < serial) break;
      if (p[o + Piece.Serial] > serial) continue;
      const from = p[o + Piece.Source];
      const length = p[o + Piece.SourceLength];
      // At or past its end (or in a jump after it): it first sounds where the next piece starts.
      if (source > from + length || (source === from + length && length > 0)) return next;
      if (source > from) return p[o + Piece.Stretched] + Math.ceil(((source - from) * p[o + Piece.StretchedLength]) / length);
      next = p[o + Piece.Stretched];
      nextFrom = from;
    }
    // Before the first piece this history holds of it: played before the map began.
    return source === nextFrom ? next : FORGOTTEN;
  }

  #append(stretched: number, source: number): void {
    this.#last = (this.#last + 1) % MAP_HISTORY;
    if (this.#count < MAP_HISTORY) this.#count++;
    const o = this.#last * Piece.Fields;
    const p = this.#pieces;
    p[o + Piece.Serial] = this.#serial;
    p[o + Piece.Stretched] = this.#stretchedEnd;
    p[o + Piece.Source] = this.#sourceEnd;
    p[o + Piece.StretchedLength] = stretched;
    p[o + Piece.SourceLength] = source;
  }
}
