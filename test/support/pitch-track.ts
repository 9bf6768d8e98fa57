/**
 * Measuring tools for the time-stretcher's goals (issue 24): a YIN fundamental-frequency
 * tracker and an "energy outside a tone" figure for clicks. Pure TypeScript, no deps, Node or
 * browser; float64 throughout.
 *
 * YIN is de Cheveigné and Kawahara's estimator ("YIN, a fundamental frequency estimator for
 * speech and music", JASA 111(4), 2002), steps 2–5 of the paper: the difference function,
 * its cumulative mean normalized form, the absolute threshold, and parabolic interpolation
 * (step 6, the "best local estimate", is left out: the frames here are short and steady).
 */

/** Options of {@link yinTrack}. */
export interface YinOptions {
  /** Analysis frame (ms); the integration window is the frame less the longest lag. Default 40. */
  frameMs?: number;
  /** Hop between frames (ms). Default 10. */
  hopMs?: number;
  /** Lowest F0 searched (Hz): the longest lag. Default 60. */
  minF0?: number;
  /** Highest F0 searched (Hz): the shortest lag. Default 500. */
  maxF0?: number;
  /** YIN's absolute threshold on the normalized difference (the paper uses 0.1). Default 0.15. */
  threshold?: number;
  /** Frames whose RMS is below this level (dBFS) are unvoiced whatever their periodicity. Default −45. */
  silenceDb?: number;
}

/** The F0 track of a signal, one value per frame. */
export interface PitchTrack {
  /** F0 of each frame in Hz; 0 where the frame is unvoiced (no dip under the threshold, or silent). */
  f0: Float64Array;
  /** The normalized difference at the chosen lag (YIN's aperiodicity; 1 where none was chosen). */
  aperiodicity: Float64Array;
  /** Centre of each frame, in samples of the signal. */
  centre: Float64Array;
  /** Frame and hop lengths in samples. */
  frameLength: number;
  hop: number;
  rate: number;
}

/**
 * Tracks F0 with YIN over frames of `frameMs` every `hopMs` (only whole frames; frame `k`
 * starts at sample `k·hop`).
 *
 * Per frame at `t`, with `W` = frame length − longest lag: `d(τ) = Σ_{j<W} (x[t+j] − x[t+j+τ])²`
 * for τ = 1 … longest lag; `d'(τ) = d(τ) · τ / Σ_{k=1..τ} d(k)`; the first τ ≥ shortest lag
 * with `d'(τ)` under the threshold, followed down to its local minimum, then refined by a
 * parabola through `d'` at τ−1, τ, τ+1. F0 = rate ÷ refined τ.
 *
 * @param x - The signal.
 * @param rate - Its sample rate (Hz).
 * @param options - See {@link YinOptions}.
 */
export function yinTrack(x: ArrayLike<number>, rate: number, options: YinOptions = {}): PitchTrack {
  const { frameMs = 40, hopMs = 10, minF0 = 60, maxF0 = 500, threshold = 0.15, silenceDb = -45 } = options;
  const frameLength = Math.round((frameMs / 1000) * rate);
  const hop = Math.max(1, Math.round((hopMs / 1000) * rate));
  const maxLag = Math.ceil(rate / minF0);
  const minLag = Math.max(2, Math.floor(rate / maxF0));
  const w = frameLength - maxLag;
  if (w < maxLag / 2) throw new Error(`yinTrack: a ${frameMs} ms frame is too short for ${minF0} Hz`);
  const frames = x.length >= frameLength ? Math.floor((x.length - frameLength) / hop) + 1 : 0;
  const f0 = new Float64Array(frames);
  const aperiodicity = new Float64Array(frames).fill(1);
  const centre = new Float64Array(frames);
  const silence = Math.pow(10, silenceDb / 10);
  const d = new Float64Array(maxLag + 2);
  const dn = new Float64Array(maxLag + 2);
  const frame = new Float64Array(frameLength);
  for (let k = 0; k < frames; k++) {
    const t = k * hop;
    centre[k] = t + frameLength / 2;
    let power = 0;
    for (let j = 0; j < frameLength; j++) {
      const v = x[t + j];
      frame[j] = v;
      power += v * v;
    }
    if (power / frameLength < silence) continue;
    // Step 2: the difference function.
    for (let tau = 1; tau <= maxLag; tau++) {
      let sum = 0;
      for (let j = 0; j < w; j++) {
        const e = frame[j] - frame[j + tau];
        sum += e * e;
      }
      d[tau] = sum;
    }
    // Step 3: cumulative mean normalized difference.
    dn[0] = 1;
    let running = 0;
    for (let tau = 1; tau <= maxLag; tau++) {
      running += d[tau];
      dn[tau] = running > 0 ? (d[tau] * tau) / running : 1;
    }
    // Step 4: absolute threshold, then down to the bottom of that dip.
    let tau = -1;
    for (let l = minLag; l < maxLag; l++) {
      if (dn[l] < threshold) {
        while (l + 1 < maxLag && dn[l + 1] < dn[l]) l++;
        tau = l;
        break;
      }
    }
    if (tau < 0) continue;
    // Step 5: parabolic interpolation.
    const a = dn[tau - 1];
    const b = dn[tau];
    const c = dn[tau + 1];
    const den = a - 2 * b + c;
    const shift = den > 0 ? (0.5 * (a - c)) / den : 0;
    f0[k] = rate / (tau + Math.max(-0.5, Math.min(0.5, shift)));
    aperiodicity[k] = b;
  }
  return { f0, aperiodicity, centre, frameLength, hop, rate };
}

