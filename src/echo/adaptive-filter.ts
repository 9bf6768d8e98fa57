/**
 * The linear echo canceller: a partitioned-block frequency-domain adaptive filter (PBFDAF /
 * MDF) with a Kalman step (per bin and partition) and a foreground/background pair, so
 * double talk cannot spoil the echo estimate and an echo-path change is learnt quickly.
 *
 * @packageDocumentation
 */
import { Fft, mirrorHalfSpectrum } from './fft.js';

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
/**
 * Prior variance of the weights, |W_0(k)|², and its decay per partition (≈ 2.2 dB per 16 ms, a
 * room of RT60 0.43 s). A prior above the room's real coupling costs nothing (the step is
 * normalised); one far under it slows learning, so it is generous (+12 dB of coupling).
 */
const PRIOR = 16;
const PRIOR_DECAY = 0.6;
/** |E|² of the zero-padded error block is half the misalignment power Σ P|X|² (R/M = 1/2). */
const ERROR_SCALE = 2;
/** The near-end-and-noise power Φ is never taken under this share of the error power. */
const PHI_FLOOR = 0.01;
/** The Kalman gain is applied at this share: 1 learns faster but rings on speech onsets. */
const KALMAN_STEP = 0.7;
/**
 * How much of what a block taught the uncertainty believes: the diagonal model ignores that
 * neighbouring partitions see half the same samples, and at the full 1 it grew overconfident
 * and stalled (20 dB after 2.5 s of speech, 0.1: 1 s).
 */
const SHRINK = 0.1;
/** State transition A²: the process noise (1 − A²)|W|² lets the filter keep tracking. */
const TRANSITION = 0.999;
/**
 * The filter counts as adapted once its first partitions hold under this share of the prior.
 * Until then the detector hears only a talker well over the echo (the level gate). The prior is
 * generous, so in a room whose echo is at the near end's level the cancelled stream was
 * 20 dB under the echo 0.8 s before 0.1 said so: 0.2 found 2 more of the bench's first utterances (recall
 * 93.1 → 94.0 %); 0.15–0.3 made no false barge-in, 0.4 one.
 */
const ADAPTED_PARTITIONS = 4;
const ADAPTED_SHARE = 0.2;
/**
 * Fastest per-block update of the leak regression, × N / 16000 (Valin's 0.5, doubled): the
 * leak starts at 1, and while it is high the residual suppressor takes most of the echo estimate
 * for residual echo and hears no talker. Doubled, it found one more of the bench's talkers in
 * the first seconds of agent speech (recall 92.7 → 93.1 %), with no false barge-in; tripled, it
 * slowed the 400 ms room's convergence (0.75 → 1.60 s).
 */
const LEAK_RATE_CAP = 1;
/** {@link AdaptiveFilter.excess} counts error power over this many times the any-phase echo. */
const EXCESS_MARGIN = 4;

/**
 * Overlap-save multi-delay filter (Soo & Pang 1990). Two sets of weights share the reference:
 * the background learns; the foreground makes {@link echo} and {@link error}, and is a copy of
 * the background taken when the background's error has been reliably smaller (the rule of
 * SpeexDSP's `mdf.c`, BSD, read for the method only). Learning from near-end speech makes the
 * background worse, never the foreground; when the background falls well behind, it goes back
 * to the foreground.
 *
 * The background learns with the diagonal frequency-domain Kalman filter of Enzner & Vary
 * (2006) in its partitioned form (Kuech et al. 2014): per bin and partition a state
 * uncertainty P_p(k), the gain `P_p / (Σ_q P_q|X_q|² + Φ)` where Φ is the error power the
 * uncertainty does not explain (the near end and the noise). A decaying prior on P makes the
 * room's early part learn first; P shrinks as the filter learns, so the step anneals itself.
 *
 * `leak`, the regression of the foreground's error power on its echo estimate's (Valin 2007),
 * tells the residual suppressor how much echo the foreground leaves.
 *
 * The reference spectra of the last `maxBulkBlocks + partitions` blocks are kept, so the
 * filter can start `bulk` blocks back ({@link setBulk}) and cover a delay longer than its
 * tail. Everything is allocated in the constructor; the per-block methods allocate nothing.
 */
