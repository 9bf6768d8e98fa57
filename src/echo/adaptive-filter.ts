/**
 * The linear echo canceller: a partitioned-block frequency-domain adaptive filter (PBFDAF /
 * MDF) whose step size follows the estimated residual echo, so it stops learning in double talk.
 *
 * @packageDocumentation
 */
import { Fft } from './fft.js';

/** Tuning of {@link AdaptiveFilter}. */
export interface AdaptiveFilterOptions {
  /** Block length in samples (a power of two). */
  block: number;
  /** Number of partitions: the filter models `block · partitions` samples of echo tail. */
  partitions: number;
  /** How many blocks of reference are kept before the filter's window, for the bulk delay. */
  maxBulkBlocks: number;
}

/** Leak estimates below this are not trusted (about 33 dB of attenuation is the most to expect). */
const MIN_LEAK = 0.0005;
/** Partitions whose weights are re-constrained to their half-length each block (round robin). */
const CONSTRAIN_PER_BLOCK = 3;
/** Each partition's share of the step is at least this fraction of the largest partition's. */
const PROP_FLOOR = 1;
/**
 * The per-bin step is normalised by this share of Σ_p |X_p(k)|²: below 1 it learns faster than
 * plain NLMS; 0.25 diverged on speech, 0.5 was the fastest that stayed stable in the bench's rooms.
 */
const STEP_NORM = 0.5;

/**
 * Overlap-save multi-delay filter (Soo & Pang 1990) with the step-size control of Valin's MDF
 * ("On adjusting the learning rate in frequency domain echo cancellation with double-talk",
 * 2007, the algorithm of SpeexDSP's `mdf.c`, BSD, read for the method only): each bin adapts
 * in proportion to the share of residual echo in the error, `μ(k) ≈ leak·|Ŷ(k)|² / |E(k)|²`,
 * where `leak` is the regression of the error's power fluctuations on the echo estimate's.
 * Near-end speech raises `|E|²` without raising `leak`, so the filter all but freezes while
 * both talk, without a separate double-talk detector; an echo-path change raises `leak`, so
 * it re-learns. Until the filter has adapted at all a fixed-share step gets it started.
 *
 * The reference spectra of the last `maxBulkBlocks + partitions` blocks are kept, so the
 * filter can start `bulk` blocks back ({@link setBulk}) and cover a delay longer than its
 * tail. Everything is allocated in the constructor; {@link process} allocates nothing.
 */
export class AdaptiveFilter {
  /** Samples per block. */
  readonly block: number;
  /** Number of partitions. */
  readonly partitions: number;
  /** The echo estimate of the latest block (time domain, `block` samples). */
  readonly echo: Float64Array;
  /** Microphone minus echo estimate, latest block. */
  readonly error: Float64Array;
  /** |Ŷ(k)|² of the latest block (bins 0..block), the echo estimate's power spectrum. */
  readonly echoPower: Float64Array;
  /** |E(k)|² of the latest block, the error's power spectrum. */
  readonly errorPower: Float64Array;
  /** Σ_p |X_p(k)|²: the reference's power across the filter's partitions (the NLMS norm per bin). */
  readonly refPower: Float64Array;
  /** Regression of error power on echo-estimate power: the share of echo the filter leaves. */
  leak = 1;
  /** True once the filter has adapted enough to trust its step-size rule. */
  adapted = false;
  /** Blocks the filter's window starts behind the newest reference block. */
  bulk = 0;
  /** Energy of the latest block: reference (at the filter), microphone, error, echo estimate. */
  readonly energy = { ref: 0, mic: 0, error: 0, echo: 0 };

  private readonly fft: Fft;
  private readonly bins: number;
  private readonly history: number;
  private readonly xr: Float64Array;
  private readonly xi: Float64Array;
  private readonly wr: Float64Array;
  private readonly wi: Float64Array;
  private readonly xTime: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly er: Float64Array;
  private readonly ei: Float64Array;
  private readonly step: Float64Array;
  private readonly prop: Float64Array;
  private readonly eSmooth: Float64Array;
  private readonly ySmooth: Float64Array;
  private newest = 0;
  private filled = 0;
  private pey = 0;
  private pyy = 1;
  private sumAdapt = 0;
  private constrainNext = 0;
  private sey = 0;

