import { decodeErrorCode, type AudioCodec, type DecodedChunk } from '../codecs/codec.js';
import type { AudioFormat } from '../codecs/formats.js';
import { CODECS } from '../codecs/registry.js';
import type { ErrorCode } from '../errors.js';
import type { RingWriter } from '../ring/ring-transport.js';
import type { OverflowPolicy, UtteranceAnnouncement } from '../sources/source.js';
import { MAX_UTTERANCES, type ToEngine } from '../worklet/messages.js';
import type { MarkBook } from './marks.js';
import { msToSamples, samplesToMs, type PrebufferPolicy, type Totals } from './metrics.js';
import type { DropReason, PlayerEvents } from './types.js';
import type { Finish, Utterance, UtteranceRegistry } from './utterances.js';

/** Emits a typed player event. */
export type Emit = <K extends keyof PlayerEvents>(type: K, event: PlayerEvents[K]) => void;
/** Emits an `error` event (and counts it). */
export type EmitError = (code: ErrorCode, message: string, utteranceId?: string) => void;

/** What ingest works with; the session owns all of it. */
export interface IngestDeps {
  registry: UtteranceRegistry;
  marks: MarkBook;
  writer: RingWriter;
  totals: Totals;
  prebuffer: PrebufferPolicy;
  /** Ring capacity in samples, and the option it came from (for messages). */
  capacity: number;
  maxBufferMs: number;
  /** The rate the ring was sized at (the player's `sampleRate`). */
  sampleRate: number;
  /** The player's default format, for counting bytes of an utterance it never saw. */
  defaultFormat: AudioFormat;
  /** Posts to the worklet, after any samples the writer still holds. */
  send(message: ToEngine): void;
  emit: Emit;
  error: EmitError;
  /** The utterance leaves the queue for good (marks, totals, registry). */
  retire(utt: Utterance, how: Finish): void;
  /** The output rate, once the context exists (0 before). */
  outputRate(): number;
  /** Remembers that a chunk of `samples` was refused, so `drain` can say when it fits. */
  refused(samples: number): void;
  /** Codecs by format name (the registry; tests may pass their own). */
  codecs?: Readonly<Record<AudioFormat, AudioCodec>>;
}

/**
 * The ingest policy every source goes through: which utterance audio belongs to, what is
 * late (stale, after the end, duplicated) and discarded, what does not fit (refused for a
 * source that can wait, dropped and counted for one that cannot), and decoding into the
 * ring in order. Every sample received is accounted for: written, or dropped with a
 * `dropped` event.
 */
export class Ingest {
  private readonly d: IngestDeps;
  private readonly codecs: Readonly<Record<AudioFormat, AudioCodec>>;

  constructor(deps: IngestDeps) {
    this.d = deps;
    this.codecs = deps.codecs ?? CODECS;
  }

  /**
   * Starts utterance `id` (or returns it if it is active): the open one is ended, marks
   * given early become its own, and `utterancestart` fires. Null when it finished already
   * or too many are queued (with an error).
   */
  start(id: string, rate: number, format: AudioFormat, announcement: UtteranceAnnouncement = {}): Utterance | null {
    const { registry } = this.d;
    const existing = registry.get(id);
    if (existing) return existing;
    if (registry.finishedAs(id)) return null;
    if (registry.size >= MAX_UTTERANCES) {
      this.d.error('too-many-utterances', `${MAX_UTTERANCES} utterances are already queued; "${id}" was refused`, id);
      return null;
    }
    if (registry.open) this.close(registry.open);
    const utt = registry.create(id, rate, this.codecs[format], this.d.outputRate());
    this.d.marks.adopt(utt);
    this.d.emit('utterancestart', { utteranceId: id, sampleRate: rate, format, text: announcement.text ?? null, meta: announcement.meta ?? null });
    return utt;
  }

