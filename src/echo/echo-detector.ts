/**
 * The barge-in detector's DSP at 16 kHz: delay estimate → adaptive filter → residual
 * suppression → near-end evidence → duck/confirm/reject policy. Pure: no DOM, no Web Audio.
 *
 * @packageDocumentation
 */
import { AdaptiveFilter } from './adaptive-filter.js';
import { BargeInPolicy, type BargeInEvent } from './barge-in-policy.js';
import { DelayEstimator } from './delay-estimator.js';
import { ResidualSuppressor } from './residual-suppressor.js';

/** The rate every echo stage runs at. */
export const ECHO_RATE = 16000;
/** Samples per block (16 ms): the filter's partition, the spectra's hop, the policy's tick. */
export const ECHO_BLOCK = 256;
/** Filter partitions: 18 × 16 ms = 288 ms of modelled echo after the bulk delay (≥ 250 ms of tail). */
const PARTITIONS = 18;
/** Longest bulk delay searched, ms. */
const MAX_DELAY_MS = 500;
/** The filter's window opens this long before the estimated delay, for the estimate's error. */
const DELAY_MARGIN = 96;
/** The far end counts as active while its held block energy is above this (≈ −60 dBFS RMS). */
const FAR_ACTIVE = 1e-6 * ECHO_BLOCK;
/** Per-block decay of the held far-end energy: the echo outlasts the reference by the room's tail. */
const FAR_HOLD = 0.8;

/** How the detector tells near-end speech from echo. */
export type EchoMode = 'auto' | 'cancel' | 'gate';

/** Options of {@link EchoDetector}. */
export interface EchoDetectorOptions {
  /** Speech must last this long (ms) after its onset to be a barge-in. Default 250. */
  confirmMs?: number;
  /**
   * 0..1, default 0.5: how little unexplained near-end energy counts as speech. 0.5 asks for
   * 6 dB over what the residual echo and the noise explain; 1 for 0 dB, 0 for 12 dB.
   */
  sensitivity?: number;
  /**
   * `'cancel'`: the adaptive canceller; while it has not converged (the first second of far-end
   * speech) far-end time counts as echo. `'gate'`: no canceller; while the far end plays, the
   * microphone must be well above the echo its level predicts. `'auto'` (default): the canceller,
   * gating while it has not converged.
   */
  mode?: EchoMode;
  /** A first guess of the echo delay in ms (e.g. output plus input latency), until one is measured. */
  delayHintMs?: number;
}

/** Live figures of an {@link EchoDetector}. */
export interface EchoFigures {
  /** Estimated bulk delay of the echo, ms (-1 before an estimate). */
  delayMs: number;
  /** Echo return loss: far-end level over its echo's level in the microphone, dB (smoothed). */
  erlDb: number;
  /** Echo return loss enhancement: microphone over cancelled output during far-end-only time, dB. */
  erleDb: number;
  /** The way the latest block was judged: `'cancel'` or `'gate'`. */
  mode: 'cancel' | 'gate';
  /** True once the adaptive filter has converged enough to trust. */
  converged: boolean;
}

/**
 * Feeds blocks of microphone and loudspeaker reference, writes the echo-cancelled microphone,
 * and says when the near-end talker starts, barges in, or turns out not to be speaking.
 * Everything is allocated in the constructor; {@link process} allocates nothing.
 */
export class EchoDetector {
  /** Live figures, updated in place every block. */
  readonly report: EchoFigures = { delayMs: -1, erlDb: 0, erleDb: 0, mode: 'cancel', converged: false };
  /** Near-end evidence of the latest block (see {@link ResidualSuppressor.evidence}). */
  evidence = 0;
  /** True when the latest block counted as near-end speech. */
  speech = false;
  private readonly mode: EchoMode;
  private readonly threshold: number;
  private readonly filter: AdaptiveFilter;
  private readonly delay: DelayEstimator;
  private readonly suppressor: ResidualSuppressor;
  private readonly policy: BargeInPolicy;
  private farHeld = 0;
  private micSum = 1e-12;
  private outSum = 1e-12;
  private refSum = 1e-12;
  private coupling = 0;
  private couplingBlocks = 0;
  private misfitError = 0;
  private misfitMic = 0;
  private distrust = 0;
  private misfitRun = 0;

