import { VoxplayError, type ErrorCode } from '../errors.js';
import type { RingWriter } from '../ring/ring-transport.js';
import type { AudioDescription, AudioSource, OverflowPolicy, UtteranceAnnouncement } from '../sources/source.js';
import type { EngineReport, ToEngine } from '../worklet/messages.js';
import { Scheduler, type AudioClock } from './clock.js';
import type { EnginePort } from './engine-port.js';
import { Ingest, type Emit } from './ingest.js';
import { MarkBook } from './marks.js';
import { buildMetrics, PrebufferPolicy, samplesToMs, Totals } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import { ReportHandler } from './reports.js';
import { SourceSink } from './source-sink.js';
import type { InterruptResult, PlayerMetrics } from './types.js';
import { UtteranceRegistry, type Finish, type Utterance } from './utterances.js';

/** The parts of the options the session reads. */
export type SessionOptions = Pick<ResolvedOptions, 'sampleRate' | 'format' | 'prebufferMs' | 'maxBufferMs' | 'adaptivePrebuffer' | 'capacity'>;

/** Figures only the player knows (context, state), added to the session's for a metrics snapshot. */
export type PlayerFigures = Pick<PlayerMetrics, 'state' | 'speed' | 'transport' | 'contextSampleRate' | 'outputLatencyMs' | 'clockSource'>;

interface Connected {
  source: AudioSource;
  sink: SourceSink;
  stop: () => void;
}

/**
 * Everything the player does between the app and the worklet, without Web Audio: the
 * utterance registry, ingest policy, marks, the worklet's reports turned into events,
 * sources, backpressure and metrics. It talks to the worklet only through an
 * {@link EnginePort}, so unit tests run it against the real engine behind a fake port.
 * {@link StreamPlayer} adds the context's lifecycle and the public surface.
 */