export class AdaptiveFilter {
  /** Samples per block. */
  readonly block: number;
  /** Number of partitions. */
  readonly partitions: number;
  /** The foreground's echo estimate of the latest block (time domain, `block` samples). */
  readonly echo: Float64Array;
  /** Microphone minus the foreground's echo estimate, latest block. */
  readonly error: Float64Array;
  /** |Ŷ(k)|² of the latest block (bins 0..block), the foreground echo estimate's power spectrum. */
  readonly echoPower: Float64Array;
  /** |E(k)|² of the latest block, the foreground error's power spectrum. */
  readonly errorPower: Float64Array;
  /** Regression of error power on echo-estimate power: the share of echo the foreground leaves. */
  leak = 1;
  /**
   * The foreground error's power over what an echo path of the learnt weights' magnitudes but
   * any phases would leave, Σ_p |W_p|²|X_p|² (speech band, only the excess counted, over the
   * bound): near-end speech where the far end has little energy. Unlike the error itself it
   * does not rise when the echo path changes, only when something the far end cannot make
   * arrives.
   */
  excess = 0;
  /** True once the filter has adapted enough to trust. */
  adapted = false;
  /** Blocks the filter's window starts behind the newest reference block. */
  bulk = 0;
  /** Energy of the latest block: reference (at the filter), microphone, foreground error and echo, background error. */
  readonly energy = { ref: 0, mic: 0, error: 0, echo: 0, background: 0 };

  private readonly fft: Fft;
  private readonly bins: number;
  private readonly history: number;
  private readonly xr: Float64Array;
  private readonly xi: Float64Array;
  private readonly wr: Float64Array;
  private readonly wi: Float64Array;
  private readonly fr: Float64Array;
  private readonly fi: Float64Array;
  private readonly unc: Float64Array;
  private readonly prior: Float64Array;
  private readonly xTime: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly er: Float64Array;
  private readonly ei: Float64Array;
  private readonly bgEcho: Float64Array;
  private readonly bgError: Float64Array;
  private readonly step: Float64Array;
  private readonly mis: Float64Array;
  private readonly eSmooth: Float64Array;
  private readonly ySmooth: Float64Array;
  private readonly bandLow: number;
  private readonly bandHigh: number;
  private newest = 0;
  private filled = 0;
  private pey = 0;
  private pyy = 1;
  private constrainNext = 0;
  private sdd = 0;
  private davg1 = 0;
  private davg2 = 0;
  private dvar1 = 0;
  private dvar2 = 0;

  constructor(options: AdaptiveFilterOptions) {
    const { block, partitions, maxBulkBlocks } = options;
    this.block = block;
    this.partitions = partitions;
    this.fft = new Fft(2 * block);
    const bins = (this.bins = block + 1);
    this.history = partitions + maxBulkBlocks + 1;
    this.xr = new Float64Array(this.history * bins);
    this.xi = new Float64Array(this.history * bins);
    this.wr = new Float64Array(partitions * bins);
    this.wi = new Float64Array(partitions * bins);
    this.fr = new Float64Array(partitions * bins);
    this.fi = new Float64Array(partitions * bins);
    this.unc = new Float64Array(partitions * bins);
    this.prior = new Float64Array(partitions);
    for (let p = 0; p < partitions; p++) this.prior[p] = PRIOR * Math.pow(PRIOR_DECAY, p);
    this.resetUncertainty();
    this.xTime = new Float64Array(2 * block);
    this.re = new Float64Array(2 * block);
    this.im = new Float64Array(2 * block);
    this.er = new Float64Array(bins);
    this.ei = new Float64Array(bins);
    this.bgEcho = new Float64Array(block);
    this.bgError = new Float64Array(block);
    this.step = new Float64Array(bins);
    this.mis = new Float64Array(bins);
    this.eSmooth = new Float64Array(bins);
    this.ySmooth = new Float64Array(bins);
    this.echo = new Float64Array(block);
    this.error = new Float64Array(block);
    this.echoPower = new Float64Array(bins);
    this.errorPower = new Float64Array(bins);
    // The band whose uncertainty says "adapted": speech has little energy outside it.
    this.bandLow = Math.round((300 / 16000) * 2 * block);
    this.bandHigh = Math.round((3400 / 16000) * 2 * block);
  }