  /** @throws RangeError for an option out of range. */
  constructor(options: EchoDetectorOptions = {}) {
    const confirmMs = options.confirmMs ?? 250;
    const sensitivity = options.sensitivity ?? 0.5;
    const mode = options.mode ?? 'auto';
    if (!(confirmMs >= 0 && confirmMs <= 5000)) throw new RangeError(`confirmMs must be 0–5000, got ${String(confirmMs)}`);
    if (!(sensitivity >= 0 && sensitivity <= 1)) throw new RangeError(`sensitivity must be 0–1, got ${String(sensitivity)}`);
    if (mode !== 'auto' && mode !== 'cancel' && mode !== 'gate') throw new RangeError(`mode must be 'auto', 'cancel' or 'gate', got ${String(mode)}`);
    this.mode = mode;
    this.threshold = Math.pow(10, (1 - sensitivity) * 1.2);
    const maxBulkBlocks = Math.ceil((MAX_DELAY_MS / 1000) * (ECHO_RATE / ECHO_BLOCK));
    this.filter = new AdaptiveFilter({ block: ECHO_BLOCK, partitions: PARTITIONS, maxBulkBlocks });
    const hint = options.delayHintMs !== undefined && options.delayHintMs >= 0 ? Math.round((options.delayHintMs / 1000) * ECHO_RATE) : -1;
    this.delay = new DelayEstimator(ECHO_RATE, MAX_DELAY_MS, hint);
    if (hint >= 0) this.applyDelay(hint);
    this.suppressor = new ResidualSuppressor(ECHO_BLOCK, ECHO_RATE);
    this.policy = new BargeInPolicy({ blockMs: (ECHO_BLOCK / ECHO_RATE) * 1000, confirmMs });
  }

  /** Forgets a tentative or confirmed talker (after the app interrupted by other means). */
  resetPolicy(): void {
    this.policy.reset();
  }