  constructor(options: AdaptiveFilterOptions) {
    const { block, partitions, maxBulkBlocks } = options;
    this.block = block;
    this.partitions = partitions;
    this.fft = new Fft(2 * block);
    this.bins = block + 1;
    this.history = partitions + maxBulkBlocks + 1;
    this.xr = new Float64Array(this.history * this.bins);
    this.xi = new Float64Array(this.history * this.bins);
    this.wr = new Float64Array(partitions * this.bins);
    this.wi = new Float64Array(partitions * this.bins);
    this.xTime = new Float64Array(2 * block);
    this.re = new Float64Array(2 * block);
    this.im = new Float64Array(2 * block);
    this.er = new Float64Array(this.bins);
    this.ei = new Float64Array(this.bins);
    this.step = new Float64Array(this.bins);
    this.prop = new Float64Array(partitions);
    this.eSmooth = new Float64Array(this.bins);
    this.ySmooth = new Float64Array(this.bins);
    this.echo = new Float64Array(block);
    this.error = new Float64Array(block);
    this.echoPower = new Float64Array(this.bins);
    this.errorPower = new Float64Array(this.bins);
    this.refPower = new Float64Array(this.bins);
  }

  /**
   * Moves the filter's window to start `bulk` blocks behind the newest reference, shifting
   * the learnt weights with it so the echo the filter already models stays modelled.
   */
  setBulk(bulk: number): void {
    const next = Math.max(0, Math.min(this.history - this.partitions - 1, Math.round(bulk)));
    const shift = next - this.bulk;
    if (shift === 0) return;
    const { wr, wi, bins, partitions } = this;
    // Partition p of the new window is partition p + shift of the old one.
    if (shift > 0) {
      for (let p = 0; p < partitions; p++) copyPartition(wr, wi, bins, p + shift < partitions ? p + shift : -1, p);
    } else {
      for (let p = partitions - 1; p >= 0; p--) copyPartition(wr, wi, bins, p + shift >= 0 ? p + shift : -1, p);
    }
    this.bulk = next;
  }

  /**
   * The echo path changed: keeps the weights (a start as good as any) but goes back to the
   * start-up step size until the filter has adapted again, and says so through {@link adapted}.
   */
  relearn(): void {
    this.adapted = false;
    this.sumAdapt = 0;
  }

  /** Forgets everything learnt (weights and statistics), keeping the reference history. */
  reset(): void {
    this.wr.fill(0);
    this.wi.fill(0);
    this.leak = 1;
    this.adapted = false;
    this.sumAdapt = 0;
    this.pey = 0;
    this.pyy = 1;
  }

  /**
   * One block: takes `block` samples of reference (as played) and of microphone (captured at
   * the same instants) and fills {@link echo}, {@link error} and the spectra with the current
   * weights. Call {@link adapt} next, once the caller knows whether the near end talks.
   */
  estimate(mic: ArrayLike<number>, ref: ArrayLike<number>): void {
    const { block: n, bins, re, im, er, ei, refPower } = this;
    this.pushReference(ref);
    // Echo estimate: Ŷ = Σ_p W_p · X_{bulk+p}, back to time, last half.
    re.fill(0);
    im.fill(0);
    refPower.fill(0);
    let sxx = 0;
    for (let p = 0; p < this.partitions; p++) {
      const x = this.slot(this.bulk + p);
      if (x < 0) break;
      const w = p * bins;
      for (let k = 0; k < bins; k++) {
        const a = this.xr[x + k];
        const b = this.xi[x + k];
        const c = this.wr[w + k];
        const d = this.wi[w + k];
        re[k] += a * c - b * d;
        im[k] += a * d + b * c;
        const pw = a * a + b * b;
        if (p === 0) sxx += pw;
        refPower[k] += pw;
      }
    }
    this.inverseHalfSpectrum();
    let smm = 0;
    let see = 0;
    let syy = 0;
    let sey = 0;
    for (let i = 0; i < n; i++) {
      const y = re[n + i];
      const e = mic[i] - y;
      this.echo[i] = y;
      this.error[i] = e;
      smm += mic[i] * mic[i];
      see += e * e;
      syy += y * y;
      sey += e * y;
    }
    this.energy.mic = smm;
    this.energy.error = see;
    this.energy.echo = syy;
    this.energy.ref = sxx / (2 * n); // Parseval over half the bins of a 2N-sample window
    // Power spectra of the error and of the echo estimate (each zero-padded to 2N).
    this.spectrumOf(this.echo, this.echoPower, null, null);
    this.spectrumOf(this.error, this.errorPower, er, ei);
    this.sey = sey;
  }

