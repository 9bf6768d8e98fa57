import { PcmDecoder, type PcmFormat } from './decode/pcm.js';
import { UtteranceStats } from './metrics/metrics.js';
import type { HeardMark } from './player-types.js';

/** Main-thread record of one utterance: its decoder, its place in the ring, its figures. */
export class Utterance {
  readonly id: string;
  readonly serial: number;
  readonly rate: number;
  readonly decoder: PcmDecoder;
  readonly stats: UtteranceStats;
  /** Absolute ring position of its first sample (valid once `begun`). */
  start = 0;
  /** Samples written to the ring. */
  written = 0;
  /** The worklet has been told about it (it has at least one sample in the ring). */
  begun = false;
  /** No more audio will be accepted for it. */
  closed = false;
  /** Output is silent mid-utterance, per the latest worklet report. */
  starved = false;
  /** Ids of its marks not yet heard. */
  readonly markIds = new Set<number>();
  /** The last of its marks the audio thread output. */
  lastMark: HeardMark | null = null;
  /**
   * Marks whose sample has not arrived yet, sorted by offset. They go to the worklet only
   * once their audio is written, when every drop before them is known and the offset can
   * be mapped onto the ring.
   */
  readonly heldMarks: { sampleOffset: number; name: string }[] = [];
  /** Stretches of its timeline dropped on arrival (overflow): start offset, length, … */
  readonly drops: number[] = [];
  /** Had a frame that ended mid-sample: after a lost frame its alignment is unknowable. */
  oddFraming = false;

  /**
   * Where utterance sample `offset` sits among the samples written to the ring (offsets
   * count every sample received, dropped ones too), or -1 if it was dropped.
   */
  ringOffset(offset: number): number {
    let shift = 0;
    for (let k = 0; k < this.drops.length; k += 2) {
      const start = this.drops[k];
      const length = this.drops[k + 1];
      if (offset < start) break;
      if (offset < start + length) return -1;
      shift += length;
    }
    return offset - shift;
  }

  constructor(id: string, serial: number, rate: number, format: PcmFormat, outputRate: number) {
    this.id = id;
    this.serial = serial;
    this.rate = rate;
    this.decoder = new PcmDecoder(format);
    this.stats = new UtteranceStats(id, rate);
    this.stats.outputRate = outputRate;
  }
}

/**
 * Ids recently finished, and how: late audio for them is discarded and counted rather
 * than starting a new utterance. Bounded (oldest forgotten first) so a long session
 * cannot grow it without limit.
 */
export class FinishedIds {
  private readonly limit: number;
  private readonly reasons = new Map<string, 'interrupted' | 'ended'>();

  constructor(limit = 256) {
    this.limit = limit;
  }

  add(id: string, reason: 'interrupted' | 'ended'): void {
    this.reasons.delete(id);
    this.reasons.set(id, reason);
    if (this.reasons.size > this.limit) {
      const oldest = this.reasons.keys().next().value;
      if (oldest !== undefined) this.reasons.delete(oldest);
    }
  }

  get(id: string): 'interrupted' | 'ended' | undefined {
    return this.reasons.get(id);
  }
}

/** The last `limit` items pushed, oldest first. */
export class Recent<T> {
  readonly items: T[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.limit) this.items.shift();
  }
}