  /**
   * One block: `mic` and `ref` are {@link ECHO_BLOCK} samples at {@link ECHO_RATE}, captured at
   * the same instants (`ref` is what the loudspeaker played then). Writes the echo-cancelled
   * microphone to `out`, one block late. Returns the policy's event for this block, if any.
   */
  process(mic: Float32Array, ref: Float32Array, out: Float32Array): BargeInEvent | null {
    const { filter, suppressor } = this;
    if (this.delay.push(mic, ref, ECHO_BLOCK)) this.applyDelay(this.delay.delay);
    const gating = this.mode === 'gate';
    filter.estimate(mic, ref);
    const refEnergy = filter.energy.ref;
    this.farHeld = Math.max(refEnergy, this.farHeld * FAR_HOLD);
    const farActive = this.farHeld > FAR_ACTIVE;
    const converged = filter.adapted && !gating;
    const echoOnly = farActive && !converged;
    // An echo estimate that misses makes the error louder than the microphone (|m − ŷ|² ≈ |m|² +
    // |ŷ|² when ŷ no longer matches the room's echo): the echo path changed, or the filter is
    // off. Near-end speech can only make the error approach the microphone, never pass it.
    const e = filter.energy;
    this.misfitError += 0.5 * (e.error - this.misfitError);
    this.misfitMic += 0.5 * (e.mic - this.misfitMic);
    // Both tests below ask for a converged filter whose echo estimate is a real share of the
    // microphone, and differ only in how loud the error is against it.
    const estimating = converged && e.echo > 0.25 * e.mic;
    const misfit = estimating && this.misfitError > MISFIT * this.misfitMic;
    // The leak (the share of echo the filter leaves) was learnt for weights that matched the room:
    // while they miss, and for the distrust that follows, the output's suppression takes all of
    // the echo estimate as left over, so the cancelled stream holds no echo of a changed path
    // while the filter re-learns (re-convergence of the output in the bench: 2.88 → 1.01 s, worst room). The
    // evidence keeps the learnt leak: a leak of 1 there (tried) cost 2 points of recall, and a
    // reset of the regression itself left it at 1 for seconds after a misfit in double talk
    // (recall 91 → 63 %).
    // A change the misfit test does not see (a short room whose new echo the background half
    // learns at once, leaving the error at about half the microphone) is caught for the output
    // the same way: an error over SUSPECT of the microphone, with nothing the far end cannot
    // make in it (1.01 → 0.26 s in that room). It costs the near end about 1 dB in double talk.
    const suspect = estimating && this.misfitError > SUSPECT * this.misfitMic && filter.excess < BEYOND;
    const outputLeak = misfit || suspect || this.distrust > 0 ? 1 : filter.leak;
    suppressor.process(gating ? mic : filter.error, gating ? ZERO : filter.echo, filter.leak, echoOnly && this.mode === 'cancel', out, outputLeak);
    // After the echo estimate has missed (below), the filter's error is no judge for a while.
    const useGate = gating || (this.mode === 'auto' && (echoOnly || (farActive && this.distrust > 0)));
    const gate = this.gateEvidence(filter.energy.mic, farActive);
    if (misfit) filter.reopen();
    // A miss is often the first sign of a moved echo (delay or path) that the error will pass
    // off as a talker once the old estimate has faded: the level gate judges for a while.
    this.misfitRun = misfit ? this.misfitRun + 1 : 0;
    this.distrust = this.misfitRun >= MISFIT_RUN ? DISTRUST_BLOCKS : Math.max(0, this.distrust - 1);
    this.evidence = misfit ? 0 : useGate ? gate : suppressor.evidence;
    // The gate's evidence is a level ratio, not the suppressor's: it has its own bar, scaled
    // by the sensitivity the same way.
    const bar = useGate && farActive ? this.threshold * GATE_BAR : this.threshold;
    this.speech = this.evidence > bar;
    const faint = !this.speech && this.evidence > FAINT_BAR * bar;
    // Double talk: the leak estimate must not learn the talker, so it freezes at a lower bar
    // than speech. Until the filter has converged its own error cannot tell talker from echo:
    // the level gate decides then. The background filter keeps learning through suspected
    // talk (its Kalman step slows itself, and the foreground only takes its weights when they
    // do better): freezing it on this evidence locked it out of an echo-path change, whose new
    // echo looks like a talker to the old weights (re-convergence 2.9 s → 1.7–2.9 s, recall
    // unchanged within noise). Only a confirmed talker stops it.
    // During the distrust the leak and the background learn again unless the level gate hears
    // a talker: the suppressor's own evidence is read with the leak learnt for the old path, so
    // the new path's residual held it over the freeze bar and the leak never caught up (a
    // false barge-in 2.5 s after a path change, once the distrust was over, on a darker far
    // end; docs/barge-in.md).
    const talk = misfit ? 0 : converged && !useGate ? suppressor.evidence : gate;
    const confirmed = this.policy.state === 'confirmed';
    filter.adapt(gating || confirmed || talk > FREEZE_EVIDENCE, gating || confirmed);
    this.track(filter.energy.mic, energyOf(out), farActive, converged, useGate);
    // The distrust starts: the echo estimate behind the last blocks' evidence missed, so a
    // tentative talker made of it goes, before this block can confirm it (unless it had sound
    // the far end cannot make). Without this an echo-path change under a darker far end
    // confirmed as a barge-in: its first blocks read as strong speech before the miss showed
    // (docs/barge-in.md).
    const withdrawn = this.misfitRun === MISFIT_RUN ? this.policy.withdraw() : null;
    return this.policy.step(this.speech, this.evidence > STRONG * this.threshold, filter.excess > BEYOND, faint) ?? withdrawn;
  }

  /**
   * Gate evidence: while the far end plays, the microphone's energy over the echo its level
   * predicts (the loudest coupling seen, so near-end speech during learning errs towards
   * deafness, never towards a false barge-in); the suppressor's reading otherwise.
   */
  private gateEvidence(micEnergy: number, farActive: boolean): number {
    if (!farActive) return this.suppressor.evidence;
    // Until the echo's delay is known and its coupling has been seen for a while (measured at
    // that delay), all far-end time counts as echo.
    if (this.report.delayMs < 0 || this.couplingBlocks < COUPLING_LEARNT) return 0;
    const predicted = this.coupling * Math.max(this.farHeld, this.refSum) * GATE_MARGIN + this.suppressor.noisePower * ECHO_BLOCK;
    return micEnergy / (predicted + 1e-20) - 1;
  }

  private track(micEnergy: number, outEnergy: number, farActive: boolean, converged: boolean, gating: boolean): void {
    const r = this.report;
    r.converged = converged;
    r.mode = gating ? 'gate' : 'cancel';
    // Far-end-only time: the far end plays, and nothing hints at the near end.
    if (!farActive || this.policy.state !== 'idle' || this.evidence > FREEZE_EVIDENCE) return;
    this.micSum += 0.05 * (micEnergy - this.micSum);
    this.outSum += 0.05 * (outEnergy - this.outSum);
    this.refSum += 0.05 * (this.filter.energy.ref - this.refSum);
    // Loudest coupling seen (microphone over reference, each smoothed over ~300 ms: block
    // ratios swing ±10 dB with the room's delay and decay), decaying by about 1 dB a second
    // so a quieter room is learnt.
    this.coupling = Math.max(this.micSum / this.refSum, this.coupling * 0.9963);
    this.couplingBlocks++;
    r.erlDb = 10 * Math.log10(this.refSum / this.micSum);
    r.erleDb = 10 * Math.log10(this.micSum / this.outSum);
  }

