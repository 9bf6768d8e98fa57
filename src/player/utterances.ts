import type { AudioCodec, Decoder } from '../codecs/codec.js';
import type { AudioFormat } from '../codecs/formats.js';
import { UtteranceStats } from './metrics.js';
import type { HeardMark } from './types.js';

/** How an utterance left the queue. */
export type Finish = 'ended' | 'interrupted';

/** Main-thread record of one utterance: its decoder, its place in the ring, its figures. */
export class Utterance {
  readonly id: string;
  readonly serial: number;
  /** The rate it was declared with (pushes and frames must match it). */
  readonly declaredRate: number;
  /** The rate of its samples in the ring: the declared one, unless its codec decides another. */
  rate: number;
  readonly format: AudioFormat;
  readonly codec: AudioCodec;
  readonly decoder: Decoder;
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
  /** The last of its marks the audio thread output. */
  lastMark: HeardMark | null = null;
  /** Stretches of its timeline dropped on arrival (overflow): start offset, length, … */
  readonly drops: number[] = [];
  /** Had a frame that ended mid-sample: after a lost frame its alignment is unknowable. */
  oddFraming = false;
  /** Decodes still running (asynchronous codecs); what follows them waits in this chain. */
  pending: Promise<void> | null = null;
  /** Its format cannot be decoded here (an `unsupported-codec` error said so): what is left in the decoder is not news. */
  undecodable = false;
  /** Bytes handed to the decoder, and of those, bytes whose decode is done with the samples they made. */
  bytesIn = 0;
  bytesDecoded = 0;
  samplesDecoded = 0;

  constructor(id: string, serial: number, rate: number, codec: AudioCodec, outputRate: number) {
    this.id = id;
    this.serial = serial;
    this.declaredRate = rate;
    this.rate = rate;
    this.format = codec.name;
    this.codec = codec;
    this.decoder = codec.createDecoder(rate);
    this.stats = new UtteranceStats(id, rate);
    this.stats.outputRate = outputRate;
  }

  /**
   * Samples `bytes` more bytes of a compressed stream will decode to, plus those of the
   * bytes still being decoded, estimated from what its decodes made so far (0 until the
   * first decode is done: the first chunk is taken on trust).
   */
  estimateSamples(bytes: number): number {
    if (this.bytesDecoded === 0) return 0;
    return Math.ceil(((bytes + this.bytesIn - this.bytesDecoded) * this.samplesDecoded) / this.bytesDecoded);
  }

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

  /**
   * Runs `fn` after the decodes already started for this utterance (at once when none are).
   * When `fn` itself waits (an asynchronous decode), what comes later waits for it too; the
   * chain clears once it has run out, so a synchronous codec stays synchronous.
   */
  afterDecodes(fn: () => void | Promise<void>): void {
    const done = this.pending ? this.pending.then(fn) : fn();
    if (!(done instanceof Promise)) return;
    this.pending = done;
    void done.then(() => {
      if (this.pending === done) this.pending = null;
    });
  }
}

/**
 * Ids recently finished, and how: late audio for them is discarded and counted rather
 * than starting a new utterance. Bounded (oldest forgotten first) so a long session
 * cannot grow it without limit.
 */
export class FinishedIds {
  private readonly limit: number;
  private readonly reasons = new Map<string, Finish>();

  constructor(limit = 256) {
    this.limit = limit;
  }

  add(id: string, reason: Finish): void {
    this.reasons.delete(id);
    this.reasons.set(id, reason);
    if (this.reasons.size > this.limit) {
      const oldest = this.reasons.keys().next().value;
      if (oldest !== undefined) this.reasons.delete(oldest);
    }
  }

  get(id: string): Finish | undefined {
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

/**
 * Every utterance the player knows: the active ones (queued, sounding, or cut and not yet
 * confirmed by the worklet), the open one (audio flows into it), and the recently finished.
 * Utterances play in serial order; a new one closes the open one (the caller does that).
 */
export class UtteranceRegistry {
  private nextSerial = 1;
  private readonly active = new Map<string, Utterance>();
  private readonly bySerialMap = new Map<number, Utterance>();
  private readonly finished = new FinishedIds();
  /** The most recent finished utterances, oldest first (for metrics and late audio). */
  readonly recent = new Recent<Utterance>(32);
  /** The utterance audio currently flows into, if any. */
  open: Utterance | null = null;

  /** Active utterances. */
  get size(): number {
    return this.active.size;
  }

  /** The active utterance `id`. */
  get(id: string): Utterance | undefined {
    return this.active.get(id);
  }

  /** The active utterance with worklet serial `serial`. */
  bySerial(serial: number): Utterance | undefined {
    return this.bySerialMap.get(serial);
  }

  /** Active utterances in the order they were created. */
  all(): IterableIterator<Utterance> {
    return this.active.values();
  }

  /** How `id` finished, if it did recently. */
  finishedAs(id: string): Finish | undefined {
    return this.finished.get(id);
  }

  /** The active or recently finished utterance `id`, for counting audio that arrives for it late. */
  known(id: string): Utterance | undefined {
    return this.active.get(id) ?? this.recent.items.find((u) => u.id === id);
  }

  /** The serial the next utterance will get (also names raw audio that arrives without an id). */
  get upcomingSerial(): number {
    return this.nextSerial;
  }

  /** Registers a new utterance as the open one. */
  create(id: string, rate: number, codec: AudioCodec, outputRate: number): Utterance {
    const utt = new Utterance(id, this.nextSerial++, rate, codec, outputRate);
    this.active.set(id, utt);
    this.bySerialMap.set(utt.serial, utt);
    this.open = utt;
    return utt;
  }

  /** Marks `utt` as finished without retiring it yet (the worklet still has to confirm a cut). */
  markFinished(utt: Utterance, how: Finish): void {
    utt.closed = true;
    this.finished.add(utt.id, how);
    if (this.open === utt) this.open = null;
  }

  /** The utterance leaves the active set for good. */
  retire(utt: Utterance, how: Finish): void {
    utt.stats.state = how;
    this.markFinished(utt, how);
    this.active.delete(utt.id);
    this.bySerialMap.delete(utt.serial);
    this.recent.push(utt);
  }
}
