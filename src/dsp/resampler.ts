/**
 * Streaming band-limited sample-rate conversion for the audio render thread.
 *
 * @packageDocumentation
 */

/** Tuning knobs for {@link StreamingResampler}. */
export interface ResamplerOptions {
  /**
   * Kernel half-width, in samples of the lower of the two rates (so roughly the
   * number of sinc zero-crossings on each side). Integer 2..256, default
   * {@link DEFAULT_HALF_TAPS}. When downsampling the kernel is this wide at the
   * output rate, i.e. `ceil(halfTaps * inRate / outRate)` input samples per side.
   */
  halfTaps?: number;
  /**
   * Resolution of the interpolated coefficient table, in phases per input
   * sample. Integer 2..4096, default {@link DEFAULT_PHASES}. Every output of a
   * reduced rate ratio `outRate/inRate = L/M` lands on one of only `L`
   * sub-sample positions, so when `L <= phases` or the `L` rows fit in
   * {@link EXACT_TABLE_MAX_COEFFS} coefficients (all the usual pairs: 24k->48k
   * has L = 2, 24k->44.1k 147, 22.05k->48k 320) one exact row per position is
   * built and nothing is interpolated. Otherwise `phases + 1` rows are built
   * and adjacent rows are blended linearly (about twice the work per output).
   */
  phases?: number;
  /**
   * Cutoff (the sinc's −6 dB point) as a fraction of the lower Nyquist, 0.5..1.
   * Default {@link DEFAULT_ROLLOFF}. Higher keeps more of the top of the band and
   * needs more taps to keep images and aliases down.
   */
  rolloff?: number;
  /** Kaiser window β, 2..20 (sidelobe depth against transition width). Default {@link DEFAULT_KAISER_BETA}. */
  kaiserBeta?: number;
}

/**
 * Default {@link ResamplerOptions.halfTaps}: 52 taps per side at the lower rate, the
 * fewest with which the default cutoff and β keep images and aliases under −90 dB
 * (docs/fidelity.md compares designs; 16 taps were enough only for a cutoff at 0.88).
 */
export const DEFAULT_HALF_TAPS = 52;
/** Default {@link ResamplerOptions.phases}. */
export const DEFAULT_PHASES = 256;
/**
 * Largest exact (non-interpolated) table, in coefficients of 8 bytes: 256 KiB.
 * Beyond that the table stops fitting in cache and costs real memory in the
 * worklet, so the smaller interpolated table is the better trade.
 */
export const EXACT_TABLE_MAX_COEFFS = 32768;

/**
 * Default {@link ResamplerOptions.rolloff}. The Kaiser transition band straddles the
 * cutoff, so this trades the top of the band against how much energy just above the
 * lower Nyquist folds back. With the default taps and β: flat (±0.1 dB) to 0.905 of the
 * lower Nyquist, images and aliases ≤ −92.7 dB from its Nyquist up, ≥ 100 dB SNR on
 * wideband signals against a long float64 reference (`npm run fidelity`, docs/fidelity.md).
 */
export const DEFAULT_ROLLOFF = 0.945;
/**
 * Default {@link ResamplerOptions.kaiserBeta}. Sidelobe level sets both stopband depth
 * and passband ripple; 9 (~95 dB) is the smallest that keeps images under −90 dB at 52
 * taps per side. Larger betas deepen the stopband but widen the transition band.
 */
export const DEFAULT_KAISER_BETA = 9;

const MIN_RATE = 3000;
const MAX_RATE = 384000;

/** Greatest common divisor of two non-negative integers (reduces a rate ratio). */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series), for Kaiser windows. */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function checkRate(name: string, v: number): void {
  if (!Number.isInteger(v) || v < MIN_RATE || v > MAX_RATE) {
    throw new RangeError(`StreamingResampler: ${name} must be an integer in ${MIN_RATE}..${MAX_RATE} Hz, got ${String(v)}`);
  }
}

function checkOption(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`StreamingResampler: options.${name} must be an integer in ${lo}..${hi}, got ${String(v)}`);
  }
}

