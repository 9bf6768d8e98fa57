/**
 * Pitch-period search for the time-stretcher: the lag at which a stretch of speech best
 * repeats itself.
 *
 * @packageDocumentation
 */

/** Highest voice pitch searched (Hz): the shortest period. Sonic's range, made for speech. */
export const PITCH_MAX_HZ = 400;
/** Lowest voice pitch searched (Hz): the longest period, 370 samples at 24 kHz. */
export const PITCH_MIN_HZ = 65;
/** The coarse search runs on a copy decimated to about this rate, which is plenty for 65–400 Hz. */
const COARSE_RATE = 4000;

/**
 * Finds the pitch period with the average magnitude difference function (AMDF): a coarse
 * search over every lag on a decimated copy (box-averaged to about 4 kHz), then a search at
 * the full rate within one decimation step of the coarse winner. Each lag's difference is
 * divided by the lag, so long lags are not favoured for having more terms.
 *
 * Which lag wins among a period's multiples does not matter to the stretcher: any whole
 * number of periods splices cleanly.
 *
 * Allocation and threading: the constructor preallocates the decimated copy; {@link find}
 * allocates nothing and never throws, so it runs inside `process()`.
 */
export class PitchFinder {
  /** Shortest period searched, in samples. */
  readonly minPeriod: number;
  /** Longest period searched, in samples. */
  readonly maxPeriod: number;
  /** Samples averaged into one of the coarse copy. */
  readonly #step: number;
  readonly #coarse: Float32Array;
  /** Coarse scores by lag. */
  readonly #scores: Float32Array;

  /** @param rate - Sample rate of the signal searched (Hz). */
  constructor(rate: number) {
    this.minPeriod = Math.max(2, Math.floor(rate / PITCH_MAX_HZ));
    this.maxPeriod = Math.max(this.minPeriod, Math.ceil(rate / PITCH_MIN_HZ));
    this.#step = Math.max(1, Math.round(rate / COARSE_RATE));
    this.#coarse = new Float32Array(Math.ceil((2 * this.maxPeriod) / this.#step) + 2);
    this.#scores = new Float32Array(Math.ceil(this.maxPeriod / this.#step) + 2);
  }

  /**
   * The best period in [minPeriod, limit] around position `at` of `x`.
   *
   * Forward (`back` false): how well `x[at + i]` matches `x[at + i + lag]`, for a splice that
   * drops the period after `at`; needs `x[at .. at + 2·limit)`. Backward: how well
   * `x[at - lag + i]` matches `x[at + i]`, for one that repeats the period before `at`; needs
   * `x[at - limit .. at + limit)`. `limit` must be at least `minPeriod` and at most `maxPeriod`.
   */
  find(x: Float32Array, at: number, limit: number, back: boolean): number {
    const step = this.#step;
    const min = this.minPeriod;
    // Coarse copy of the window [origin, origin + 2·limit): box averages of `step` samples.
    const origin = back ? at - limit : at;
    const count = Math.floor((2 * limit) / step);
    const coarse = this.#coarse;
    for (let k = 0; k < count; k++) {
      let sum = 0;
      const o = origin + k * step;
      for (let j = 0; j < step; j++) sum += x[o + j];
      coarse[k] = sum;
    }
    // The coarse centre (position `at`) is index limit/step of the copy when searching back.
    const centre = back ? Math.floor(limit / step) : 0;
    let best = -1;
    let bestScore = Infinity;
    const lo = Math.max(1, Math.ceil(min / step));
    const hi = Math.max(lo, Math.floor(limit / step));
    for (let lag = lo; lag <= hi; lag++) {
      const from = back ? centre - lag : 0;
      if (from < 0 || from + 2 * lag > count) continue;
      let diff = 0;
      for (let i = 0; i < lag; i++) {
        const d = coarse[from + i] - coarse[from + i + lag];
        diff += d < 0 ? -d : d;
      }
      const score = diff / lag;
      this.#scores[lag] = score;
      if (score < bestScore) {
        bestScore = score;
        best = lag;
      }
    }
    if (best < 0) return Math.max(min, Math.min(limit, this.maxPeriod));
    // A multiple of the period scores as well as the period itself: take the shortest that
    // scores nearly as well, so splices stay short (a speed change is heard sooner, cycles
    // are finer). Only whole fractions of the winner qualify, never just any short lag.
    let level = 0;
    for (let k = 0; k < count; k++) level += coarse[k] < 0 ? -coarse[k] : coarse[k];
    const tolerance = bestScore * 1.15 + (1e-3 * level) / (count > 0 ? count : 1);
    for (let divisor = 4; divisor >= 2; divisor--) {
      const lag = Math.round(best / divisor);
      if (lag >= lo && this.#scores[lag] <= tolerance) {
        best = lag;
        break;
      }
    }
    // Full-rate refinement within one step of the coarse lag.
    const rlo = Math.max(min, best * step - step);
    const rhi = Math.min(limit, best * step + step);
    let period = Math.max(min, Math.min(limit, best * step));
    bestScore = Infinity;
    for (let lag = rlo; lag <= rhi; lag++) {
      const from = back ? at - lag : at;
      let diff = 0;
      for (let i = 0; i < lag; i++) {
        const d = x[from + i] - x[from + i + lag];
        diff += d < 0 ? -d : d;
      }
      const score = diff / lag;
      if (score < bestScore) {
        bestScore = score;
        period = lag;
      }
    }
    return period;
  }
}