  /**
   * Learns from the block {@link estimate} just filtered, unless `freeze` (near-end speech is
   * likely: learning from it would turn the filter towards the talker, and its chance
   * correlation with the echo estimate would inflate the leak estimate).
   */
  adapt(freeze: boolean): void {
    if (freeze) return;
    const { error: see, echo: syy, ref: sxx } = this.energy;
    this.updateLeak(see, syy);
    this.learn(see, syy, this.sey, sxx);
  }

  private updateLeak(see: number, syy: number): void {
    // Regression of the error's power fluctuations on the echo estimate's (Valin 2007, §4).
    const { bins, eSmooth, ySmooth, echoPower, errorPower } = this;
    const average = this.block / 16000;
    let pey = 0;
    let pyy = 0;
    for (let k = 0; k < bins; k++) {
      const eh = errorPower[k] - eSmooth[k];
      const yh = echoPower[k] - ySmooth[k];
      pey += eh * yh;
      pyy += yh * yh;
      eSmooth[k] += average * (errorPower[k] - eSmooth[k]);
      ySmooth[k] += average * (echoPower[k] - ySmooth[k]);
    }
    pyy = Math.sqrt(pyy);
    pey = pey / (pyy + 1e-30);
    // Update faster when the echo estimate is strong against the error.
    let rate = (2 * this.block) / 16000;
    rate *= syy / (see + 1e-30);
    if (rate > (0.5 * this.block) / 16000) rate = (0.5 * this.block) / 16000;
    this.pey += rate * (pey - this.pey);
    this.pyy += rate * (pyy - this.pyy);
    if (this.pyy < 1e-12) this.pyy = 1e-12;
    if (this.pey < MIN_LEAK * this.pyy) this.pey = MIN_LEAK * this.pyy;
    if (this.pey > this.pyy) this.pey = this.pyy;
    this.leak = this.pey / this.pyy;
  }

  private learn(see: number, syy: number, sey: number, sxx: number): void {
    const { bins, partitions, step, refPower, errorPower, echoPower, er, ei } = this;
    const n = this.block;
    if (sxx < 1e-9 * n) return; // nothing playing: nothing to learn from
    if (this.adapted) {
      // Residual-to-error ratio, bounded below by the echo estimate's share of the error.
      let rer = (0.0001 * sxx + 3 * this.leak * syy) / (see + 1e-30);
      const floor = (sey * sey) / (1e-30 + see * syy);
      if (rer < floor) rer = floor;
      if (rer > 0.5) rer = 0.5;
      for (let k = 0; k < bins; k++) {
        const e = errorPower[k] + 1e-20;
        let r = this.leak * echoPower[k];
        if (r > 0.5 * e) r = 0.5 * e;
        r = 0.7 * r + 0.3 * rer * e;
        step[k] = r / (e * (STEP_NORM * refPower[k] + 1e-10));
      }
    } else {
      let rate = 0.25 * sxx > 0.25 * see ? 0.25 : (0.25 * sxx) / (see + 1e-30);
      if (rate > 0.25) rate = 0.25;
      for (let k = 0; k < bins; k++) step[k] = rate / (STEP_NORM * refPower[k] + 1e-10);
      this.sumAdapt += rate;
      if (this.sumAdapt > partitions && this.leak * syy > 0.03 * syy) this.adapted = true;
    }
    this.proportions();
    // W_p += μ · g_p · conj(X_{bulk+p}) · E
    for (let p = 0; p < partitions; p++) {
      const x = this.slot(this.bulk + p);
      if (x < 0) break;
      const w = p * bins;
      const g = this.prop[p];
      for (let k = 0; k < bins; k++) {
        const a = this.xr[x + k];
        const b = this.xi[x + k];
        const s = step[k] * g;
        this.wr[w + k] += s * (a * er[k] + b * ei[k]);
        this.wi[w + k] += s * (a * ei[k] - b * er[k]);
      }
    }
    for (let c = 0; c < CONSTRAIN_PER_BLOCK; c++) {
      this.constrain(this.constrainNext);
      this.constrainNext = (this.constrainNext + 1) % partitions;
    }
  }