  /**
   * Audio bytes of utterance `id`. Returns false when nothing was taken: the chunk does not
   * fit and the source can wait (`policy` `'wait'`), or the utterance was refused.
   */
  write(id: string, bytes: Uint8Array, rate: number, format: AudioFormat, policy: OverflowPolicy): boolean {
    const { registry } = this.d;
    const finishedAs = registry.finishedAs(id);
    if (finishedAs) {
      this.discard(registry.known(id), id, bytes.length, finishedAs === 'interrupted' ? 'stale' : 'after-end', `after it was ${finishedAs}`);
      return true;
    }
    if (bytes.length === 0) {
      this.d.error('empty-chunk', `an empty chunk arrived for utterance "${id}"`, id);
      return true;
    }
    let utt = registry.get(id);
    if (utt && utt.closed) {
      this.discard(utt, id, bytes.length, 'after-end', 'after its end');
      return true;
    }
    if (!utt) {
      const created = this.start(id, rate, format);
      if (!created) return false;
      utt = created;
    }
    if (utt.declaredRate !== rate || utt.format !== format) {
      this.d.error(
        'rate-change',
        `a chunk of utterance "${id}" is ${format} at ${rate} Hz but the utterance is ${utt.format} at ${utt.declaredRate} Hz; discarded`,
        id,
      );
      return true;
    }
    const width = utt.codec.bytesPerSample;
    if (width !== null) {
      // A fixed-width codec says before decoding how many samples the chunk makes, so a
      // chunk that cannot fit is refused with nothing taken (the decoder's carry untouched).
      const count = Math.floor((utt.decoder.pendingBytes + bytes.length) / width);
      if (!this.fits(utt, count, policy)) {
        if (policy === 'drop') this.whenDecoded(utt, decodeOf(utt, bytes), (chunk) => this.overflow(utt, chunk.samples.length));
        return false;
      }
      if (bytes.length % width !== 0) utt.oddFraming = true;
    } else if (policy === 'wait' && !this.fits(utt, Math.min(utt.estimateSamples(bytes.length), this.d.capacity), policy)) {
      // A compressed chunk's size is known only after decoding: refuse it (nothing taken) when
      // what it and the decodes in flight will make, at the rate seen so far, does not fit.
      return false;
    }
    const length = bytes.length;
    utt.bytesIn += length;
    this.whenDecoded(utt, decodeOf(utt, bytes), (chunk) => {
      utt.bytesDecoded += length;
      utt.samplesDecoded += chunk.samples.length;
      this.accept(utt, chunk);
    });
    return true;
  }

  /**
   * Audio a source knows belongs to a cut turn (see `AudioSink.stale`): counted as stale,
   * through the same path as audio arriving for an interrupted utterance.
   */
  stale(id: string, bytes: Uint8Array, format: AudioFormat): void {
    this.discard(this.d.registry.known(id), id, bytes.length, 'stale', 'after it was interrupted', format);
  }

  /** No more audio for `id` (from the app or a source). */
  end(id: string, from: 'app' | 'source'): void {
    const utt = this.d.registry.get(id);
    if (utt) {
      this.close(utt);
      return;
    }
    if (this.d.registry.finishedAs(id)) return;
    this.d.error(
      'unknown-utterance',
      from === 'app' ? `endUtterance("${id}"): no such utterance is playing or buffered` : `the server ended utterance "${id}", which never started`,
      id,
    );
  }

  /**
   * A source saw lost or repeated input for `id`. A duplicate is discarded and counted; a
   * gap restarts the decoder at the next frame, unless the utterance's frames split
   * samples: then nothing says where samples start again, and the rest of it would play
   * as noise, so it ends here.
   */
  gap(id: string, gap: { discardedBytes: number; missing: number; message: string }): void {
    const { registry, totals } = this.d;
    totals.sequenceGaps++;
    const utt = registry.get(id);
    const known = utt ?? registry.known(id);
    if (known) known.stats.sequenceGaps++;
    if (gap.discardedBytes > 0) {
      this.discard(known, id, gap.discardedBytes, 'duplicate', gap.message);
      return;
    }
    if (utt && utt.oddFraming && !utt.closed) {
      this.d.error('sequence', `${gap.message}; its frames split samples, so the rest of utterance "${id}" cannot be realigned and is discarded`, id);
      this.close(utt, false); // the sequence error already says its tail is gone
      return;
    }
    utt?.decoder.reset();
    this.d.emit('dropped', { reason: 'gap', utteranceId: id, samples: 0, message: gap.message });
  }