  /**
   * Moves the filter's window to start `bulk` blocks behind the newest reference, shifting
   * the learnt weights with it so the echo the filter already models stays modelled.
   */
  setBulk(bulk: number): void {
    const next = Math.max(0, Math.min(this.history - this.partitions - 1, Math.round(bulk)));
    const shift = next - this.bulk;
    if (shift === 0) return;
    this.shiftWeights(this.wr, this.wi, shift);
    this.shiftWeights(this.fr, this.fi, shift);
    this.bulk = next;
  }

  /** Partition p of the new window is partition p + shift of the old one. */
  private shiftWeights(r: Float64Array, i: Float64Array, shift: number): void {
    const { partitions, bins } = this;
    if (shift > 0) for (let p = 0; p < partitions; p++) copyPartition(r, i, bins, p + shift < partitions ? p + shift : -1, p);
    else for (let p = partitions - 1; p >= 0; p--) copyPartition(r, i, bins, p + shift >= 0 ? p + shift : -1, p);
  }

  /**
   * The echo path changed: keeps the weights (a start as good as any) but goes back to the
   * prior uncertainty, so the background learns at its start-up pace, and says so through
   * {@link adapted} until it has adapted again.
   */
  relearn(): void {
    this.adapted = false;
    this.resetUncertainty();
  }

  /**
   * The foreground's estimate misses (the echo path changed under an adapted filter): the
   * background goes back to the prior uncertainty and re-learns at its start-up pace.
   */
  reopen(): void {
    this.resetUncertainty();
  }