/** The median of `xs` (NaN when empty); the mean of the two middle values for an even count. */
export function median(xs: ArrayLike<number>): number {
  const s = Array.from(xs).sort((p, q) => p - q);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** How an F0 track agrees with a reference, frame by frame ({@link compareF0}). */
export interface F0Agreement {
  /** Frames compared (those with a reference). */
  frames: number;
  /** Frames voiced in both. */
  bothVoiced: number;
  /** Fraction of frames where both are voiced or both unvoiced. */
  voicing: number;
  /** Median of |f0 − ref| ÷ ref over the frames voiced in both (NaN when there are none). */
  medianError: number;
  /** Fraction of the reference's voiced frames where the track is voiced and within `tolerance`. */
  within: number;
}

/**
 * Compares measured F0 values with reference ones, pairwise (0 = unvoiced in either). A NaN
 * reference means "no reference here" (e.g. a frame whose source spans a voicing change): the
 * frame is left out of every figure, and of `frames`.
 *
 * @param f0 - Measured F0 per frame.
 * @param ref - Reference F0 for the same frames.
 * @param tolerance - Relative error counted as "within" (default 0.02).
 */
export function compareF0(f0: ArrayLike<number>, ref: ArrayLike<number>, tolerance = 0.02): F0Agreement {
  const count = Math.min(f0.length, ref.length);
  const errors: number[] = [];
  let n = 0;
  let agree = 0;
  let refVoiced = 0;
  let within = 0;
  for (let i = 0; i < count; i++) {
    if (Number.isNaN(ref[i])) continue;
    n++;
    const v = f0[i] > 0;
    const r = ref[i] > 0;
    if (v === r) agree++;
    if (r) refVoiced++;
    if (v && r) {
      const e = Math.abs(f0[i] - ref[i]) / ref[i];
      errors.push(e);
      if (e <= tolerance) within++;
    }
  }
  return {
    frames: n,
    bothVoiced: errors.length,
    voicing: n ? agree / n : NaN,
    medianError: median(errors),
    within: refVoiced ? within / refVoiced : NaN,
  };
}

/** Options of {@link toneResidual}. */
export interface ToneResidualOptions {
  /** Frames over which the tone's amplitude and phase are fitted (ms). Default 20. */
  frameMs?: number;
  /** Left out at each end (ms), where onsets and the stretcher's start and end are. Default 50. */
  edgeMs?: number;
}

/** Energy outside a known tone ({@link toneResidual}). */
export interface ToneResidual {
  /** Residual energy over the tone's energy, all frames together (dB; −Infinity when exactly a tone). */
  db: number;
  /** The same ratio in the worst single frame (dB). */
  worstFrameDb: number;
  /** Start (sample) of that worst frame. */
  worstFrameAt: number;
}

/**
 * "Energy outside the tone": splits the steady part of `x` (all but `edgeMs` at each end) into
 * consecutive frames of `frameMs` and, in each, fits `a·sin(ωn) + b·cos(ωn)` at the known
 * frequency by least squares (a 2 × 2 normal-equation solve). What the fit leaves is energy
 * outside the tone: clicks, discontinuities, other frequencies, amplitude or phase wobble faster
 * than a frame. Fitting per frame (not once for the whole signal) forgives the slow phase drift a
 * time-stretcher is allowed (dropping 218 samples of a 218.18-sample period shifts the phase a
 * little), while a click, being broadband, stays almost whole in the residual. A last partial
 * frame shorter than half a frame is left out.
 *
 * @param x - The signal.
 * @param freq - The tone's frequency (Hz).
 * @param rate - The sample rate (Hz).
 * @param options - See {@link ToneResidualOptions}.
 */
export function toneResidual(x: ArrayLike<number>, freq: number, rate: number, options: ToneResidualOptions = {}): ToneResidual {
  const { frameMs = 20, edgeMs = 50 } = options;
  const frameLength = Math.max(8, Math.round((frameMs / 1000) * rate));
  const edge = Math.round((edgeMs / 1000) * rate);
  const from = edge;
  const to = x.length - edge;
  const omega = (2 * Math.PI * freq) / rate;
  let residualSum = 0;
  let toneSum = 0;
  let worst = -Infinity;
  let worstAt = -1;
  for (let start = from; start < to; start += frameLength) {
    const end = Math.min(to, start + frameLength);
    if (end - start < frameLength / 2) break;
    // Normal equations of [s c]·[a b]ᵀ ≈ x.
    let ss = 0;
    let sc = 0;
    let cc = 0;
    let xs = 0;
    let xc = 0;
    for (let n = start; n < end; n++) {
      const s = Math.sin(omega * n);
      const c = Math.cos(omega * n);
      ss += s * s;
      sc += s * c;
      cc += c * c;
      xs += x[n] * s;
      xc += x[n] * c;
    }
    const det = ss * cc - sc * sc;
    const a = det !== 0 ? (xs * cc - xc * sc) / det : 0;
    const b = det !== 0 ? (xc * ss - xs * sc) / det : 0;
    let res = 0;
    let tone = 0;
    for (let n = start; n < end; n++) {
      const fit = a * Math.sin(omega * n) + b * Math.cos(omega * n);
      const r = x[n] - fit;
      res += r * r;
      tone += fit * fit;
    }
    residualSum += res;
    toneSum += tone;
    const frameDb = 10 * Math.log10(res / tone);
    if (frameDb > worst) {
      worst = frameDb;
      worstAt = start;
    }
  }
  return { db: 10 * Math.log10(residualSum / toneSum), worstFrameDb: worst, worstFrameAt: worstAt };
}

/** RMS of `x` (over `from` … `to`) in dBFS. */
export function rmsDb(x: ArrayLike<number>, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i] * x[i];
  return 10 * Math.log10(sum / Math.max(1, to - from));
}
