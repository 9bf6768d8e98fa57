import type { PlayerMetrics, SampleCounts, UtteranceMetrics } from './types.js';

/** Converts a sample count at `rate` to milliseconds. */
export function samplesToMs(samples: number, rate: number): number {
  return rate > 0 ? (samples * 1000) / rate : 0;
}

/** Converts milliseconds to a whole number of samples (frames) at `rate`. */
export function msToSamples(ms: number, rate: number): number {
  return Math.round((ms * rate) / 1000);
}

/**
 * Counters of one utterance, fed by the player as frames arrive and as the worklet
 * reports, and turned into {@link UtteranceMetrics}. Pure: times are passed in (ms on
 * one clock, `performance.now()` in the player), so tests drive it with made-up clocks.
 */
export class UtteranceStats {
  readonly utteranceId: string;
  /** Rate of its samples (a codec with its own rate may set it when its first audio decodes). */
  sampleRate: number;
  state: UtteranceMetrics['state'] = 'buffering';
  received = 0;
  played = 0;
  dropped = 0;
  stale = 0;
  underruns = 0;
  underrunFrames = 0;
  /** Output rate, to turn underrun frames into ms. */
  outputRate = 0;
  sequenceGaps = 0;
  firstArrival: number | null = null;
  lastArrival: number | null = null;
  firstAudible: number | null = null;
  /** Chunk boundaries seen, and those at which the next chunk was already there. */
  boundaries = 0;
  preloaded = 0;

  constructor(utteranceId: string, sampleRate: number) {
    this.utteranceId = utteranceId;
    this.sampleRate = sampleRate;
  }

  /**
   * A chunk of `samples` arrived at `now`. `bufferedBefore` is how much of this utterance
   * was still unplayed at that moment: a boundary is preloaded when the previous chunk
   * had not run out yet (and playback is not starved).
   */
  onChunk(samples: number, now: number, bufferedBefore: number, starved: boolean): void {
    if (this.firstArrival === null) this.firstArrival = now;
    else {
      this.boundaries++;
      if (bufferedBefore > 0 && !starved) this.preloaded++;
    }
    this.lastArrival = now;
    this.received += samples;
  }

  /** Unplayed samples: received minus played and dropped. */
  get buffered(): number {
    return Math.max(0, this.received - this.played - this.dropped);
  }

  /** Audio received per wall time between the first and last chunk (1 = real time). */
  arrivalSpeed(): number | null {
    if (this.firstArrival === null || this.lastArrival === null || this.lastArrival <= this.firstArrival) return null;
    return samplesToMs(this.received, this.sampleRate) / (this.lastArrival - this.firstArrival);
  }

  timeToFirstAudio(): number | null {
    if (this.firstArrival === null || this.firstAudible === null) return null;
    // The audio clock is accurate to about a quantum; audio is never heard before it arrived.
    return Math.max(0, this.firstAudible - this.firstArrival);
  }

  snapshot(): UtteranceMetrics {
    const rate = this.sampleRate;
    return {
      utteranceId: this.utteranceId,
      sampleRate: rate,
      state: this.state,
      timeToFirstAudioMs: this.timeToFirstAudio(),
      receivedMs: samplesToMs(this.received, rate),
      playedMs: samplesToMs(this.played, rate),
      bufferedMs: samplesToMs(this.buffered, rate),
      droppedMs: samplesToMs(this.dropped, rate),
      staleMs: samplesToMs(this.stale, rate),
      underruns: this.underruns,
      underrunMs: samplesToMs(this.underrunFrames, this.outputRate),
      preloadRate: this.boundaries > 0 ? this.preloaded / this.boundaries : null,
      arrivalSpeed: this.arrivalSpeed(),
      sequenceGaps: this.sequenceGaps,
    };
  }
}

/**
 * Jitter-buffer policy: each underrun raises the prebuffer of later utterances by
 * `stepMs`, up to `maxMs`, because a stream that starved once is likely to again.
 */
export class PrebufferPolicy {
  private current: number;
  private readonly step: number;
  private readonly max: number;

  constructor(initialMs: number, adapt: { stepMs: number; maxMs: number } | false) {
    this.current = initialMs;
    this.step = adapt ? adapt.stepMs : 0;
    this.max = adapt ? Math.max(initialMs, adapt.maxMs) : initialMs;
  }

