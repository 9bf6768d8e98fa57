/**
 * Bulk echo delay, 0–500 ms, by GCC-PHAT between the loudspeaker reference and the microphone.
 *
 * @packageDocumentation
 */
import { Fft, mirrorHalfSpectrum } from './fft.js';

/** Both signals are averaged down by this factor (16 kHz → 4 kHz) before correlating: the delay needs no more. */
const DECIMATE = 4;
/** FFT length at the decimated rate: 1.024 s of reference, the newest half of it of microphone. */
const SIZE = 4096;
/**
 * A new estimate every this many decimated samples (128 ms). Two must agree before a delay is
 * adopted, and the filter cannot cancel an echo it has no window on until then: at 256 ms the
 * 400 ms room locked at 0.77 s and reached 20 dB of ERLE at 1.60 s; at 128 ms, 0.26 s and 0.75 s.
 */
const HOP = 512;
/** Weight of each new whitened cross-spectrum in the running average. */
const SMOOTH = 0.3;
/** A correlation peak must stand this far above the correlation's RMS to count. */
const MIN_CONFIDENCE = 6;
/** The earliest lag whose correlation reaches this share of the peak is the echo's first arrival. */
const FIRST_ARRIVAL = 0.5;
/** Two estimates within this many decimated samples (4 ms) agree. */
const AGREE = 16;

/**
 * Finds where the reference's echo sits in the microphone signal: the lag of the peak of the
 * phase-transform-weighted cross-correlation (GCC-PHAT, Knapp & Carter 1976), averaged over
 * the frames in which the reference carries sound. The whitening makes the peak sharp in a
 * reverberant room, where a plain correlation smears over the decay.
 *
 * A new lag is adopted only when two successive estimates agree, so one noisy frame does not
 * move the adaptive filter. Allocation-free after construction.
 */
export class DelayEstimator {
  /** The adopted delay in samples at the input rate, or -1 before the first confident estimate. */
  delay = -1;
  /** Peak-to-RMS ratio of the latest correlation (0 before any). */
  confidence = 0;
  private readonly maxLag: number;
  private readonly fft = new Fft(SIZE);
  private readonly ref = new Float64Array(SIZE);
  private readonly mic = new Float64Array(SIZE / 2);
  private readonly gr = new Float64Array(SIZE);
  private readonly gi = new Float64Array(SIZE);
  private readonly ar = new Float64Array(SIZE);
  private readonly ai = new Float64Array(SIZE);
  private readonly br = new Float64Array(SIZE);
  private readonly bi = new Float64Array(SIZE);
  private readonly lowBin: number;
  private readonly highBin: number;
  private refPos = 0;
  private micPos = 0;
  private sinceHop = 0;
  private accRef = 0;
  private accMic = 0;
  private accCount = 0;
  private candidate = -1;
  private refEnergy = 0;

  /**
   * @param sampleRate - Rate of the blocks given to {@link push} (16 000 in the canceller).
   * @param maxDelayMs - Longest delay searched, at most 500 ms.
   * @param initialDelay - A first guess in samples (e.g. from the output latency), or -1.
   */
  constructor(sampleRate: number, maxDelayMs = 500, initialDelay = -1) {
    const rate = sampleRate / DECIMATE;
    this.maxLag = Math.min(SIZE / 2 - 1, Math.round((maxDelayMs / 1000) * rate));
    this.lowBin = Math.ceil((150 / rate) * SIZE);
    this.highBin = Math.floor((1800 / rate) * SIZE);
    this.delay = initialDelay;
  }

  /**
   * Feeds `length` samples of microphone and reference captured at the same instants.
   * Returns true when {@link delay} changed.
   */
  push(mic: Float64Array | Float32Array, ref: Float64Array | Float32Array, length: number): boolean {
    let changed = false;
    for (let i = 0; i < length; i++) {
      this.accRef += ref[i];
      this.accMic += mic[i];
      if (++this.accCount < DECIMATE) continue;
      const r = this.accRef / DECIMATE;
      this.ref[this.refPos] = r;
      this.mic[this.micPos] = this.accMic / DECIMATE;
      this.refEnergy += r * r;
      this.refPos = (this.refPos + 1) % SIZE;
      this.micPos = (this.micPos + 1) % (SIZE / 2);
      this.accRef = 0;
      this.accMic = 0;
      this.accCount = 0;
      if (++this.sinceHop === HOP) {
        this.sinceHop = 0;
        // Only a frame in which the far end spoke says anything about the echo path.
        if (this.refEnergy / HOP > 1e-7 && this.estimate()) changed = true;
        this.refEnergy = 0;
      }
    }
    return changed;
  }

  private estimate(): boolean {
    const { ar, ai, br, bi, gr, gi } = this;
    // Reference: the last SIZE samples, oldest first. Microphone: its last SIZE/2 samples in
    // the second half, so lag k (mic later than ref by k) correlates without wrapping.
    for (let i = 0; i < SIZE; i++) {
      ar[i] = this.ref[(this.refPos + i) % SIZE];
      ai[i] = 0;
      br[i] = i < SIZE / 2 ? 0 : this.mic[(this.micPos + i - SIZE / 2) % (SIZE / 2)];
      bi[i] = 0;
    }
    this.fft.forward(ar, ai);
    this.fft.forward(br, bi);
    for (let k = 0; k <= SIZE / 2; k++) {
      let cr = 0;
      let ci = 0;
      if (k >= this.lowBin && k <= this.highBin) {
        // mic · conj(ref), whitened.
        cr = br[k] * ar[k] + bi[k] * ai[k];
        ci = bi[k] * ar[k] - br[k] * ai[k];
        const mag = Math.sqrt(cr * cr + ci * ci) + 1e-20; // not Math.hypot: it allocates in V8
        cr /= mag;
        ci /= mag;
      }
      gr[k] += SMOOTH * (cr - gr[k]);
      gi[k] += SMOOTH * (ci - gi[k]);
    }
    for (let k = 0; k <= SIZE / 2; k++) {
      ar[k] = gr[k];
      ai[k] = gi[k];
    }
    mirrorHalfSpectrum(ar, ai, SIZE / 2);
    this.fft.inverse(ar, ai);
    let best = 0;
    let bestLag = 0;
    let sum = 0;
    for (let lag = 0; lag <= this.maxLag; lag++) {
      const v = ar[lag];
      sum += v * v;
      if (v > best) {
        best = v;
        bestLag = lag;
      }
    }
    const rms = Math.sqrt(sum / (this.maxLag + 1)) + 1e-20;
    this.confidence = best / rms;
    // In a room the strongest path need not be the first: take the earliest lag that comes
    // close to the peak, so the filter's window opens before all of the echo.
    for (let lag = 0; lag < bestLag; lag++) {
      if (ar[lag] >= FIRST_ARRIVAL * best) {
        bestLag = lag;
        break;
      }
    }
    if (this.confidence < MIN_CONFIDENCE) return false;
    const agrees = this.candidate >= 0 && Math.abs(bestLag - this.candidate) <= AGREE;
    this.candidate = bestLag;
    if (!agrees) return false;
    const delay = bestLag * DECIMATE;
    if (this.delay >= 0 && Math.abs(delay - this.delay) <= AGREE * DECIMATE) return false;
    this.delay = delay;
    return true;
  }
}
