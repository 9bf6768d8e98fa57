/**
 * Pitch-synchronous time scaling of speech (speed with the pitch kept), for the audio thread.
 *
 * @packageDocumentation
 */
import { PitchFinder } from './pitch-period.js';

/** Slowest speed the stretcher plays. */
export const MIN_SPEED = 0.5;
/** Fastest speed the stretcher plays. */
export const MAX_SPEED = 2;

/**
 * Where the stretcher reports how its output maps to its input, as consecutive linear
 * pieces: `stretched` output samples stand for `source` input samples. The engine's source
 * map implements it; a test can log it.
 */
export interface StretchMapSink {
  /** Appends a piece: the next `stretched` output samples cover the next `source` input samples, linearly. */
  plan(stretched: number, source: number): void;
  /**
   * The last piece's cycle was cut short (by a speed change, or the end): it really made
   * `stretched` output samples from `source` input samples. `source` is never less than the
   * plan's slope gives for `stretched`: a map keeps that slope for what was made (what was
   * already read keeps its position) and jumps forward to `source` after it.
   */
  settle(stretched: number, source: number): void;
}

/**
 * Copies go out in pieces of at most this many samples (5 ms at 24 kHz), so a speed change
 * waits for no more than one of them, or for one splice (one period), whichever is longer.
 */
const COPY_CHUNK = 128;

/** The kinds of work the stretcher does next. */
const enum Op {
  /** Copy input samples through unchanged. */
  Copy,
  /** Drop one period: cross-fade it into the next (speed > 1). */
  Skip,
  /** Repeat one period: cross-fade back into the previous one (speed < 1). */
  Insert,
}

/**
 * Changes the speed of speech without changing its pitch, PICOLA / Sonic style: it finds the
 * pitch period (see {@link PitchFinder}) and drops (faster) or repeats (slower) whole periods
 * with a raised-cosine cross-fade, copying the samples between splices unchanged.
 *
 * Work comes in cycles: faster, one dropped period then the copies that bring the ratio back
 * to the speed; slower, the copies then one repeated period. Each cycle is reported to the
 * {@link StretchMapSink} as one linear piece, so the source map moves at the speed, not in
 * jumps of a period. A carried error (output made minus input used ÷ speed, since the last
 * speed change) sizes the copies, so the length never drifts: it stays within one period of
 * input ÷ speed however long the stream.
 *
 * Latency: two longest periods of input (740 samples at 24 kHz) before the first splice. A
 * speed change takes effect at the next piece of work: what is left of the current one is at
 * most one period (a splice) or 128 samples (a copy). At speed 1 it only copies what it holds: the caller should bypass it once it is
 * {@link TimeStretcher.idle}, which is bit for bit and adds no latency.
 *
 * Allocation and threading: everything is preallocated by the constructor; no other method
 * allocates or throws, so the whole class runs inside `process()`. Single thread.
 */
export class TimeStretcher {
  readonly rate: number;
  /** Shortest and longest pitch periods (samples) it splices. */
  readonly minPeriod: number;
  readonly maxPeriod: number;
  readonly #finder: PitchFinder;
  readonly #map: StretchMapSink | null;
  /** Input: history of up to maxPeriod samples before `inAt` (for repeats), then what is held. */
  readonly #input: Float32Array;
  #inAt = 0;
  #inEnd = 0;
  /** Output of the current piece of work, read out before the next one is made. */
  readonly #output: Float32Array;
  #outAt = 0;
  #outEnd = 0;
  #speedValue = 1;
  /**
   * Output made minus input used ÷ speed since the last speed change: how far the output is
   * ahead of the ideal length. Counted afresh at a change, so the new speed is exact from
   * there; a cycle the change cut short is at most one period off, and the map says so.
   */
  #error = 0;
  /** The last period spliced: reused near the end, where there is too little left to search. */
  #lastPeriod = 0;
  /** Copies still owed by the current cycle before its splice (slower) or after it (faster). */
  #copiesLeft = 0;
  /** Slower: the period the cycle will repeat once its copies are done (0: none planned). */
  #pendingInsert = 0;
  /** The current cycle's planned lengths and what it made and used so far (for settle()). */
  #cycleMade = 0;
  #cycleUsed = 0;
  #cyclePlanned = false;
  #plannedMade = 0;
  #plannedUsed = 0;
  #finishing = false;

  /**
   * @param rate - Sample rate (Hz) of the speech, which sets the pitch range.
   * @param map - Told how output maps to input; optional.
   */
  constructor(rate: number, map: StretchMapSink | null = null) {
    this.rate = rate;
    this.#finder = new PitchFinder(rate);
    this.minPeriod = this.#finder.minPeriod;
    this.maxPeriod = this.#finder.maxPeriod;
    this.#map = map;
    // History (maxPeriod) + lookahead (2·maxPeriod) + room for writes between compactions.
    this.#input = new Float32Array(6 * this.maxPeriod);
    this.#output = new Float32Array(this.maxPeriod);
  }

