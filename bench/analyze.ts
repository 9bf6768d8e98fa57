/**
 * Figures from a captured output (what reached the destination, frame by frame), never from
 * a player's own report.
 */
import { findGaps, maxStep } from '../test/browser/harness';

/** |x| at or below this is silence (gaps, idle). About -74 dBFS. */
export const SILENCE = 1e-4;
/** Active length is measured between the first and last sample above this (both in the reference and the capture). */
export const ACTIVE = 1e-3;
/** Shortest silent run inside the utterance counted as a gap. */
export const MIN_GAP_MS = 0.5;
/** Silence after an interrupt must last this long to count as "silent". */
export const INTERRUPT_SILENCE_MS = 10;
/** Steps closer than this (samples) are one discontinuity. */
const DISCONTINUITY_CLUSTER = 32;

export interface Capture {
  samples: Float32Array;
  /** Context frame of samples[0]. */
  startFrame: number;
  sampleRate: number;
  /** Context frame at the first message's arrival in the page. */
  firstMessageFrame: number | null;
  /** Context frame at the interrupt call, if any. */
  interruptFrame: number | null;
  /** Frames the context skipped: { frame, frames }. */
  skips?: { frame: number; frames: number }[];
  /** Context frame at each message's arrival, and the source samples it carried. */
  arrivalFrames?: number[];
  chunkSamples?: number[];
  sourceRate?: number;
}

export interface StreamFigures {
  sounded: boolean;
  /** First frame received → first sample above 1e-3 at the recorder, ms. */
  latencyMs: number | null;
  gaps: number;
  gapMs: number;
  discontinuities: number;
  /** Largest step seen inside the utterance ÷ the threshold (diagnostic). */
  worstStepRatio: number;
  /** Where the first discontinuities are, ms after the first active sample (diagnostic). */
  discontinuityAtMs: number[];
  /** Where the gaps are: [ms after the first active sample, length ms] (diagnostic). */
  gapAtMs: [number, number][];
  /** Frames the context skipped (never rendered) inside the utterance: they read as silence but are no player's doing. */
  skippedInside: number;
  /**
   * Smallest lead of a message over the moment its first sample was due, on the audio
   * clock, ms (messages up to the first gap): < 0 means a message arrived after the
   * player needed it, i.e. any gap there is late delivery, not the player.
   */
  minSlackMs: number | null;
  /** Audible samples (active length minus gaps) minus expected, at the context rate: < 0 lost, > 0 duplicated. Null for interrupted runs. */
  lostDup: number | null;
  audibleSamples: number;
  expectedSamples: number;
  /** Interrupt call → start of the silence that follows, ms. */
  interruptToSilenceMs: number | null;
  /** Audio heard after that silence (late frames that were still played), ms of audio. */
  staleMs: number | null;
}

function firstAbove(x: Float32Array, thr: number, from = 0): number {
  for (let i = from; i < x.length; i++) if (Math.abs(x[i]) > thr) return i;
  return -1;
}

function lastAbove(x: Float32Array, thr: number): number {
  for (let i = x.length - 1; i >= 0; i--) if (Math.abs(x[i]) > thr) return i;
  return -1;
}

/** Discontinuities: steps above `thr`, clustered. */
function countSteps(x: Float32Array, start: number, end: number, thr: number): { count: number; worst: number; at: number[] } {
  let count = 0;
  const at: number[] = [];
  let lastAt = -Infinity;
  let worst = 0;
  for (let i = Math.max(1, start); i < Math.min(end, x.length); i++) {
    const d = Math.abs(x[i] - x[i - 1]);
    if (d > worst) worst = d;
    if (d > thr) {
      if (i - lastAt > DISCONTINUITY_CLUSTER) {
        count++;
        if (at.length < 8) at.push(i);
      }
      lastAt = i;
    }
  }
  return { count, worst, at };
}

/**
 * @param reference the ideal output at the context rate (see signal.ts referenceAt)
 * @param resampled whether the context rate differs from the source rate (looser step tolerance)
 */
