/**
 * What the linear filter leaves: residual echo removed by a spectral gain, and the near-end
 * evidence the barge-in policy reads, both from one short-time spectrum per block.
 *
 * @packageDocumentation
 */
import { Fft, mirrorHalfSpectrum } from './fft.js';

/** Lowest gain a bin gets (−30 dB): deeper gains make the near-end voice sound gated. */
const MIN_GAIN = 0.0316;
/**
 * The residual echo the output's gain subtracts is this many times the filter's own estimate
 * (nonlinear loudspeakers leave more).
 */
const OVERESTIMATE = 4;
/**
 * The residual echo the evidence allows for, as a multiple of the filter's estimate. Lower than
 * the output's: in the first seconds the filter leaves the echo only 10–15 dB down and its leak
 * is learnt near that, so 4× the leak took the residual to within 2 dB of the echo itself, and a
 * talker at SER −5 dB read as residual (in the bench, 8 of the 13 missed talkers came 2–3 s
 * into the agent's speech). Bench (SER ≥ −5 dB): recall 94.0 % at 4, 95.4 % at 3, 97.2 % at
 * 2.5 and 2; 0 false barge-ins in 30 min at each; ducks 0.50, 0.63 and 0.93 a minute at 4, 2.5
 * and 2. The output's gain keeps its own estimate; the cancelled stream moves only because the
 * filter's freeze reads this evidence (worst clipping room 21.9 → 21.7 dB after 2 s).
 */
const EVIDENCE_OVERESTIMATE = 2.5;
/**
 * The residual echo is never taken as less than this share of the echo estimate (−20 dB): a
 * far-end sound in a band the filter has not learnt yet leaves that much for a moment.
 */
const RESIDUAL_FLOOR = 0.01;
/**
 * Per-block decay of the residual estimate (−1.5 dB per 16 ms, a room of RT60 0.6 s): the
 * reverberation outlasts the filter's 288 ms, and a faster decay (0.55) let a hall's tail pass
 * for a talker once the far end stopped.
 */
const DECAY = 0.7;
/** Noise floor: per-block rise when the signal stays above it (about 3 dB/s at 16 ms blocks). */
const NOISE_RISE = 1.011;
/**
 * A frame under this energy is digital silence (a microphone not yet connected, or muted): it
 * says nothing of the room's noise and leaves the floor alone. Taken as the floor, it left
 * every later block of plain noise "unexplained" for tens of seconds, as the floor climbs back
 * at 3 dB/s: speech evidence, and a false barge-in 0.26 s after a start with one silent block
 * (the demo's loudspeaker room interrupted its own agent so, once in CI).
 */
const SILENT_FRAME = 1e-12;
/**
 * Weight of a new block in the error/echo-estimate cross-spectrum (about 320 ms of memory):
 * shorter memories let chance coherence with near-end speech pass for echo (recall fell from
 * 94 % to 85 % at 0.15 in the bench's rooms).
 */
const COH_SMOOTH = 0.05;
/** The coherent part of the error counts this many times as residual echo. */
const COH = 1;
/** The tracked minimum of a smoothed spectrum sits under its mean: scale it back up. */
const NOISE_BIAS = 2;
/** The speech band the evidence is read in, Hz. */
const BAND_LOW = 250;
const BAND_HIGH = 3800;

/**
 * A short-time spectral stage after the adaptive filter, on 2-block sqrt-Hann frames with
 * half overlap (perfect reconstruction, one block of latency). Per bin, the residual echo is
 * `OVERESTIMATE · leak · |Ŷ|²`, held against the room's decay; the gain is a power
 * subtraction of it, floored at −30 dB. The same bins give {@link evidence}: the energy in
 * the speech band that neither the residual echo (there `EVIDENCE_OVERESTIMATE · leak · |Ŷ|²`)
 * nor the noise floor explains, as a ratio to what they do explain. Allocation-free after
 * construction.
 */
export class ResidualSuppressor {
  /** Near-end energy the echo and the noise do not explain, over what they explain (speech band). */
  evidence = 0;
  /** Power of the noise floor estimate (speech band, per bin mean). */
  noisePower = 0;
  private readonly n: number;
  private readonly fft: Fft;
  private readonly window: Float64Array;
  private readonly er: Float64Array;
  private readonly ei: Float64Array;
  private readonly yr: Float64Array;
  private readonly yi: Float64Array;
  private readonly ePrev: Float64Array;
  private readonly yPrev: Float64Array;
  private readonly tail: Float64Array;
  private readonly residual: Float64Array;
  /** The residual the output's gain subtracts, held like {@link residual} (see `outputLeak`). */
  private readonly residualOut: Float64Array;
  private readonly noise: Float64Array;
  private readonly smooth: Float64Array;
  private readonly eyr: Float64Array;
  private readonly eyi: Float64Array;
  private readonly yy: Float64Array;
  private readonly low: number;
  private readonly high: number;
  private frames = 0;