  /** Prebuffer for the next utterance, ms. */
  get ms(): number {
    return this.current;
  }

  /** What each underrun adds, ms. */
  get stepMs(): number {
    return this.step;
  }

  /** The most it can grow to, ms. */
  get maxMs(): number {
    return this.max;
  }

  onUnderrun(): void {
    this.current = Math.min(this.max, this.current + this.step);
  }
}

/** Player-wide sample counters (at each utterance's own rate), kept by ingest and reports. */
export class Totals {
  /** Samples accepted: pushed and fitting, or arriving from a source (dropped ones too). */
  received = 0;
  /** Samples of utterances that left the queue, heard. */
  played = 0;
  /** Samples dropped from the buffer by `interrupt()`. */
  flushed = 0;
  /** Samples discarded on arrival (late, after the end, duplicated). */
  stale = 0;
  /** Samples a source that cannot wait delivered while the buffer was full. */
  overflow = 0;
  nonFinite = 0;
  underruns = 0;
  errors = 0;
  sequenceGaps = 0;
  /** Chunk boundaries seen, and those at which the next chunk was already there. */
  boundaries = 0;
  preloaded = 0;
}

/** What the latest worklet report said (positions in samples). */
export interface ReportState {
  absRead: number;
  serial: number;
  played: number;
  inFlight: number;
}

/** Everything {@link buildMetrics} reads; plain values, so tests build it by hand. */
export interface MetricsInput {
  state: PlayerMetrics['state'];
  speed: number;
  transport: PlayerMetrics['transport'];
  contextSampleRate: number;
  outputLatencyMs: number;
  clockSource: PlayerMetrics['clockSource'];
  capacityMs: number;
  prebufferMs: number;
  lowWaterMs: number | null;
  totals: Totals;
  /** Samples written to the ring so far. */
  written: number;
  report: ReportState;
  /** Active utterances (queued, sounding, or cut and not yet confirmed). */
  active: readonly UtteranceStats[];
  /** Finished utterances still remembered, oldest first. */
  recent: readonly UtteranceStats[];
  /** The active utterance at the head of the queue (sounding or next), or null. */
  head: UtteranceStats | null;
  /** Stats of the utterance the latest report's `serial` names, if active. */
  reported: UtteranceStats | null;
}

/** The `metrics` snapshot. Pure: exact as of the latest worklet report. */
export function buildMetrics(input: MetricsInput): PlayerMetrics {
  const { totals, report } = input;
  let bufferedMs = 0;
  let playedMs = 0;
  let receivedMs = 0;
  let droppedMs = 0;
  let staleMs = 0;
  let underrunMs = 0;
  for (const s of [...input.recent, ...input.active]) {
    playedMs += samplesToMs(s.played, s.sampleRate);
    receivedMs += samplesToMs(s.received, s.sampleRate);
    droppedMs += samplesToMs(s.dropped, s.sampleRate);
    staleMs += samplesToMs(s.stale, s.sampleRate);
    underrunMs += samplesToMs(s.underrunFrames, s.outputRate);
  }
  for (const s of input.active) bufferedMs += samplesToMs(s.buffered, s.sampleRate);
  const samples: SampleCounts = {
    received: totals.received,
    played: totals.played + (input.reported?.played ?? 0),
    buffered: input.written - report.absRead + report.inFlight,
    dropped: totals.flushed + totals.stale + totals.overflow,
    stale: totals.stale,
    overflow: totals.overflow,
    nonFinite: totals.nonFinite,
  };
  return {
    state: input.state,
    speed: input.speed,
    transport: input.transport,
    contextSampleRate: input.contextSampleRate,
    outputLatencyMs: input.outputLatencyMs,
    clockSource: input.clockSource,
    bufferedMs,
    lowWaterMs: input.lowWaterMs,
    capacityMs: input.capacityMs,
    prebufferMs: input.prebufferMs,
    underruns: totals.underruns,
    underrunMs,
    playedMs,
    droppedMs,
    staleMs,
    receivedMs,
    preloadRate: totals.boundaries > 0 ? totals.preloaded / totals.boundaries : null,
    sequenceGaps: totals.sequenceGaps,
    errors: totals.errors,
    samples,
    current: input.head ? input.head.snapshot() : null,
    recent: input.recent.map((s) => s.snapshot()),
  };
}