export class PlaybackSession {
  readonly registry = new UtteranceRegistry();
  readonly marks: MarkBook;
  readonly ingest: Ingest;
  readonly reports: ReportHandler;
  readonly totals = new Totals();
  readonly prebuffer: PrebufferPolicy;
  readonly scheduler = new Scheduler();
  readonly writer: RingWriter;
  private readonly port: EnginePort;
  private readonly options: SessionOptions;
  private readonly emit: Emit;
  private clock: AudioClock | null = null;
  private readonly sources = new Set<Connected>();
  private waiters: { samples: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Size of the chunk last refused for lack of room, until `drain` says it fits. */
  private refusedSamples: number | null = null;
  private closed = false;
  /** Called as each utterance leaves the queue for good (playStream waits on these). */
  readonly onRetire = new Set<(utt: Utterance, how: Finish) => void>();

  constructor(options: SessionOptions, writer: RingWriter, port: EnginePort, emit: Emit) {
    this.options = options;
    this.writer = writer;
    this.port = port;
    this.emit = emit;
    this.prebuffer = new PrebufferPolicy(options.prebufferMs, options.adaptivePrebuffer);
    const error = (code: ErrorCode, message: string, utteranceId?: string): void => this.error(code, message, utteranceId);
    const retire = (utt: Utterance, how: Finish): void => this.retire(utt, how);
    this.marks = new MarkBook((msg) => this.send(msg), error);
    this.ingest = new Ingest({
      registry: this.registry,
      marks: this.marks,
      writer,
      totals: this.totals,
      prebuffer: this.prebuffer,
      capacity: options.capacity,
      maxBufferMs: options.maxBufferMs,
      sampleRate: options.sampleRate,
      defaultFormat: options.format,
      send: (msg) => this.send(msg),
      emit,
      error,
      retire,
      outputRate: () => this.clock?.sampleRate ?? 0,
      refused: (samples) => {
        this.refusedSamples = Math.min(samples, options.capacity);
      },
    });
    this.reports = new ReportHandler({
      registry: this.registry,
      marks: this.marks,
      totals: this.totals,
      prebuffer: this.prebuffer,
      scheduler: this.scheduler,
      emit,
      error,
      retire,
      written: () => this.writer.written,
    });
    port.onReport((report) => this.onReport(report));
  }

  /** The output exists: its clock places events. */
  setClock(clock: AudioClock): void {
    this.clock = clock;
  }

  /** Sends a message to the worklet, after the samples the writer still holds (order matters). */
  send(message: ToEngine): void {
    this.writer.flush();
    this.port.post(message);
  }

  /** Emits an `error` event and counts it. */
  error(code: ErrorCode, message: string, utteranceId?: string): void {
    this.totals.errors++;
    this.emit('error', new VoxplayError(code, message, utteranceId === undefined ? undefined : { utteranceId }));
  }

  /** Announces utterance `id` with the player's defaults for what is not said. */
  startUtterance(id: string, announcement: UtteranceAnnouncement): void {
    this.ingest.start(id, announcement.sampleRate ?? this.options.sampleRate, announcement.format ?? this.options.format, announcement);
  }

  /** Audio bytes for utterance `id`, with the player's defaults for rate and format. */
  write(id: string, bytes: Uint8Array, description: AudioDescription, policy: OverflowPolicy): boolean {
    return this.ingest.write(id, bytes, description.sampleRate ?? this.options.sampleRate, description.format ?? this.options.format, policy);
  }

  /** Audio of a cut turn a source discards (see `AudioSink.stale`), counted with the player's default format when unsaid. */
  stale(id: string, bytes: Uint8Array, description: AudioDescription): void {
    this.ingest.stale(id, bytes, description.format ?? this.options.format);
  }

  /** Adds a mark (see `StreamPlayer.mark`). */
  addMark(utteranceId: string, sampleOffset: number, name: string): void {
    this.marks.add(this.registry.get(utteranceId), utteranceId, this.registry.finishedAs(utteranceId), sampleOffset, name);
  }

  /** Connects a source; the returned function disconnects it. */
  connect(source: AudioSource): () => void {
    const sink = new SourceSink(this, source.overflow);
    const entry: Connected = { source, sink, stop: () => undefined };
    this.sources.add(entry);
    entry.stop = source.connect(sink);
    return () => {
      if (!this.sources.delete(entry)) return;
      sink.live = false;
      entry.stop();
    };
  }

  /** A source's connection ended: what arrived of the open utterance plays out. */
  sourceDisconnected(code: number, reason: string): void {
    const cut = this.registry.open;
    if (cut) {
      this.error('disconnected', `the socket closed (code ${code}) while utterance "${cut.id}" was arriving; what arrived will play out`, cut.id);
      this.ingest.close(cut);
    }
    this.emit('disconnected', { code, reason, utteranceId: cut ? cut.id : null });
  }

  /** Barge-in (see `StreamPlayer.interrupt`). */
  interrupt(): InterruptResult {
    const readAt = this.writer.readPosition();
    // Utterances cut by an earlier interrupt stay active until the worklet confirms; skip them.
    const cut = [...this.registry.all()].filter((utt) => this.registry.finishedAs(utt.id) !== 'interrupted');
    let head: Utterance | null = null;
    for (const utt of cut) if (!head || utt.serial < head.serial) head = utt;
    const result: InterruptResult = { utteranceId: head ? head.id : null, playedMs: 0, droppedMs: 0, lastMark: head ? head.lastMark : null };
    if (head) {
      const played = head.begun ? Math.min(Math.max(readAt - head.start, 0), head.written) : 0;
      result.playedMs = samplesToMs(played, head.rate);
      result.droppedMs = samplesToMs(head.written - played, head.rate);
    }
    let lastSerial = -1;
    for (const utt of cut) {
      if (utt.serial > lastSerial) lastSerial = utt.serial;
      utt.decoder.reset();
      this.registry.markFinished(utt, 'interrupted');
      if (!utt.begun) this.retire(utt, 'interrupted');
    }
    this.registry.open = null;
    this.marks.clearEarly();
    if (lastSerial >= 0) this.send({ type: 'interrupt', flushTo: this.writer.written, lastSerial });
    // Tell every source about every utterance cut, the sounding one first: any of them may still be streaming.
    const ids = head ? [head.id, ...cut.filter((u) => u !== head).map((u) => u.id)] : [null];
    for (const { source } of this.sources) source.interrupted?.(ids);
    return result;
  }

  /**
   * Resolves when `samples` fit in the buffer (default: the chunk last refused, else 1);
   * rejects with `closed` if the player closes first.
   */
  whenWritable(samples?: number): Promise<void> {
    if (this.closed) return Promise.reject(new VoxplayError('closed', 'whenWritable() called after close()'));
    const need = Math.max(1, Math.min(Math.ceil(samples ?? this.refusedSamples ?? 1), this.options.capacity));
    if (this.writer.free() >= need) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ samples: need, resolve, reject }));
  }

  /** A metrics snapshot, exact as of the latest worklet report. */
  metrics(figures: PlayerFigures): PlayerMetrics {
    let head: Utterance | null = null;
    const active: Utterance[] = [];
    for (const utt of this.registry.all()) {
      active.push(utt);
      if (!head || utt.serial < head.serial) head = utt;
    }
    const last = this.reports.last;
    return buildMetrics({
      ...figures,
      capacityMs: this.options.maxBufferMs,
      prebufferMs: this.prebuffer.ms,
      lowWaterMs: this.reports.lowWaterMs,
      totals: this.totals,
      written: this.writer.written,
      report: last,
      active: active.map((u) => u.stats),
      recent: this.registry.recent.items.map((u) => u.stats),
      head: head ? head.stats : null,
      reported: this.registry.bySerial(last.serial)?.stats ?? null,
    });
  }

  /** Stops sources, timers and waiters; the caller closes the port. */
  close(): void {
    this.closed = true;
    for (const entry of [...this.sources]) {
      this.sources.delete(entry);
      entry.sink.live = false;
      entry.stop();
    }
    this.writer.dispose();
    this.scheduler.cancelAll();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new VoxplayError('closed', 'the player closed while a source waited for room'));
  }

  private onReport(report: EngineReport): void {
    if (this.closed || !this.clock) return;
    this.writer.onReport(report.absRead);
    this.reports.handle(report, this.clock);
    this.checkWritable();
  }

  private checkWritable(): void {
    const free = this.writer.free();
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.samples <= free);
      if (ready.length > 0) {
        this.waiters = this.waiters.filter((w) => w.samples > free);
        for (const w of ready) w.resolve();
      }
    }
    if (this.refusedSamples !== null && free >= this.refusedSamples) {
      this.refusedSamples = null;
      this.emit('drain', { freeSamples: free });
    }
  }

  /** The utterance leaves the queue for good: its marks go, its played samples join the totals. */
  private retire(utt: Utterance, how: Finish): void {
    this.marks.forget(utt, how);
    this.totals.played += utt.stats.played;
    this.registry.retire(utt, how);
    for (const listener of this.onRetire) listener(utt, how);
  }
}