  /**
   * Ends `utt`: nothing more is accepted; the worklet learns where it ends once its decodes
   * are done. Bytes left in its decoder are reported unless `reportLeftover` is false.
   */
  close(utt: Utterance, reportLeftover = true): void {
    if (utt.closed) return;
    utt.closed = true;
    if (this.d.registry.open === utt) this.d.registry.open = null;
    utt.afterDecodes(() => {
      // Bytes left in the decoder at the end are a truncated stream (half a sample, part of
      // an Ogg page or a WAV frame): not audio, but not to be lost without a word.
      const left = utt.decoder.reset();
      if (left > 0 && reportLeftover && !utt.undecodable)
        this.d.error(
          'bad-frame',
          `utterance "${utt.id}" (${utt.format}) ended with ${left} byte(s) that do not complete a sample, frame or page; they were dropped`,
          utt.id,
        );
      // Marks past the last sample sound with it: they must reach the worklet before the end.
      if (utt.begun) {
        this.d.marks.release(utt);
        this.d.send({ type: 'end', serial: utt.serial, at: utt.start + utt.written });
      } else if (this.d.registry.get(utt.id) === utt) this.d.retire(utt, 'ended');
    });
  }

  /** Decoded samples of `utt` go into the ring (capacity checked on what was decoded). */
  private accept(utt: Utterance, chunk: DecodedChunk): void {
    const { totals, registry } = this.d;
    if (registry.finishedAs(utt.id) === 'interrupted') {
      // Cut while its decode ran: late by the time it is ready.
      this.countStale(utt, chunk.samples.length, 'stale', `decoded after utterance "${utt.id}" was interrupted`);
      return;
    }
    if (chunk.nonFinite > 0) {
      totals.nonFinite += chunk.nonFinite;
      this.d.error('non-finite', `${chunk.nonFinite} NaN/Infinity samples in utterance "${utt.id}" were replaced by silence`, utt.id);
    }
    const samples = chunk.samples;
    if (samples.length === 0) return;
    // A codec of unknown width learns the size only now: what does not fit cannot be refused.
    if (utt.codec.bytesPerSample === null && !this.fits(utt, samples.length, 'drop')) {
      this.overflow(utt, samples.length);
      return;
    }
    const writer = this.d.writer;
    if (!utt.begun) {
      if (chunk.sampleRate !== undefined && chunk.sampleRate !== utt.rate) {
        utt.rate = chunk.sampleRate;
        utt.stats.sampleRate = chunk.sampleRate;
      }
      utt.begun = true;
      utt.start = writer.written;
      const prebuffer = this.d.prebuffer;
      this.d.send({
        type: 'begin',
        serial: utt.serial,
        rate: utt.rate,
        at: utt.start,
        prebuffer: msToSamples(prebuffer.ms, utt.rate),
        prebufferStep: msToSamples(prebuffer.stepMs, utt.rate),
        prebufferMax: msToSamples(prebuffer.maxMs, utt.rate),
      });
    }
    const unplayed = utt.start + utt.written - writer.readPosition();
    utt.stats.onChunk(samples.length, performance.now(), unplayed, utt.starved);
    if (utt.stats.boundaries > 0) {
      totals.boundaries++;
      if (unplayed > 0 && !utt.starved) totals.preloaded++;
    }
    utt.written += samples.length;
    totals.received += samples.length;
    writer.write(samples);
    this.d.marks.release(utt);
  }