  private applyDelay(samples: number): void {
    // The echo moved: what the filter learnt is a start, not an answer; until it has adapted
    // again the level gate judges (in 'auto'), as at the start.
    if (this.report.delayMs >= 0) this.filter.relearn();
    // The coupling was measured against the reference at the old delay.
    this.coupling = 0;
    this.couplingBlocks = 0;
    this.filter.setBulk(Math.floor(Math.max(0, samples - DELAY_MARGIN) / ECHO_BLOCK));
    this.report.delayMs = (samples / ECHO_RATE) * 1000;
  }
}

/**
 * The error is "louder than the microphone" past this share of it: 0.9, because partly
 * re-converged filters leave the error a little under the microphone (1.05 let 6 false
 * barge-ins through after echo-path changes in the bench; 0.7–0.9 cost no recall).
 */
const MISFIT = 0.9;
/**
 * Evidence this many times the speech threshold (≈ +12 dB) is a strong block for the policy:
 * the residual of an echo-path change stayed under it in the bench but for single blocks.
 * 12 and lower (tried down to 6) confirm a talker who pauses after one loud syllable sooner,
 * but the bench's lounge path and delay change then made a false barge-in: five blocks of
 * evidence 18–49 (the bar is 4 at the default sensitivity), beyond the far end, then silence
 * (docs/barge-in.md).
 */
const STRONG = 15;
/**
 * {@link AdaptiveFilter.excess} over this: the block holds sound the far end cannot make (after
 * echo-path changes it stayed under 0.1; under near-end speech its median is 0.6). The exception:
 * a delay change that brings the echo before the filter's window (the bench's lounge, 250 → 10
 * ms) is beyond it at first (five blocks there, before the delay estimator moves the window).
 */
const BEYOND = 0.1;
/**
 * The output's suppression takes all of the echo estimate as residual when the error exceeds this
 * share of the microphone and holds nothing the far end cannot make (see `suspect`). 0.3 found
 * the bench's booth change; 0.4 and 0.5 did not. Lower suppresses more of a near-end talker:
 * in double talk at SER −5 dB the talker's level in the cancelled stream is −1.2 dB (median of
 * the utterances −1.1, worst −4.1) with it, −0.3 dB without.
 */
const SUSPECT = 0.3;
/** Blocks the level gate judges after a misfit (1 s). */
const DISTRUST_BLOCKS = 62;
/** Consecutive misfit blocks that start the distrust. */
const MISFIT_RUN = 3;
/** Near-end evidence over which the filter stops learning (speech itself needs ~4). */
const FREEZE_EVIDENCE = 1;
/** The gate's prediction is the loudest coupling seen times the far end's level, times this. */
const GATE_MARGIN = 1;
/**
 * The gate's bar, as a share of the suppressor's (0.25 of 4 at the default sensitivity: the
 * microphone 7 dB over the predicted echo). Higher found none of the bench's +10 dB talkers.
 */
const GATE_BAR = 0.25;
/**
 * Evidence over this share of the speech bar is a faint block: no pause for a tentative talker
 * (see {@link BargeInPolicy}). In the bench, late talkers said one loud syllable of 50–80 ms,
 * then 150–250 ms at the echo's residual: read as silence, that rejected them, and their
 * barge-in came only from a second onset. Bench, SER ≥ −5 dB (`bargein` p95 at the worst SER; recall):
 * without it 666 ms, 97.2 %; at 0.5 508 ms, 97.2 %; at 0.25 458 ms, 97.7 %; at 0.1 421 ms,
 * 97.7 %; 0.05 no better. 0 false barge-ins and 0.63 ducks a minute at each. A lower speech bar
 * while tentative (tried at 0.5) made 2 false barge-ins, and counting faint blocks as half a
 * speech block made 1.
 */
const FAINT_BAR = 0.1;
/** Far-end-only blocks (about 0.5 s) before the gate trusts its coupling. */
const COUPLING_LEARNT = 30;
const ZERO = new Float64Array(ECHO_BLOCK);

function energyOf(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