/**
 * Streaming band-limited resampler: windowed sinc (Kaiser window), polyphase
 * coefficient table (exact rows for the usual rate pairs, linear interpolation
 * between rows for unusual ones; see {@link ResamplerOptions.phases}). Output
 * sample `k` is the band-limited value of the input at time
 * `k * inRate / outRate` input samples, with input sample 0 at time 0 and
 * silence before it. Output `k` needs input up to `floor(t_k) + H`, where H is
 * the kernel half-width in input samples; that lookahead is the latency.
 *
 * State carries across calls, so a signal may be fed in pieces of any size and
 * pulled in blocks of any size with bit-identical results; call
 * {@link StreamingResampler.reset} only between independent signals
 * (utterances).
 *
 * When `inRate === outRate` it is an exact pass-through: outputs are the
 * inputs, bit for bit, with no latency and nothing owed at {@link drain}.
 *
 * Allocation and threading: the constructor allocates the coefficient table
 * and history buffer; after that no method allocates, creates closures or
 * throws (out-of-range offsets/counts are clamped to the arrays), so every
 * method except the constructor is safe to call from an AudioWorklet's
 * `process()`. An instance is not thread-safe: use it from a single thread.
 */
export class StreamingResampler {
  /** Input sample rate in Hz. */
  readonly inRate: number;
  /** Output sample rate in Hz. */
  readonly outRate: number;
  /**
   * Number of input samples taken by the most recent {@link process} call.
   * Taken samples belong to the resampler; the caller must not offer them again.
   */
  consumed = 0;

  readonly #passthrough: boolean;
  // Reduced ratio: each output advances the read position by M/L input samples.
  readonly #L: number;
  readonly #M: number;
  readonly #stepInt: number;
  readonly #stepFrac: number;
  /** Kernel half-width in input samples. */
  readonly #H: number;
  /** Taps per output (2H). */
  readonly #T: number;
  /** True: one table row per reachable phase (no interpolation). */
  readonly #exact: boolean;
  /** Exact 2× upsampling (L = 2, M = 1): both rows are symmetric, see {@link renderOctave}. */
  readonly #octave: boolean;
  /** Interpolated table resolution (phases per input sample). */
  readonly #P: number;
  readonly #table: Float64Array;
  readonly #hist: Float64Array;
  readonly #cap: number;

  // History window of the next output starts at hist[rd]; hist[0..wr) is valid.
  #rd = 0;
  #wr = 0;
  // Next output's sub-sample position is frac / L input samples past hist[rd + H - 1].
  #frac = 0;
  // One past the last real (non-drain-padding) input sample, as a hist index.
  #realEnd = 0;

  /**
   * @param inRate - Input rate in Hz, integer 3000..384000.
   * @param outRate - Output rate in Hz, integer 3000..384000.
   * @param options - Kernel size and table resolution; see {@link ResamplerOptions}.
   * @throws RangeError naming the offending value if a rate or option is invalid.
   *   This is the only place the class allocates or throws.
   */
  constructor(inRate: number, outRate: number, options?: ResamplerOptions) {
    checkRate('inRate', inRate);
    checkRate('outRate', outRate);
    const halfTaps = options?.halfTaps ?? DEFAULT_HALF_TAPS;
    const phases = options?.phases ?? DEFAULT_PHASES;
    checkOption('halfTaps', halfTaps, 2, 256);
    checkOption('phases', phases, 2, 4096);
    const rolloff = options?.rolloff ?? DEFAULT_ROLLOFF;
    const beta = options?.kaiserBeta ?? DEFAULT_KAISER_BETA;
    if (!(rolloff >= 0.5 && rolloff <= 1)) throw new RangeError(`StreamingResampler: options.rolloff must be in 0.5..1, got ${String(rolloff)}`);
    if (!(beta >= 2 && beta <= 20)) throw new RangeError(`StreamingResampler: options.kaiserBeta must be in 2..20, got ${String(beta)}`);
    this.inRate = inRate;
    this.outRate = outRate;
    this.#passthrough = inRate === outRate;

    const g = gcd(inRate, outRate);
    this.#L = outRate / g;
    this.#M = inRate / g;
    this.#stepInt = Math.floor(this.#M / this.#L);
    this.#stepFrac = this.#M % this.#L;

    if (this.#passthrough) {
      this.#H = 0;
      this.#T = 0;
      this.#exact = true;
      this.#octave = false;
      this.#P = 1;
      this.#table = new Float64Array(0);
      this.#hist = new Float64Array(0);
      this.#cap = 0;
      return;
    }

    const ratio = inRate / outRate;
    const H = Math.ceil(halfTaps * Math.max(1, ratio));
    const T = 2 * H;
    this.#H = H;
    this.#T = T;
    this.#exact = this.#L <= phases || this.#L * T <= EXACT_TABLE_MAX_COEFFS;
    this.#octave = this.#exact && this.#L === 2 && this.#M === 1;
    this.#P = phases;
    const rows = this.#exact ? this.#L : phases + 1;
    const rowScale = this.#exact ? this.#L : phases;
    // Cutoff in cycles per input sample.
    const fc = (rolloff * Math.min(inRate, outRate)) / (2 * inRate);
    const i0Beta = besselI0(beta);
    const table = new Float64Array(rows * T);
    for (let r = 0; r < rows; r++) {
      const frac = r / rowScale;
      let sum = 0;
      for (let m = 0; m < T; m++) {
        // Distance from the output instant to input tap m (tap H-1 is floor(t)).
        const x = frac + (H - 1 - m);
        const u = x / H;
        const w = u >= 1 || u <= -1 ? 0 : besselI0(beta * Math.sqrt(1 - u * u)) / i0Beta;
        const a = 2 * Math.PI * fc * x;
        const s = x === 0 ? 1 : Math.sin(a) / a;
        const c = s * w;
        table[r * T + m] = c;
        sum += c;
      }
      // Unit DC gain for every phase, so a constant input stays constant.
      for (let m = 0; m < T; m++) table[r * T + m] /= sum;
    }
    this.#table = table;
    // Room for the kernel plus a generous block of new input, so compaction
    // (a copyWithin of ~T samples) is rare.
    this.#cap = T + this.#stepInt + 1 + Math.max(2048, 4 * T);
    this.#hist = new Float64Array(this.#cap);
    this.reset();
  }