  /** Current speed (0.5–2). */
  get speed(): number {
    return this.#speedValue;
  }

  /**
   * Sets the speed (clamped to 0.5–2; NaN is ignored). It applies from the next piece of
   * work; the current cycle is cut short where it is, and the length is counted afresh.
   */
  setSpeed(speed: number): void {
    if (!(speed >= MIN_SPEED)) speed = speed <= MIN_SPEED ? MIN_SPEED : this.#speedValue;
    if (speed > MAX_SPEED) speed = MAX_SPEED;
    if (speed === this.#speedValue) return;
    this.#speedValue = speed;
    this.#endCycle();
    this.#error = 0;
  }

  /** Input samples held and not yet turned into output. */
  get held(): number {
    return this.#inEnd - this.#inAt;
  }

  /** Output samples made and not yet read. */
  get ready(): number {
    return this.#outEnd - this.#outAt;
  }

  /** Nothing held, nothing ready: at speed 1 the caller can bypass it from here. */
  get idle(): boolean {
    return this.#inEnd === this.#inAt && this.#outEnd === this.#outAt;
  }

  /** Input samples {@link write} can take now. */
  get space(): number {
    const keep = this.#inAt < this.maxPeriod ? this.#inAt : this.maxPeriod;
    return this.#input.length - (this.#inEnd - this.#inAt) - keep;
  }

  /** Input samples it needs before it can make output, unless {@link finish} was called. */
  get lookahead(): number {
    return 2 * this.maxPeriod;
  }

  /** Takes up to `count` samples of `src` from `offset`; returns how many it took. */
  write(src: Float32Array, offset: number, count: number): number {
    if (this.#finishing) return 0;
    if (this.#inEnd + count > this.#input.length) this.#compact();
    const room = this.#input.length - this.#inEnd;
    const n = count < room ? count : room;
    // Loops, not set(subarray()): a view is an allocation on the audio thread.
    const input = this.#input;
    const at = this.#inEnd;
    for (let i = 0; i < n; i++) input[at + i] = src[offset + i];
    this.#inEnd += n;
    return n;
  }

  /** No more input until {@link reset}: what is held may now be used up without lookahead. */
  finish(): void {
    this.#finishing = true;
  }

  /** Forgets everything (a new utterance, or an interrupt); keeps the speed. */
  reset(): void {
    this.#inAt = 0;
    this.#inEnd = 0;
    this.#outAt = 0;
    this.#outEnd = 0;
    this.#error = 0;
    this.#lastPeriod = 0;
    this.#copiesLeft = 0;
    this.#pendingInsert = 0;
    this.#cyclePlanned = false;
    this.#finishing = false;
  }

  /** Writes up to `max` output samples to `out` from `offset`; returns how many. */
  read(out: Float32Array, offset: number, max: number): number {
    let done = 0;
    while (done < max) {
      if (this.#outAt === this.#outEnd && !this.#work()) break;
      const n = Math.min(max - done, this.#outEnd - this.#outAt);
      const output = this.#output;
      const from = this.#outAt;
      const to = offset + done;
      for (let i = 0; i < n; i++) out[to + i] = output[from + i];
      this.#outAt += n;
      done += n;
    }
    if (this.#finishing && this.idle) this.#endCycle();
    return done;
  }

  /** Makes the next piece of work into the output buffer; false when it needs more input. */
  #work(): boolean {
    this.#outAt = 0;
    this.#outEnd = 0;
    const held = this.#inEnd - this.#inAt;
    if (held === 0) return false;
    const speed = this.#speedValue;
    if (speed === 1) return this.#copy(held, true);
    // A full lookahead, or the end: then no search, only the last period if it still fits.
    const full = held >= 2 * this.maxPeriod;
    if (!full && !this.#finishing) return false;
    if (this.#copiesLeft > 0) return this.#copy(this.#copiesLeft, false);
    if (this.#pendingInsert > 0) {
      if (held >= this.#pendingInsert) return this.#splice(Op.Insert, this.#pendingInsert);
      this.#endCycle();
      return this.#copy(held, true);
    }
    this.#endCycle();
    const last = this.#lastPeriod;
    if (speed > 1) {
      const period = full ? this.#finder.find(this.#input, this.#inAt, this.maxPeriod, false) : last > 0 && held >= 2 * last ? last : 0;
      if (period === 0) return this.#copy(held, true);
      // After dropping a period the error falls; the copies bring it back to zero.
      const error = this.#error + period - (2 * period) / speed;
      this.#copiesLeft = error < 0 ? Math.round(-error / (1 - 1 / speed)) : 0;
      this.#planCycle(period + this.#copiesLeft, 2 * period + this.#copiesLeft);
      return this.#splice(Op.Skip, period);
    }
    // Slower: repeat the period before `inAt`, which needs that much history.
    const history = this.#inAt < this.maxPeriod ? this.#inAt : this.maxPeriod;
    if (full && history < this.maxPeriod) return this.#copy(this.maxPeriod - history, true);
    // Repeat as many whole periods as fit in the longest one: fewer, longer repeats blur the
    // spectrum less than one cross-fade per period (mel-cepstral distance at 0.5×: 8.9 → 7.7 dB).
    const found = full ? this.#finder.find(this.#input, this.#inAt, this.maxPeriod, true) : 0;
    const period = full ? found * Math.max(1, Math.floor(this.maxPeriod / found)) : last > 0 && history >= last && held > last ? last : 0;
    if (period === 0) return this.#copy(held, true);
    // Copies lower the error by (1/speed − 1) each; the repeat raises it by one period.
    let copies = Math.max(0, Math.round((this.#error + period) / (1 / speed - 1)));
    // The repeat fades from the period ahead of it: keep one held for it. Near the end, at
    // least one copy per repeat, so the cycles always move on.
    if (!full) copies = copies < 1 ? 1 : copies > held - period ? held - period : copies;
    this.#copiesLeft = copies;
    this.#pendingInsert = period;
    this.#planCycle(copies + period, copies);
    return copies > 0 ? this.#copy(copies, false) : this.#splice(Op.Insert, period);
  }

  /** Copies up to `count` held samples (at most {@link COPY_CHUNK}, so a speed change is heard soon). */
  #copy(count: number, ownPiece: boolean): boolean {
    const held = this.#inEnd - this.#inAt;
    let n = count < held ? count : held;
    if (n > COPY_CHUNK) n = COPY_CHUNK;
    if (n <= 0) return false;
    const input = this.#input;
    const output = this.#output;
    const from = this.#inAt;
    for (let i = 0; i < n; i++) output[i] = input[from + i];
    this.#outEnd = n;
    this.#inAt += n;
    this.#error += n - n / this.#speedValue;
    if (ownPiece) {
      this.#endCycle();
      this.#map?.plan(n, n);
    } else {
      this.#copiesLeft -= n;
      this.#cycleMade += n;
      this.#cycleUsed += n;
    }
    return true;
  }

  /**
   * Drops (Skip) or repeats (Insert) one period with a raised-cosine cross-fade (smoother at
   * its ends than a linear one; the same sum for two equal periods).
   */
  #splice(op: Op, period: number): boolean {
    const x = this.#input;
    const out = this.#output;
    const at = this.#inAt;
    const inv = 1 / period;
    if (op === Op.Skip) {
      // Fade the period at `at` out while the next one fades in: continuous at both ends.
      for (let j = 0; j < period; j++) {
        const w = 0.5 - 0.5 * Math.cos(Math.PI * j * inv);
        out[j] = x[at + j] * (1 - w) + x[at + period + j] * w;
      }
      this.#inAt += 2 * period;
      this.#error -= (2 * period) / this.#speedValue;
      this.#cycleUsed += 2 * period;
    } else {
      // Fade from the samples at `at` back into the period before them: it ends just before `at` again.
      for (let j = 0; j < period; j++) {
        const w = 0.5 - 0.5 * Math.cos(Math.PI * j * inv);
        out[j] = x[at + j] * (1 - w) + x[at - period + j] * w;
      }
      this.#pendingInsert = 0;
    }
    this.#outEnd = period;
    this.#error += period;
    this.#cycleMade += period;
    this.#lastPeriod = period;
    return true;
  }

  /** Starts a cycle and reports its piece. */
  #planCycle(stretched: number, source: number): void {
    this.#cyclePlanned = true;
    this.#cycleMade = 0;
    this.#cycleUsed = 0;
    this.#plannedMade = stretched;
    this.#plannedUsed = source;
    this.#map?.plan(stretched, source);
  }

  /**
   * Closes the current cycle and tells the map what it really made when that differs from
   * the plan: cut short (a speed change, the end), or a repeat whose period was measured
   * again. Made less: settle (the map keeps the plan's slope and jumps forward). Made more (a
   * longer repeat, which uses no input): an extra piece of that many samples on no input.
   */
  #endCycle(): void {
    if (!this.#cyclePlanned) return;
    this.#cyclePlanned = false;
    this.#copiesLeft = 0;
    this.#pendingInsert = 0;
    const made = this.#cycleMade;
    if (made < this.#plannedMade || this.#cycleUsed !== this.#plannedUsed) this.#map?.settle(made, this.#cycleUsed);
    else if (made > this.#plannedMade) this.#map?.plan(made - this.#plannedMade, 0);
  }

  /** Moves the history and the held samples to the front of the input buffer. */
  #compact(): void {
    const keep = this.#inAt < this.maxPeriod ? this.#inAt : this.maxPeriod;
    const from = this.#inAt - keep;
    if (from === 0) return;
    this.#input.copyWithin(0, from, this.#inEnd);
    this.#inAt -= from;
    this.#inEnd -= from;
  }
}