  /** @param block - Samples per block (half the frame). @param sampleRate - For the speech band. */
  constructor(block: number, sampleRate: number) {
    this.n = block;
    const size = 2 * block;
    this.fft = new Fft(size);
    this.window = new Float64Array(size);
    for (let i = 0; i < size; i++) this.window[i] = Math.sqrt(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
    this.er = new Float64Array(size);
    this.ei = new Float64Array(size);
    this.yr = new Float64Array(size);
    this.yi = new Float64Array(size);
    this.ePrev = new Float64Array(block);
    this.yPrev = new Float64Array(block);
    this.tail = new Float64Array(block);
    this.residual = new Float64Array(block + 1);
    this.residualOut = new Float64Array(block + 1);
    this.noise = new Float64Array(block + 1);
    this.smooth = new Float64Array(block + 1);
    this.eyr = new Float64Array(block + 1);
    this.eyi = new Float64Array(block + 1);
    this.yy = new Float64Array(block + 1);
    this.low = Math.max(1, Math.round((BAND_LOW / sampleRate) * size));
    this.high = Math.min(block, Math.round((BAND_HIGH / sampleRate) * size));
  }

  /**
   * One block of the filter's error `e` and echo estimate `y`, with the filter's `leak`.
   * `echoOnly` says the error is known to hold nothing but echo (the filter has not adapted
   * yet while the far end plays): then every bin counts as residual echo. Writes the
   * suppressed block, one block late, to `out`. `outputLeak` (at least `leak`) sizes the residual
   * the output's gain subtracts, held apart: a larger one suppresses more of the output while
   * the evidence is read with the filter's own `leak`, so it cannot cost the detector a talker.
   */
  process(e: ArrayLike<number>, y: ArrayLike<number>, leak: number, echoOnly: boolean, out: Float32Array | Float64Array, outputLeak = leak): void {
    const { n, er, ei, yr, yi, window, residual, residualOut, noise } = this;
    let frameEnergy = 0;
    for (let i = 0; i < n; i++) {
      er[i] = this.ePrev[i] * window[i];
      er[n + i] = e[i] * window[n + i];
      frameEnergy += er[i] * er[i] + er[n + i] * er[n + i];
      yr[i] = this.yPrev[i] * window[i];
      yr[n + i] = y[i] * window[n + i];
      this.ePrev[i] = e[i];
      this.yPrev[i] = y[i];
    }
    ei.fill(0);
    yi.fill(0);
    this.fft.forward(er, ei);
    this.fft.forward(yr, yi);
    const silent = frameEnergy < SILENT_FRAME;
    const first = this.frames === 0;
    if (!silent) this.frames++;
    let near = 0;
    let explained = 0;
    let noi = 0;
    for (let k = 0; k <= n; k++) {
      const pe = er[k] * er[k] + ei[k] * ei[k];
      const py = yr[k] * yr[k] + yi[k] * yi[k];
      // The error's part that a per-bin regression on the echo estimate explains: after an
      // echo-path change the error is the echo again, coherent with Ŷ; near-end speech is not.
      const cr = er[k] * yr[k] + ei[k] * yi[k];
      const ci = ei[k] * yr[k] - er[k] * yi[k];
      this.eyr[k] += COH_SMOOTH * (cr - this.eyr[k]);
      this.eyi[k] += COH_SMOOTH * (ci - this.eyi[k]);
      this.yy[k] += COH_SMOOTH * (py - this.yy[k]);
      const coherent = (this.eyr[k] * this.eyr[k] + this.eyi[k] * this.eyi[k]) / (this.yy[k] + 1e-30);
      let r = EVIDENCE_OVERESTIMATE * leak * py;
      if (r < RESIDUAL_FLOOR * py) r = RESIDUAL_FLOOR * py;
      if (COH * coherent > r) r = COH * coherent;
      if (echoOnly && pe > r) r = pe;
      const held = residual[k] * DECAY;
      if (r < held) r = held;
      residual[k] = r;
      let ro = OVERESTIMATE * outputLeak * py;
      if (ro < r) ro = r;
      const heldOut = residualOut[k] * DECAY;
      if (ro < heldOut) ro = heldOut;
      residualOut[k] = ro;
      // Noise floor: a minimum tracker on the smoothed spectrum (a bare periodogram's minimum
      // sits ~10 dB under the mean); follows it down at once, up only slowly.
      if (!silent) {
        const smooth = first ? pe : this.smooth[k] + 0.3 * (pe - this.smooth[k]);
        this.smooth[k] = smooth;
        const floor = first ? smooth : noise[k];
        noise[k] = smooth < floor ? smooth : floor * NOISE_RISE + 1e-14;
      }
      const gain = pe > 0 ? Math.max(MIN_GAIN, 1 - ro / pe) : 1;
      er[k] *= gain;
      ei[k] *= gain;
      if (k >= this.low && k <= this.high) {
        const known = r + NOISE_BIAS * noise[k];
        if (pe > known) near += pe - known;
        explained += known;
        noi += noise[k];
      }
    }
    const bins = this.high - this.low + 1;
    this.evidence = near / (explained + 1e-20);
    this.noisePower = noi / bins;
    mirrorHalfSpectrum(er, ei, n);
    this.fft.inverse(er, ei);
    for (let i = 0; i < n; i++) {
      out[i] = this.tail[i] + er[i] * window[i];
      this.tail[i] = er[n + i] * window[n + i];
    }
  }
}
