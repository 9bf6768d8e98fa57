import type { UtteranceMetrics } from '../player-types.js';

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
  readonly sampleRate: number;
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
    return this.firstAudible - this.firstArrival;
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

/** Sum of a per-utterance figure over several utterances, in ms. */
export function totalMs(list: readonly UtteranceStats[], pick: (s: UtteranceStats) => number): number {
  let ms = 0;
  for (const s of list) ms += samplesToMs(pick(s), s.sampleRate);
  return ms;
}