  /**
   * True when `count` samples fit now. Otherwise: a chunk larger than the whole ring is an
   * error (it can never fit); a full ring refuses (`'wait'`) or leaves the caller to drop
   * and count (`'drop'`).
   */
  private fits(utt: Utterance, count: number, policy: OverflowPolicy): boolean {
    const { capacity, writer } = this.d;
    if (count > capacity) {
      this.d.error(
        'oversized',
        `a chunk of ${count} samples is larger than the whole buffer (${capacity} samples = maxBufferMs ${this.d.maxBufferMs}); it can never fit`,
        utt.id,
      );
      return false;
    }
    if (count <= writer.free()) return true;
    if (policy === 'wait') this.d.refused(count);
    return false;
  }

  /** Audio of `utt` that could not fit from a source that cannot wait: counted and reported. */
  private overflow(utt: Utterance, samples: number): void {
    if (samples === 0) return;
    const { totals } = this.d;
    utt.drops.push(utt.stats.received, samples);
    totals.overflow += samples;
    totals.received += samples;
    utt.stats.received += samples;
    utt.stats.dropped += samples;
    const bufferedMs = samplesToMs(this.d.capacity - this.d.writer.free(), this.d.sampleRate);
    this.d.emit('dropped', {
      reason: 'overflow',
      utteranceId: utt.id,
      samples,
      message: `buffer full (${bufferedMs.toFixed(0)} ms buffered of ${this.d.maxBufferMs} ms): ${samples} samples of "${utt.id}" were dropped`,
    });
    this.d.marks.release(utt);
  }

  /** Bytes discarded on arrival (late, after the end, duplicated): counted as received and dropped. */
  private discard(utt: Utterance | undefined, id: string, bytes: number, reason: DropReason, why: string, format = this.d.defaultFormat): void {
    const width = utt ? utt.codec.bytesPerSample : this.codecs[format].bytesPerSample;
    // A compressed codec's byte count says nothing of its samples: such drops count 0.
    const samples = width === null ? 0 : Math.floor(bytes / width);
    this.countStale(utt, samples, reason, reason === 'duplicate' ? why : `${bytes} bytes arrived for utterance "${id}" ${why}; discarded`, id);
  }

  private countStale(utt: Utterance | undefined, samples: number, reason: DropReason, message: string, id = utt?.id ?? ''): void {
    const { totals } = this.d;
    totals.stale += samples;
    totals.received += samples;
    if (utt) utt.stats.stale += samples;
    this.d.emit('dropped', { reason, utteranceId: id, samples, message });
  }

  /** Runs `fn` on a decode's result in order after the utterance's earlier decodes (at once when there are none). */
  private whenDecoded(utt: Utterance, result: DecodedChunk | Promise<DecodedChunk>, fn: (chunk: DecodedChunk) => void): void {
    if (!(result instanceof Promise)) {
      utt.afterDecodes(() => fn(result));
      return;
    }
    // Handled at once (a decode that fails while earlier ones still run is never an
    // unhandled rejection), applied in order.
    const settled = result.then(
      (chunk) => () => fn(chunk),
      (cause: unknown) => () => this.decodeFailed(utt, cause),
    );
    utt.afterDecodes(() => settled.then((apply) => apply()));
  }

  /** A decode of `utt` failed: report it; a format the decoder cannot play ends the utterance with what played. */
  private decodeFailed(utt: Utterance, cause: unknown): void {
    // A decoder's own decode error names what it saw; anything else is undecodable bytes.
    const code: ErrorCode = decodeErrorCode(cause) ?? 'bad-frame';
    const text = cause instanceof Error ? cause.message : String(cause);
    this.d.error(code, `could not decode audio of utterance "${utt.id}" (${utt.format}): ${text}`, utt.id);
    if (code === 'unsupported-codec') {
      utt.undecodable = true;
      this.close(utt);
    }
  }
}

/** Starts decoding `bytes`; a decoder that throws becomes a rejected decode, handled in order. */
function decodeOf(utt: Utterance, bytes: Uint8Array): DecodedChunk | Promise<DecodedChunk> {
  try {
    return utt.decoder.decode(bytes);
  } catch (error) {
    return Promise.reject(error);
  }
}