  /**
   * One block: takes `block` samples of reference (as played) and of microphone (captured at
   * the same instants) and fills {@link echo}, {@link error} and the spectra with the current
   * weights. Call {@link adapt} next, once the caller knows whether the near end talks.
   */
  estimate(mic: ArrayLike<number>, ref: ArrayLike<number>): void {
    const { block: n, re } = this;
    this.pushReference(ref);
    this.energy.ref = this.filterWith(this.fr, this.fi, this.mis) / (2 * n); // Parseval, half the bins of 2N
    let smm = 0;
    let see = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      const y = re[n + i];
      const e = mic[i] - y;
      this.echo[i] = y;
      this.error[i] = e;
      smm += mic[i] * mic[i];
      see += e * e;
      syy += y * y;
    }
    this.filterWith(this.wr, this.wi, null);
    let sbb = 0;
    let sdd = 0;
    for (let i = 0; i < n; i++) {
      const y = re[n + i];
      const e = mic[i] - y;
      this.bgEcho[i] = y;
      this.bgError[i] = e;
      sbb += e * e;
      sdd += (y - this.echo[i]) * (y - this.echo[i]);
    }
    this.energy.mic = smm;
    this.energy.error = see;
    this.energy.echo = syy;
    this.energy.background = sbb;
    this.sdd = sdd;
    // Power spectra (each block zero-padded to 2N): the foreground's for the leak and the
    // suppressor, the background's error spectrum (kept in er/ei) for learning.
    this.spectrumOf(this.echo, this.echoPower, false);
    this.spectrumOf(this.error, this.errorPower, false);
    this.spectrumOf(this.bgError, this.step, true);
    let over = 0;
    let bound = 0;
    for (let k = this.bandLow; k <= this.bandHigh; k++) {
      const b = (EXCESS_MARGIN / ERROR_SCALE) * this.mis[k];
      if (this.errorPower[k] > b) over += this.errorPower[k] - b;
      bound += b;
    }
    this.excess = over / (bound + 1e-20);
  }

  /**
   * Learns from the block {@link estimate} just filtered, unless `freeze` (near-end speech is
   * likely: learning from it would turn the background towards the talker, and its chance
   * correlation with the echo estimate would inflate the leak estimate). Then the foreground
   * takes the background's weights if they have done reliably better, or gives them back.
   */
  adapt(freeze: boolean, freezeBackground = freeze): void {
    if (this.energy.ref < 1e-9) return; // nothing playing: nothing to learn or compare
    if (!freeze) this.updateLeak();
    if (!freezeBackground) this.learn();
    this.compare();
  }

  /**
   * SpeexDSP's foreground/background decision: the difference of the two errors' energies,
   * smoothed over two spans, against its expected spread (from how far apart the two echo
   * estimates are).
   */
  private compare(): void {
    const sff = this.energy.error;
    const d = sff - this.energy.background;
    const dbf = this.sdd + 1e-6 * this.block;
    this.davg1 = 0.6 * this.davg1 + 0.4 * d;
    this.davg2 = 0.85 * this.davg2 + 0.15 * d;
    this.dvar1 = 0.36 * this.dvar1 + 0.16 * sff * dbf;
    this.dvar2 = 0.7225 * this.dvar2 + 0.0225 * sff * dbf;
    const { davg1, davg2, dvar1, dvar2 } = this;
    if (d * Math.abs(d) > sff * dbf || davg1 * Math.abs(davg1) > 0.5 * dvar1 || davg2 * Math.abs(davg2) > 0.25 * dvar2) {
      this.fr.set(this.wr);
      this.fi.set(this.wi);
      this.davg1 = this.davg2 = this.dvar1 = this.dvar2 = 0;
    } else if (-d * Math.abs(d) > 4 * sff * dbf || -davg1 * Math.abs(davg1) > 4 * dvar1 || -davg2 * Math.abs(davg2) > 4 * dvar2) {
      this.wr.set(this.fr);
      this.wi.set(this.fi);
      this.davg1 = this.davg2 = this.dvar1 = this.dvar2 = 0;
    }
  }

  private updateLeak(): void {
    // Regression of the error's power fluctuations on the echo estimate's (Valin 2007, §4).
    const { bins, eSmooth, ySmooth, echoPower, errorPower } = this;
    const { error: see, echo: syy } = this.energy;
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
    const cap = (LEAK_RATE_CAP * this.block) / 16000;
    if (rate > cap) rate = cap;
    this.pey += rate * (pey - this.pey);
    this.pyy += rate * (pyy - this.pyy);
    if (this.pyy < 1e-12) this.pyy = 1e-12;
    if (this.pey < MIN_LEAK * this.pyy) this.pey = MIN_LEAK * this.pyy;
    if (this.pey > this.pyy) this.pey = this.pyy;
    this.leak = this.pey / this.pyy;
  }

  /** One Kalman step of the background, on its error spectrum (er, ei; |E|² in `step`). */
  private learn(): void {
    const { bins, partitions, step, er, ei, unc, xr, xi, wr, wi } = this;
    // D(k) = Σ_p P_p|X_p|² + Φ: the error power the uncertainty explains, plus what it does not
    // (the near end and the noise, floored), which slows the step in unnoticed double talk.
    const m = this.mis;
    m.fill(0);
    for (let p = 0; p < partitions; p++) {
      const x = this.slot(this.bulk + p);
      if (x < 0) break;
      for (let k = 0, w = p * bins; k < bins; k++) m[k] += unc[w + k] * (xr[x + k] * xr[x + k] + xi[x + k] * xi[x + k]);
    }
    for (let k = 0; k < bins; k++) {
      const e = ERROR_SCALE * step[k];
      const phi = e - m[k] > PHI_FLOOR * e ? e - m[k] : PHI_FLOOR * e;
      step[k] = 1 / (m[k] + phi + 1e-20);
    }
    // W_p += μ·P_p·conj(X_p)·E/D; P_p shrinks by what the block taught and grows by the
    // process noise (1 − A²)|W_p|², so the filter keeps tracking.
    for (let p = 0; p < partitions; p++) {
      const x = this.slot(this.bulk + p);
      if (x < 0) break;
      const w = p * bins;
      for (let k = 0; k < bins; k++) {
        const a = xr[x + k];
        const b = xi[x + k];
        const g = unc[w + k] * step[k];
        const s = KALMAN_STEP * g;
        wr[w + k] += s * (a * er[k] + b * ei[k]);
        wi[w + k] += s * (a * ei[k] - b * er[k]);
        const ww = wr[w + k] * wr[w + k] + wi[w + k] * wi[w + k];
        unc[w + k] = TRANSITION * unc[w + k] * (1 - SHRINK * g * (a * a + b * b)) + (1 - TRANSITION) * ww;
      }
    }
    for (let c = 0; c < CONSTRAIN_PER_BLOCK; c++) {
      this.constrain(this.constrainNext);
      this.constrainNext = (this.constrainNext + 1) % partitions;
    }
    if (!this.adapted) {
      let left = 0;
      let prior = 0;
      for (let p = 0; p < ADAPTED_PARTITIONS; p++) {
        for (let k = this.bandLow; k <= this.bandHigh; k++) left += unc[p * bins + k];
        prior += this.prior[p] * (this.bandHigh - this.bandLow + 1);
      }
      if (left < ADAPTED_SHARE * prior) this.adapted = true;
    }
  }

  private resetUncertainty(): void {
    for (let p = 0; p < this.partitions; p++) this.unc.fill(this.prior[p], p * this.bins, (p + 1) * this.bins);
  }

  /** Keeps background partition p's impulse response to its first half (the overlap-save constraint). */
  private constrain(p: number): void {
    const { re, im, bins, wr, wi } = this;
    const n = this.block;
    const w = p * bins;
    for (let k = 0; k < bins; k++) {
      re[k] = wr[w + k];
      im[k] = wi[w + k];
    }
    mirrorHalfSpectrum(re, im, n);
    this.fft.inverse(re, im);
    for (let i = n; i < 2 * n; i++) re[i] = 0;
    im.fill(0);
    this.fft.forward(re, im);
    for (let k = 0; k < bins; k++) {
      wr[w + k] = re[k];
      wi[w + k] = im[k];
    }
  }

  /**
   * Ŷ = Σ_p W_p · X_{bulk+p}, back to time: the estimate is the last half of `re`. Returns
   * Σ|X(k)|² over bins 0..N of the newest partition in the window.
   */
  private filterWith(wr: Float64Array, wi: Float64Array, magnitude: Float64Array | null): number {
    const { bins, re, im, xr, xi } = this;
    re.fill(0);
    im.fill(0);
    magnitude?.fill(0);
    let sxx = 0;
    for (let p = 0; p < this.partitions; p++) {
      const x = this.slot(this.bulk + p);
      if (x < 0) break;
      const w = p * bins;
      for (let k = 0; k < bins; k++) {
        const a = xr[x + k];
        const b = xi[x + k];
        const c = wr[w + k];
        const d = wi[w + k];
        re[k] += a * c - b * d;
        im[k] += a * d + b * c;
        if (p === 0) sxx += a * a + b * b;
        if (magnitude) magnitude[k] += (c * c + d * d) * (a * a + b * b);
      }
    }
    mirrorHalfSpectrum(re, im, this.block);
    this.fft.inverse(re, im);
    return sxx;
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

  /** |FFT([0…0, x])|² into `power`; with `keep`, the spectrum itself into (er, ei). */
  private spectrumOf(x: Float64Array, power: Float64Array, keep: boolean): void {
    const { block: n, re, im, bins } = this;
    for (let i = 0; i < n; i++) {
      re[i] = 0;
      re[n + i] = x[i];
    }
    im.fill(0);
    this.fft.forward(re, im);
    for (let k = 0; k < bins; k++) {
      power[k] = re[k] * re[k] + im[k] * im[k];
      if (keep) {
        this.er[k] = re[k];
        this.ei[k] = im[k];
      }
    }
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