  /**
   * Clears history to zeros and phase to 0: the next input sample is the first
   * of a new signal (time 0). Allocation-free; never throws.
   */
  reset(): void {
    this.consumed = 0;
    if (this.#passthrough) return;
    this.#hist.fill(0);
    // H-1 zeros stand for input samples -H+1..-1, the silence before time 0.
    this.#rd = 0;
    this.#wr = this.#H - 1;
    this.#realEnd = this.#wr;
    this.#frac = 0;
  }

  /**
   * Consumes input[inOffset .. inOffset+inCount) as needed and writes up to
   * `outCount` samples to out[outOffset..]. Returns the number written and sets
   * {@link consumed} to the number of input samples taken. Stops early when
   * more input is needed; in that case it has taken all offered input (it is
   * all needed for the next output), so the caller can offer the rest of a
   * wrapped ring buffer in a second call. It never takes input beyond what the
   * requested outputs need. Allocation-free; never throws (ranges are clamped
   * to the arrays).
   */
  process(input: Float32Array, inOffset: number, inCount: number, out: Float32Array, outOffset: number, outCount: number): number {
    inOffset = inOffset > 0 ? inOffset | 0 : 0;
    outOffset = outOffset > 0 ? outOffset | 0 : 0;
    inCount = Math.min(inCount > 0 ? inCount | 0 : 0, Math.max(0, input.length - inOffset));
    outCount = Math.min(outCount > 0 ? outCount | 0 : 0, Math.max(0, out.length - outOffset));

    if (this.#passthrough) {
      const n = inCount < outCount ? inCount : outCount;
      for (let i = 0; i < n; i++) out[outOffset + i] = input[inOffset + i];
      this.consumed = n;
      return n;
    }

    let produced = 0;
    let taken = 0;
    while (produced < outCount) {
      const avail = inCount - taken;
      let took = 0;
      if (avail > 0) {
        const want = this.#missingFor(outCount - produced);
        if (want > 0) {
          took = this.#feed(input, inOffset + taken, want < avail ? want : avail);
          taken += took;
          this.#realEnd = this.#wr;
        }
      }
      const n = this.#render(out, outOffset + produced, outCount - produced);
      produced += n;
      if (n === 0 && took === 0) break;
    }
    this.consumed = taken;
    return produced;
  }

  /**
   * How many more input samples must be supplied before `outCount` further
   * outputs can be produced (0 if they can be produced now). Exact: feeding
   * exactly this many lets {@link process} return `outCount`. Allocation-free;
   * never throws.
   */
  inputNeededFor(outCount: number): number {
    if (!(outCount > 0)) return 0;
    if (this.#passthrough) return Math.ceil(outCount);
    const n = this.#missingFor(Math.ceil(outCount));
    return n > 0 ? n : 0;
  }

  /**
   * End of signal: writes up to `outCount` of the outputs still owed for input
   * already consumed (zeros are fed past the end internally) and returns the
   * number written. A signal of N input samples yields exactly
   * `ceil(N * outRate / inRate)` outputs in total over process() and drain():
   * output k sits at input time `k * inRate / outRate` and is owed iff that
   * time is < N. May be called repeatedly until it returns 0; call
   * {@link reset} before feeding another signal. Allocation-free; never throws.
   */
  drain(out: Float32Array, outOffset: number, outCount: number): number {
    if (this.#passthrough) return 0;
    outOffset = outOffset > 0 ? outOffset | 0 : 0;
    outCount = Math.min(outCount > 0 ? outCount | 0 : 0, Math.max(0, out.length - outOffset));
    const owed = this.pendingDrain();
    const n = owed < outCount ? owed : outCount;
    let produced = 0;
    while (produced < n) {
      const want = this.#missingFor(n - produced);
      if (want > 0) this.#feed(null, 0, want);
      const k = this.#render(out, outOffset + produced, n - produced);
      if (k === 0) break; // unreachable: feed() always makes room for one output
      produced += k;
    }
    return produced;
  }

  /**
   * Outputs still owed by {@link drain} for the input consumed so far (0 in
   * pass-through mode). Allocation-free; never throws.
   */
  pendingDrain(): number {
    if (this.#passthrough) return 0;
    // Real input remaining after the next output's floor position, in units of 1/L.
    const ahead = (this.#realEnd - (this.#rd + this.#H - 1)) * this.#L - this.#frac;
    return ahead > 0 ? Math.ceil(ahead / this.#M) : 0;
  }

  /** Samples that must be appended to hist before the next `n` (>= 1) outputs can be rendered. */
  #missingFor(n: number): number {
    return this.#rd + this.#T + Math.floor((this.#frac + (n - 1) * this.#M) / this.#L) - this.#wr;
  }

  /**
   * Appends up to `count` samples (zeros when `src` is null) to the history,
   * compacting first if they do not fit. Returns how many were appended.
   */
  #feed(src: Float32Array | null, srcOffset: number, count: number): number {
    const hist = this.#hist;
    if (this.#wr + count > this.#cap && this.#rd > 0) {
      const rd = this.#rd;
      hist.copyWithin(0, rd, this.#wr);
      this.#wr -= rd;
      this.#realEnd -= rd;
      this.#rd = 0;
    }
    const room = this.#cap - this.#wr;
    const n = count < room ? count : room;
    const wr = this.#wr;
    if (src === null) {
      hist.fill(0, wr, wr + n);
    } else {
      for (let i = 0; i < n; i++) hist[wr + i] = src[srcOffset + i];
    }
    this.#wr = wr + n;
    return n;
  }

  /** Renders up to `max` outputs from history alone; returns how many. */
  #render(out: Float32Array, outOffset: number, max: number): number {
    if (this.#octave) return this.#renderOctave(out, outOffset, max);
    const hist = this.#hist;
    const table = this.#table;
    const T = this.#T;
    const T4 = T & ~3;
    const L = this.#L;
    const stepInt = this.#stepInt;
    const stepFrac = this.#stepFrac;
    const wr = this.#wr;
    let rd = this.#rd;
    let frac = this.#frac;
    let k = 0;
    if (this.#exact) {
      // Upsampling puts several consecutive outputs on the same input window;
      // rendering two of them per pass over the window loads each history
      // sample once for both (~40% faster). Each output uses the same four
      // accumulators in the same order whether it is rendered alone or in a
      // pair, so results do not depend on how calls are split.
      const pairable = stepInt === 0;
      while (k < max && rd + T <= wr) {
        const row = frac * T;
        const frac1 = frac + stepFrac;
        if (pairable && frac1 < L && k + 1 < max) {
          const row1 = frac1 * T;
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          let a3 = 0;
          let b0 = 0;
          let b1 = 0;
          let b2 = 0;
          let b3 = 0;
          let m = 0;
          for (; m < T4; m += 4) {
            const x0 = hist[rd + m];
            const x1 = hist[rd + m + 1];
            const x2 = hist[rd + m + 2];
            const x3 = hist[rd + m + 3];
            a0 += x0 * table[row + m];
            a1 += x1 * table[row + m + 1];
            a2 += x2 * table[row + m + 2];
            a3 += x3 * table[row + m + 3];
            b0 += x0 * table[row1 + m];
            b1 += x1 * table[row1 + m + 1];
            b2 += x2 * table[row1 + m + 2];
            b3 += x3 * table[row1 + m + 3];
          }
          for (; m < T; m++) {
            const x = hist[rd + m];
            a0 += x * table[row + m];
            b0 += x * table[row1 + m];
          }
          out[outOffset + k] = a0 + a1 + (a2 + a3);
          out[outOffset + k + 1] = b0 + b1 + (b2 + b3);
          k += 2;
          frac = frac1 + stepFrac;
          if (frac >= L) {
            frac -= L;
            rd++;
          }
          continue;
        }
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let m = 0;
        for (; m < T4; m += 4) {
          s0 += hist[rd + m] * table[row + m];
          s1 += hist[rd + m + 1] * table[row + m + 1];
          s2 += hist[rd + m + 2] * table[row + m + 2];
          s3 += hist[rd + m + 3] * table[row + m + 3];
        }
        for (; m < T; m++) s0 += hist[rd + m] * table[row + m];
        out[outOffset + k] = s0 + s1 + (s2 + s3);
        k++;
        rd += stepInt;
        frac = frac1;
        if (frac >= L) {
          frac -= L;
          rd++;
        }
      }
    } else {
      const P = this.#P;
      while (k < max && rd + T <= wr) {
        const pos = frac * P;
        const ph = Math.floor(pos / L);
        const w = (pos - ph * L) / L;
        const row0 = ph * T;
        const row1 = row0 + T;
        let a0 = 0;
        let a1 = 0;
        let b0 = 0;
        let b1 = 0;
        let m = 0;
        for (; m < T4; m += 4) {
          const x0 = hist[rd + m];
          const x1 = hist[rd + m + 1];
          const x2 = hist[rd + m + 2];
          const x3 = hist[rd + m + 3];
          a0 += x0 * table[row0 + m] + x2 * table[row0 + m + 2];
          a1 += x1 * table[row0 + m + 1] + x3 * table[row0 + m + 3];
          b0 += x0 * table[row1 + m] + x2 * table[row1 + m + 2];
          b1 += x1 * table[row1 + m + 1] + x3 * table[row1 + m + 3];
        }
        for (; m < T; m++) {
          const x = hist[rd + m];
          a0 += x * table[row0 + m];
          b0 += x * table[row1 + m];
        }
        const a = a0 + a1;
        out[outOffset + k] = a + w * (b0 + b1 - a);
        k++;
        rd += stepInt;
        frac += stepFrac;
        if (frac >= L) {
          frac -= L;
          rd++;
        }
      }
    }
    this.#rd = rd;
    this.#frac = frac;
    return k;
  }

  /**
   * {@link render} for exact 2× upsampling (24→48 kHz, 22.05→44.1 kHz). Both rows are
   * symmetric: phase 0 (an output on an input sample) mirrors taps m and T−2−m around H−1
   * (its tap T−1 is 0), phase ½ mirrors m and T−1−m. Adding each mirrored pair of samples
   * before one multiply halves the multiplies and a third of the loads. Each output always
   * uses the same accumulators in the same order, alone or paired, so results do not
   * depend on how calls are split.
   */
  #renderOctave(out: Float32Array, outOffset: number, max: number): number {
    const hist = this.#hist;
    const table = this.#table;
    const T = this.#T;
    const H = this.#H;
    const wr = this.#wr;
    let rd = this.#rd;
    let frac = this.#frac;
    let k = 0;
    while (k < max && rd + T <= wr) {
      const end = rd + T - 1;
      const center = hist[rd + H - 1];
      if (frac === 0) {
        const both = k + 1 < max;
        let a0 = 0;
        let a1 = 0;
        let b0 = 0;
        let b1 = 0;
        let m = 0;
        for (; m + 1 < H - 1; m += 2) {
          const x0 = hist[rd + m];
          const x1 = hist[rd + m + 1];
          a0 += table[m] * (x0 + hist[end - 1 - m]);
          a1 += table[m + 1] * (x1 + hist[end - 2 - m]);
          if (both) {
            b0 += table[T + m] * (x0 + hist[end - m]);
            b1 += table[T + m + 1] * (x1 + hist[end - 1 - m]);
          }
        }
        for (; m < H - 1; m++) {
          const x = hist[rd + m];
          a0 += table[m] * (x + hist[end - 1 - m]);
          if (both) b0 += table[T + m] * (x + hist[end - m]);
        }
        a0 += table[H - 1] * center;
        out[outOffset + k] = a0 + a1;
        if (!both) {
          k++;
          frac = 1;
          continue;
        }
        b0 += table[T + H - 1] * (center + hist[end - (H - 1)]);
        out[outOffset + k + 1] = b0 + b1;
        k += 2;
        rd++;
        continue;
      }
      // A phase-½ output on its own (the call began between the two phases).
      let b0 = 0;
      let b1 = 0;
      let m = 0;
      for (; m + 1 < H - 1; m += 2) {
        b0 += table[T + m] * (hist[rd + m] + hist[end - m]);
        b1 += table[T + m + 1] * (hist[rd + m + 1] + hist[end - 1 - m]);
      }
      for (; m < H - 1; m++) b0 += table[T + m] * (hist[rd + m] + hist[end - m]);
      b0 += table[T + H - 1] * (center + hist[end - (H - 1)]);
      out[outOffset + k] = b0 + b1;
      k++;
      frac = 0;
      rd++;
    }
    this.#rd = rd;
    this.#frac = frac;
    return k;
  }
}