  /**
   * Proportionate step per partition (PNLMS, Duttweiler 2000; SpeexDSP's `mdf_adjust_prop`):
   * a partition holding more of the learnt response learns faster, so a room's early, strong
   * part converges first instead of at the pace of its whole tail. Mean 1 over the partitions.
   */
  private proportions(): void {
    const { prop, partitions, bins, wr, wi } = this;
    let max = 0;
    for (let p = 0; p < partitions; p++) {
      let sum = 0;
      for (let k = 0; k < bins; k++) sum += wr[p * bins + k] * wr[p * bins + k] + wi[p * bins + k] * wi[p * bins + k];
      prop[p] = Math.sqrt(sum);
      if (prop[p] > max) max = prop[p];
    }
    let total = 0;
    for (let p = 0; p < partitions; p++) {
      prop[p] += PROP_FLOOR * max + 1e-12;
      total += prop[p];
    }
    for (let p = 0; p < partitions; p++) prop[p] *= partitions / total;
  }

  /** Keeps partition p's impulse response to its first half (the overlap-save constraint). */
  private constrain(p: number): void {
    const { re, im, bins, wr, wi } = this;
    const n = this.block;
    const w = p * bins;
    for (let k = 0; k < bins; k++) {
      re[k] = wr[w + k];
      im[k] = wi[w + k];
    }
    mirror(re, im, n);
    this.fft.inverse(re, im);
    for (let i = n; i < 2 * n; i++) re[i] = 0;
    im.fill(0);
    this.fft.forward(re, im);
    for (let k = 0; k < bins; k++) {
      wr[w + k] = re[k];
      wi[w + k] = im[k];
    }
  }

  private pushReference(ref: ArrayLike<number>): void {
    const { block: n, bins, re, im, xTime } = this;
    xTime.copyWithin(0, n);
    for (let i = 0; i < n; i++) xTime[n + i] = ref[i];
    for (let i = 0; i < 2 * n; i++) {
      re[i] = xTime[i];
      im[i] = 0;
    }
    this.fft.forward(re, im);
    this.newest = (this.newest + 1) % this.history;
    if (this.filled < this.history) this.filled++;
    const x = this.newest * bins;
    for (let k = 0; k < bins; k++) {
      this.xr[x + k] = re[k];
      this.xi[x + k] = im[k];
    }
  }

  /** Offset into the spectra history of the block `age` blocks old, or -1 if not yet seen. */
  private slot(age: number): number {
    if (age >= this.filled) return -1;
    return ((this.newest - age + this.history) % this.history) * this.bins;
  }

  /** re/im hold bins 0..N of a real signal's spectrum: fill the rest, transform back. */
  private inverseHalfSpectrum(): void {
    mirror(this.re, this.im, this.block);
    this.fft.inverse(this.re, this.im);
  }

  /** |FFT([0…0, x])|² into `power`; the spectrum itself into (sr, si) when given. */
  private spectrumOf(x: Float64Array, power: Float64Array, sr: Float64Array | null, si: Float64Array | null): void {
    const { block: n, re, im, bins } = this;
    for (let i = 0; i < n; i++) {
      re[i] = 0;
      re[n + i] = x[i];
    }
    im.fill(0);
    this.fft.forward(re, im);
    for (let k = 0; k < bins; k++) {
      power[k] = re[k] * re[k] + im[k] * im[k];
      if (sr && si) {
        sr[k] = re[k];
        si[k] = im[k];
      }
    }
  }
}

/** Fills bins N+1..2N-1 of a real signal's spectrum from bins 1..N-1 (conjugate symmetry). */
function mirror(re: Float64Array, im: Float64Array, n: number): void {
  im[0] = 0;
  im[n] = 0;
  for (let k = 1; k < n; k++) {
    re[2 * n - k] = re[k];
    im[2 * n - k] = -im[k];
  }
}

function copyPartition(wr: Float64Array, wi: Float64Array, bins: number, from: number, to: number): void {
  if (from < 0) {
    wr.fill(0, to * bins, (to + 1) * bins);
    wi.fill(0, to * bins, (to + 1) * bins);
    return;
  }
  wr.copyWithin(to * bins, from * bins, (from + 1) * bins);
  wi.copyWithin(to * bins, from * bins, (from + 1) * bins);
}