export function analyzeStream(cap: Capture, reference: Float32Array, resampled: boolean): StreamFigures {
  const x = cap.samples;
  const rate = cap.sampleRate;
  const none: StreamFigures = {
    sounded: false,
    latencyMs: null,
    gaps: 0,
    gapMs: 0,
    discontinuities: 0,
    worstStepRatio: 0,
    discontinuityAtMs: [],
    gapAtMs: [],
    skippedInside: 0,
    minSlackMs: null,
    lostDup: null,
    audibleSamples: 0,
    expectedSamples: 0,
    interruptToSilenceMs: null,
    staleMs: null,
  };
  const onset = firstAbove(x, 1e-3);
  const aStart = firstAbove(x, ACTIVE);
  const aEndIncl = lastAbove(x, ACTIVE);
  if (onset < 0 || aStart < 0) return none;
  // The reference's own onset (its fade-in) is not latency.
  const refOnset = Math.max(0, firstAbove(reference, 1e-3));
  const latencyMs = cap.firstMessageFrame === null ? null : ((cap.startFrame + onset - refOnset - cap.firstMessageFrame) * 1000) / rate;

  const refStart = firstAbove(reference, ACTIVE);
  const refEnd = lastAbove(reference, ACTIVE) + 1;
  const expected = refEnd - refStart;
  const minGap = Math.max(4, Math.round((MIN_GAP_MS * rate) / 1000));
  const stepThr = maxStep(reference) * (resampled ? 1.1 : 1.02) + 2 / 32768;

  let end = aEndIncl + 1;
  let interruptToSilenceMs: number | null = null;
  let staleMs: number | null = null;
  if (cap.interruptFrame !== null) {
    // The silence that follows the interrupt: the first run of ≥ 10 ms at or below SILENCE.
    const at = Math.max(0, cap.interruptFrame - cap.startFrame);
    const need = Math.round((INTERRUPT_SILENCE_MS * rate) / 1000);
    let silenceStart = -1;
    let run = 0;
    for (let i = at; i < x.length; i++) {
      if (Math.abs(x[i]) <= SILENCE) {
        run++;
        if (run >= need) {
          silenceStart = i - run + 1;
          break;
        }
      } else run = 0;
    }
    if (silenceStart < 0) silenceStart = x.length;
    interruptToSilenceMs = ((silenceStart - at) * 1000) / rate;
    let stale = 0;
    for (let i = silenceStart; i < x.length; i++) if (Math.abs(x[i]) > SILENCE) stale++;
    staleMs = (stale * 1000) / rate;
    end = Math.min(end, silenceStart);
  }

  const gapList = findGaps(x, aStart, end, minGap, SILENCE);
  let minSlackMs: number | null = null;
  if (cap.arrivalFrames && cap.chunkSamples && cap.sourceRate) {
    const firstGap = gapList.length > 0 ? cap.startFrame + gapList[0].start : Infinity;
    const playStart = cap.startFrame + onset - refOnset;
    let offset = 0;
    // Up to and including the first message due at or after the first gap: the one that was late, if any.
    for (let i = 0; i < cap.arrivalFrames.length && i < cap.chunkSamples.length; i++) {
      const playAt = playStart + (offset * rate) / cap.sourceRate;
      offset += cap.chunkSamples[i];
      const slack = ((playAt - cap.arrivalFrames[i]) * 1000) / rate;
      if (minSlackMs === null || slack < minSlackMs) minSlackMs = slack;
      if (playAt >= firstGap) break;
    }
  }
  const gapSamples = gapList.reduce((s, g) => s + g.length, 0);
  // Include one sample either side: a cut into silence at the edges is a discontinuity too.
  const steps = countSteps(x, Math.max(1, aStart - 1), Math.min(x.length, end + 1), stepThr);
  const audible = end - aStart - gapSamples;
  const ms = (i: number) => Math.round(((i - aStart) * 1e4) / rate) / 10;
  let skippedInside = 0;
  for (const k of cap.skips ?? []) {
    const a = Math.max(k.frame - cap.startFrame, aStart);
    const b = Math.min(k.frame - cap.startFrame + k.frames, end);
    if (b > a) skippedInside += b - a;
  }
  return {
    sounded: true,
    latencyMs,
    gaps: gapList.length,
    gapMs: (gapSamples * 1000) / rate,
    discontinuities: steps.count,
    worstStepRatio: steps.worst / stepThr,
    discontinuityAtMs: steps.at.map(ms),
    gapAtMs: gapList.slice(0, 8).map((g) => [ms(g.start), Math.round((g.length * 1e4) / rate) / 10]),
    skippedInside,
    minSlackMs,
    lostDup: cap.interruptFrame === null ? audible - expected : null,
    audibleSamples: audible,
    expectedSamples: expected,
    interruptToSilenceMs,
    staleMs,
  };
}
