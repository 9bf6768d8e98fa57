import mitt, { type Emitter } from 'mitt';
import { loadWorklet, OutputClock, tryResume } from './audio-context.js';
import { BYTES_PER_SAMPLE, type PcmFormat } from './decode/pcm.js';
import { VoxplayError, type ErrorCode } from './errors.js';
import { msToSamples, PrebufferPolicy, samplesToMs } from './metrics/metrics.js';
import { EngineEvent, EVENT_RECORD, PROCESSOR_NAME, type EngineOptions, type EngineReport, type ToEngine } from './playback/engine-messages.js';
import { MAX_MARKS, MAX_SEGMENTS } from './playback/playback-engine.js';
import type {
  AttachOptions,
  HeardMark,
  InterruptedEvent,
  InterruptResult,
  PlayerEvents,
  PlayerMetrics,
  PlayerState,
  PushOptions,
  SampleCounts,
  StreamPlayerOptions,
  UtteranceMetrics,
} from './player-types.js';
import { MessageRingWriter, SharedRingWriter, type RingWriter } from './ring/ring-transport.js';
import { SocketFeed, type SocketLike } from './socket-feed.js';
import { FinishedIds, Recent, Utterance } from './utterances.js';

const MIN_RATE = 8000;
const MAX_RATE = 48000;
/** How long start() waits for the context to run before calling it blocked by autoplay policy. */
const AUTOPLAY_WAIT_MS = 400;
/** Worklet reports at least this often (ms), so metrics and the postMessage free space stay fresh. */
const REPORT_INTERVAL_MS = 20;
// The postMessage transport's cross-task batching (HoldPolicy): hold only with this much
// (and this much beyond the largest prebuffer) already sent, up to this much audio, for up
// to this long. Worst case the worklet still has minAhead − report lag − wait ≈ 190 ms queued.
const HOLD_MIN_AHEAD_MS = 250;
const HOLD_MARGIN_MS = 100;
const HOLD_MAX_MS = 200;
const HOLD_MAX_WAIT_MS = 40;

interface ResolvedOptions {
  sampleRate: number;
  format: PcmFormat;
  prebufferMs: number;
  fadeMs: number;
  maxBufferMs: number;
  metricsIntervalMs: number;
}

/**
 * Plays streamed speech gaplessly through one AudioWorklet ring buffer.
 *
 * Feed it with {@link StreamPlayer.push} or {@link StreamPlayer.attach}; cut it with
 * {@link StreamPlayer.interrupt} when the user starts talking. All methods are for the
 * main thread.
 *
 * @example
 * ```ts
 * const player = new StreamPlayer({ sampleRate: 24000, format: 'pcm16' });
 * await player.start();
 * player.attach(new WebSocket('wss://tts.example/stream'));
 * vad.onSpeechStart = () => player.interrupt();
 * ```
 */
export class StreamPlayer {
  private readonly options: ResolvedOptions;
  private readonly emitter: Emitter<PlayerEvents> = mitt<PlayerEvents>();
  private readonly appContext: AudioContext | OfflineAudioContext | undefined;
  private readonly appDestination: AudioNode | undefined;
  private readonly workletUrl: string | URL | undefined;
  private readonly workletSource: string | undefined;
  private readonly prebuffer: PrebufferPolicy;
  private readonly writer: RingWriter;
  private readonly sharedBuffer: SharedArrayBuffer | undefined;
  private readonly capacity: number;

  private currentState: PlayerState = 'new';
  private context: AudioContext | OfflineAudioContext | null = null;
  /** The context the player made itself (and so closes), if any. */
  private ownContext: AudioContext | null = null;
  private clock: OutputClock | null = null;
  private node: AudioWorkletNode | null = null;
  private startPromise: Promise<void> | null = null;
  private closePromise: Promise<void> | null = null;
  /** Messages for the worklet posted before it exists; flushed in order by start(). */
  private outbox: { msg: ToEngine; transfer: Transferable[] }[] | null = [];
  private hasRun = false;

  private nextSerial = 1;
  private readonly active = new Map<string, Utterance>();
  private readonly bySerial = new Map<number, Utterance>();
  private open: Utterance | null = null;
  private readonly finished = new FinishedIds();
  private readonly recent = new Recent<Utterance>(32);
  private readonly totals = {
    received: 0,
    played: 0,
    flushed: 0,
    stale: 0,
    overflow: 0,
    nonFinite: 0,
    underruns: 0,
    underrunFrames: 0,
    errors: 0,
    sequenceGaps: 0,
    boundaries: 0,
    preloaded: 0,
  };
  private lastReport: { absRead: number; serial: number; played: number; inFlight: number } = { absRead: 0, serial: -1, played: 0, inFlight: 0 };
  private lowWater: number | null = null;
  private feed: SocketFeed | null = null;
  private metricsTimer: ReturnType<typeof setInterval> | null = null;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly pendingInterrupt: { event: InterruptedEvent | null; flushed: string[] } = { event: null, flushed: [] };
  private readonly onContextState = (): void => this.syncState();
  /** Marks sent to the worklet and not yet heard or dropped, by id. */
  private readonly marks = new Map<number, { utt: Utterance; name: string; sampleOffset: number }>();
  /** Marks for utterances that have not started yet, by utterance id (bounded). */
  private readonly earlyMarks = new Map<string, { sampleOffset: number; name: string }[]>();
  private nextMarkId = 1;
  private heldMarkCount = 0;
  private earlyMarkCount = 0;

  /** @throws VoxplayError `bad-option` naming the option that is out of range. */
  constructor(options: StreamPlayerOptions = {}) {
    const sampleRate = options.sampleRate ?? 24000;
    checkRate(sampleRate, 'sampleRate');
    const format = options.format ?? 'pcm16';
    if (format !== 'pcm16' && format !== 'f32') throw badOption(`format must be "pcm16" or "f32", got ${JSON.stringify(format)}`);
    const prebufferMs = checkRange(options.prebufferMs ?? 60, 'prebufferMs', 0, 10_000);
    const fadeMs = checkRange(options.fadeMs ?? 5, 'fadeMs', 0, 50);
    const maxBufferMs = checkRange(options.maxBufferMs ?? 60_000, 'maxBufferMs', 100, 600_000);
    const metricsIntervalMs = checkRange(options.metricsIntervalMs ?? 250, 'metricsIntervalMs', 0, 3_600_000);
    if (prebufferMs >= maxBufferMs) throw badOption(`prebufferMs (${prebufferMs}) must be smaller than maxBufferMs (${maxBufferMs})`);
    const adapt = options.adaptivePrebuffer ?? { stepMs: 20, maxMs: 400 };
    if (adapt && (!(adapt.stepMs >= 0) || !(adapt.maxMs >= 0))) throw badOption('adaptivePrebuffer needs stepMs ≥ 0 and maxMs ≥ 0');
    if (options.destination && options.context && options.destination.context !== options.context) {
      throw badOption('destination belongs to a different AudioContext than `context`');
    }
    if (options.destination && !options.context) throw badOption('destination needs its `context` option too');
    this.options = { sampleRate, format, prebufferMs, fadeMs, maxBufferMs, metricsIntervalMs };
    this.appContext = options.context;
    this.appDestination = options.destination;
    this.workletUrl = options.workletUrl;
    this.workletSource = options.workletSource;
    this.prebuffer = new PrebufferPolicy(
      prebufferMs,
      adapt && Math.min(adapt.maxMs, maxBufferMs / 2) >= 0 ? { stepMs: adapt.stepMs, maxMs: Math.min(adapt.maxMs, maxBufferMs / 2) } : false,
    );
    this.capacity = Math.ceil((maxBufferMs * sampleRate) / 1000);

    const isolated = typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    const transport = options.transport ?? 'auto';
    if (transport === 'shared' && !isolated) {
      throw badOption('transport "shared" needs a cross-origin isolated page (COOP: same-origin and COEP: require-corp), and this one is not');
    }
    if (transport === 'shared' || (transport === 'auto' && isolated)) {
      const shared = new SharedRingWriter(this.capacity);
      this.writer = shared;
      this.sharedBuffer = shared.buffer;
    } else {
      this.writer = new MessageRingWriter(this.capacity, (msg, transfer) => this.post(msg, transfer));
    }
  }

  /** Lifecycle state; changes are announced by `statechange`. */
  get state(): PlayerState {
    return this.currentState;
  }

  /** Which ring transport is in use. */
  get transport(): 'shared' | 'message' {
    return this.writer.kind;
  }

  /** The AudioContext in use (the app's, or the player's own once started). */
  get audioContext(): AudioContext | OfflineAudioContext | null {
    return this.context;
  }

  /** Subscribes to a typed event. */
  on<K extends keyof PlayerEvents>(type: K, handler: (event: PlayerEvents[K]) => void): void {
    this.emitter.on(type, handler);
  }

  /** Unsubscribes a handler given to {@link StreamPlayer.on}. */
  off<K extends keyof PlayerEvents>(type: K, handler: (event: PlayerEvents[K]) => void): void {
    this.emitter.off(type, handler);
  }

  /**
   * Loads the worklet, connects it, and resumes the context. Calling it again returns the
   * same promise. Resolves with state `running`, or `blocked` when the browser wants a user
   * gesture first (then call {@link StreamPlayer.resume} from one; pushed audio is kept).
   *
   * @throws VoxplayError `worklet-load` (naming the URL and the likely cause), `closed`.
   */
  start(): Promise<void> {
    if (this.currentState === 'closed') return Promise.reject(new VoxplayError('closed', 'start() called after close()'));
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    const own = this.appContext ? null : new AudioContext({ latencyHint: 'interactive' });
    const context = this.appContext ?? own!;
    this.ownContext = own;
    this.context = context;
    this.clock = new OutputClock(context);
    try {
      await loadWorklet(context, this.workletUrl, this.workletSource);
    } catch (error) {
      await own?.close().catch(() => undefined);
      this.context = null;
      this.setState('new');
      this.startPromise = null;
      throw error;
    }
    if (this.currentState === 'closed') return;
    const engineOptions: EngineOptions = {
      capacity: this.capacity,
      fadeFrames: msToSamples(this.options.fadeMs, context.sampleRate),
      // Offline rendering runs far faster than real time: a 20 ms cadence would post a
      // report every few quanta and dominate the render cost. Events still go out at once.
      reportIntervalFrames: isOffline(context) ? context.sampleRate : msToSamples(REPORT_INTERVAL_MS, context.sampleRate),
      rates: [this.options.sampleRate],
    };
    if (this.sharedBuffer) engineOptions.shared = this.sharedBuffer;
    const node = new AudioWorkletNode(context, PROCESSOR_NAME, {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: engineOptions,
    });
    node.port.onmessage = (event: MessageEvent<EngineReport>) => this.onReport(event.data);
    node.onprocessorerror = () => this.emitError('context', 'the playback worklet stopped with an error');
    node.connect(this.appDestination ?? context.destination);
    this.node = node;
    const queued = this.outbox ?? [];
    this.outbox = null;
    for (const { msg, transfer } of queued) node.port.postMessage(msg, transfer);
    if (isOffline(context)) {
      // An offline context runs when the app calls startRendering() and closes when done;
      // neither is a state change of the player.
      this.hasRun = true;
      this.setState('running');
      return;
    }
    // Real time only: offline, the app pushes ahead and then renders, and held samples would
    // arrive after the stretch that needs them. Holding starts past the largest prebuffer, so
    // it never delays a start or a resume after an underrun.
    const rate = this.options.sampleRate;
    this.writer.setHoldPolicy({
      minAhead: msToSamples(Math.max(HOLD_MIN_AHEAD_MS, this.prebuffer.maxMs + HOLD_MARGIN_MS), rate),
      maxHeld: msToSamples(HOLD_MAX_MS, rate),
      maxHoldMs: HOLD_MAX_WAIT_MS,
    });
    context.addEventListener('statechange', this.onContextState);
    if (this.options.metricsIntervalMs > 0) {
      this.metricsTimer = setInterval(() => this.emitter.emit('metrics', this.getMetrics()), this.options.metricsIntervalMs);
    }
    const running = await tryResume(context, AUTOPLAY_WAIT_MS);
    if (running) this.hasRun = true;
    this.syncState();
  }

  /**
   * Resumes a `blocked` or `suspended` context. Call it from a user gesture (click, key)
   * when the browser's autoplay policy blocked {@link StreamPlayer.start}.
   */
  async resume(): Promise<void> {
    this.assertOpen('resume');
    if (!this.context) return this.start();
    await this.context.resume();
    this.syncState();
  }

  /**
   * Queues audio of an utterance. `chunk` may have any byte count: a sample split across
   * chunks is carried over. A new `utteranceId` starts a new utterance and ends the open
   * one. Audio for interrupted or ended utterances is discarded and counted as stale.
   *
   * @returns false when the chunk does not fit in the buffer (nothing of it was taken; an
   *   `error` event with code `buffer-full` says how much is buffered) — retry later.
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}; TypeError when `chunk` is not bytes.
   */
  push(chunk: ArrayBuffer | ArrayBufferView, options: PushOptions = {}): boolean {
    this.assertOpen('push');
    const bytes = toBytes(chunk);
    const rate = options.sampleRate ?? this.options.sampleRate;
    checkRate(rate, 'push sampleRate');
    const format = options.format ?? this.options.format;
    return this.ingest(options.utteranceId ?? 'default', bytes, rate, format, false);
  }

  /**
   * No more audio is coming for `utteranceId`: its tail plays out without waiting for the
   * prebuffer, and `ended` fires after its last sample.
   *
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}.
   */
  endUtterance(utteranceId: string): void {
    this.assertOpen('endUtterance');
    const utt = this.active.get(utteranceId);
    if (!utt) {
      if (!this.finished.get(utteranceId))
        this.emitError('unknown-utterance', `endUtterance("${utteranceId}"): no such utterance is playing or buffered`, utteranceId);
      return;
    }
    this.closeUtterance(utt);
  }

  /**
   * Barge-in: fades the sounding audio to silence within `fadeMs` (plus at most one render
   * quantum), drops everything buffered, discards audio still arriving for the cut
   * utterances, and tells an attached server `{"type":"interrupt"}`. Harmless when idle.
   *
   * @returns an immediate estimate; the `interrupted` event carries the exact,
   *   sample-counted figures from the audio thread.
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}.
   */
  interrupt(): InterruptResult {
    this.assertOpen('interrupt');
    const readAt = this.writer.readPosition();
    // Utterances cut by an earlier interrupt stay active until the worklet confirms; skip them.
    const cut = [...this.active.values()].filter((utt) => this.finished.get(utt.id) !== 'interrupted');
    let head: Utterance | null = null;
    for (const utt of cut) if (!head || utt.serial < head.serial) head = utt;
    const result: InterruptResult = { utteranceId: head ? head.id : null, playedMs: 0, droppedMs: 0, lastMark: head ? head.lastMark : null };
    if (head) {
      const played = head.begun ? clamp(readAt - head.start, 0, head.written) : 0;
      result.playedMs = samplesToMs(played, head.rate);
      result.droppedMs = samplesToMs(head.written - played, head.rate);
    }
    let lastSerial = -1;
    for (const utt of cut) {
      if (utt.serial > lastSerial) lastSerial = utt.serial;
      utt.decoder.reset();
      utt.closed = true;
      this.finished.add(utt.id, 'interrupted');
      if (!utt.begun) this.retire(utt, 'interrupted');
    }
    this.open = null;
    this.earlyMarks.clear();
    this.earlyMarkCount = 0;
    if (lastSerial >= 0) this.post({ t: 'interrupt', flushTo: this.writer.written, lastSerial });
    // Tell the server about every utterance cut, the sounding one first: any of them may still be streaming.
    if (this.feed) for (const utt of head ? [head, ...cut.filter((u) => u !== head)] : [null]) this.feed.sendInterrupt(utt ? utt.id : null);
    return result;
  }

  /**
   * Marks a point of an utterance, e.g. where a word starts (from a TTS's alignment data):
   * a `mark` event fires when input sample `sampleOffset` (counted from the utterance's
   * first sample, at its rate) reaches the speakers, and `interrupt()` reports the last mark
   * heard. Marks may be added before, during or after the utterance's audio arrives; a mark
   * whose audio is cut by `interrupt()` never fires.
   *
   * @throws VoxplayError `bad-option` for a negative or fractional offset or a non-string name; `closed` after close().
   */
  mark(utteranceId: string, sampleOffset: number, name: string): void {
    this.assertOpen('mark');
    if (!Number.isInteger(sampleOffset) || sampleOffset < 0) throw badOption(`mark sampleOffset must be a non-negative integer, got ${sampleOffset}`);
    if (typeof name !== 'string') throw badOption(`mark name must be a string, got ${describe(name)}`);
    this.addMark(utteranceId, sampleOffset, name);
  }

  private addMark(utteranceId: string, sampleOffset: number, name: string): void {
    const utt = this.active.get(utteranceId);
    if (!utt) {
      const finished = this.finished.get(utteranceId);
      if (finished === 'interrupted') return; // its audio was cut: the mark could never be heard
      if (finished === 'ended') {
        this.emitError('after-end', `a mark for utterance "${utteranceId}" arrived after it ended`, utteranceId);
        return;
      }
      // Not started yet: keep it until the utterance's first audio or start message.
      let early = this.earlyMarks.get(utteranceId);
      if (!early) {
        if (this.earlyMarks.size >= MAX_SEGMENTS) {
          this.emitError(
            'too-many-utterances',
            `marks for ${MAX_SEGMENTS} utterances that have not started are already held; the mark for "${utteranceId}" was refused`,
            utteranceId,
          );
          return;
        }
        early = [];
        this.earlyMarks.set(utteranceId, early);
      }
      if (!this.markRoom(name, utteranceId)) return;
      early.push({ sampleOffset, name });
      this.earlyMarkCount++;
      return;
    }
    if (utt.closed && this.finished.get(utteranceId) === 'interrupted') return;
    if (!this.markRoom(name, utteranceId)) return;
    if (utt.closed || sampleOffset < utt.stats.received) {
      this.sendMark(utt, sampleOffset, name);
      return;
    }
    let at = utt.heldMarks.length;
    while (at > 0 && utt.heldMarks[at - 1].sampleOffset > sampleOffset) at--;
    utt.heldMarks.splice(at, 0, { sampleOffset, name });
    this.heldMarkCount++;
  }

  /** False (with an error) when MAX_MARKS marks are already held or waiting to be heard. */
  private markRoom(name: string, utteranceId: string): boolean {
    if (this.marks.size + this.heldMarkCount + this.earlyMarkCount < MAX_MARKS) return true;
    this.emitError('buffer-full', `${MAX_MARKS} marks are already waiting to be heard; the mark "${name}" was refused`, utteranceId);
    return false;
  }

  /** Hands a mark whose audio has arrived (or will never) to the worklet, mapped onto the ring. */
  private sendMark(utt: Utterance, sampleOffset: number, name: string): void {
    const ringOffset = utt.ringOffset(sampleOffset);
    if (ringOffset < 0) return; // its audio was dropped on arrival: it can never be heard
    const id = this.nextMarkId++;
    this.marks.set(id, { utt, name, sampleOffset });
    utt.markIds.add(id);
    this.post({ t: 'mark', serial: utt.serial, offset: ringOffset, id });
  }

  /** Sends the held marks whose sample has now arrived (all of them once the utterance is closed). */
  private releaseMarks(utt: Utterance): void {
    let n = 0;
    while (n < utt.heldMarks.length && (utt.closed || utt.heldMarks[n].sampleOffset < utt.stats.received)) n++;
    if (n === 0) return;
    const ready = utt.heldMarks.splice(0, n);
    this.heldMarkCount -= n;
    for (const m of ready) this.sendMark(utt, m.sampleOffset, m.name);
  }

  /**
   * Feeds the player from a WebSocket: binary frames are audio (voxplay-framed, or raw
   * PCM with `{ framing: 'raw' }`), text frames are JSON control messages. Replaces any
   * previously attached socket.
   *
   * @returns a function that detaches the socket (without closing it).
   */
  attach(socket: SocketLike, options: AttachOptions = {}): () => void {
    this.assertOpen('attach');
    this.feed?.detach();
    const feed = new SocketFeed(socket, options.framing ?? 'voxplay', {
      audio: (id, bytes, rate, format) => {
        this.ingest(id, bytes, rate ?? this.options.sampleRate, format ?? this.options.format, true);
      },
      startUtterance: (id, rate, format) => this.startUtterance(id, rate ?? this.options.sampleRate, format ?? this.options.format),
      endUtterance: (id) => {
        const utt = this.active.get(id);
        if (utt) this.closeUtterance(utt);
        else if (!this.finished.get(id)) this.emitError('unknown-utterance', `the server ended utterance "${id}", which never started`, id);
      },
      sequenceGap: (id, message, discardedBytes) => {
        this.totals.sequenceGaps++;
        const utt = this.active.get(id);
        const known = utt ?? this.findFinished(id);
        if (known) known.stats.sequenceGaps++;
        // A duplicate or late frame is discarded and counted, even after its utterance finished.
        if (discardedBytes > 0) this.countDiscarded(known, discardedBytes);
        else if (utt && utt.oddFraming && !utt.closed) {
          // A lost frame of an oddly framed utterance may have ended mid-sample; nothing in the
          // header says where samples start again, so the rest would play as noise. End it here.
          this.emitError('sequence', `${message}; its frames split samples, so the rest of utterance "${id}" cannot be realigned and is discarded`, id);
          this.closeUtterance(utt);
          return;
        } else if (utt) utt.decoder.reset();
        this.emitError('sequence', message, id);
      },
      error: (code, message) => this.emitError(code, message),
      closed: (code, reason) => {
        const cut = this.open;
        if (cut) {
          this.emitError('disconnected', `the socket closed (code ${code}) while utterance "${cut.id}" was arriving; what arrived will play out`, cut.id);
          this.closeUtterance(cut);
        }
        this.emitter.emit('disconnected', { code, reason, utteranceId: cut ? cut.id : null });
      },
      mark: (id, sampleOffset, name) => this.addMark(id, sampleOffset, name),
      rawUtteranceId: () => (this.open ? this.open.id : `raw-${this.nextSerial}`),
    });
    this.feed = feed;
    return () => {
      feed.detach();
      if (this.feed === feed) this.feed = null;
    };
  }

  /** A snapshot of the figures (also sent as the `metrics` event). Exact as of the latest worklet report. */
  getMetrics(): PlayerMetrics {
    const context = this.context;
    const report = this.lastReport;
    const recent = this.recent.items.map((u) => u.stats.snapshot());
    let current: UtteranceMetrics | null = null;
    let headSerial = Infinity;
    let bufferedMs = 0;
    let playedMs = 0;
    let receivedMs = 0;
    let droppedMs = 0;
    let staleMs = 0;
    let underrunMs = 0;
    for (const utt of [...this.recent.items, ...this.active.values()]) {
      const s = utt.stats;
      playedMs += samplesToMs(s.played, s.sampleRate);
      receivedMs += samplesToMs(s.received, s.sampleRate);
      droppedMs += samplesToMs(s.dropped, s.sampleRate);
      staleMs += samplesToMs(s.stale, s.sampleRate);
      underrunMs += samplesToMs(s.underrunFrames, s.outputRate);
    }
    for (const utt of this.active.values()) {
      bufferedMs += samplesToMs(utt.stats.buffered, utt.rate);
      if (utt.serial < headSerial) {
        headSerial = utt.serial;
        current = utt.stats.snapshot();
      }
    }
    const samples: SampleCounts = {
      received: this.totals.received,
      played: this.totals.played + (this.bySerial.get(report.serial)?.stats.played ?? 0),
      buffered: this.writer.written - report.absRead + report.inFlight,
      dropped: this.totals.flushed + this.totals.stale + this.totals.overflow,
      stale: this.totals.stale,
      overflow: this.totals.overflow,
      nonFinite: this.totals.nonFinite,
    };
    return {
      state: this.currentState,
      transport: this.writer.kind,
      contextSampleRate: context ? context.sampleRate : 0,
      outputLatencyMs: this.clock ? this.clock.latencyMs() : 0,
      bufferedMs,
      lowWaterMs: this.lowWater,
      capacityMs: this.options.maxBufferMs,
      prebufferMs: this.prebuffer.ms,
      underruns: this.totals.underruns,
      underrunMs,
      playedMs,
      droppedMs,
      staleMs,
      receivedMs,
      preloadRate: this.totals.boundaries > 0 ? this.totals.preloaded / this.totals.boundaries : null,
      sequenceGaps: this.totals.sequenceGaps,
      errors: this.totals.errors,
      samples,
      current,
      recent,
    };
  }

  /**
   * Stops playback and releases the worklet (and the context, if the player made it).
   * An app-provided context stays open. Calling it again resolves at once.
   */
  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    const previous = this.currentState;
    this.currentState = 'closed';
    this.feed?.detach();
    this.feed = null;
    this.writer.dispose();
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.startPromise?.catch(() => undefined);
    const context = this.context;
    if (this.node) {
      this.node.port.postMessage({ t: 'close' });
      this.node.port.onmessage = null;
      this.node.disconnect();
      this.node = null;
    }
    if (context) {
      context.removeEventListener('statechange', this.onContextState);
      if (this.ownContext && this.ownContext.state !== 'closed') await this.ownContext.close().catch(() => undefined);
    }
    this.emitter.emit('statechange', { state: 'closed', previous });
  }

  // ---- ingest -------------------------------------------------------------------------

  private startUtterance(id: string, rate: number, format: PcmFormat): Utterance | null {
    const existing = this.active.get(id);
    if (existing) return existing;
    if (this.finished.get(id)) return null;
    if (this.active.size >= MAX_SEGMENTS) {
      this.emitError('too-many-utterances', `${MAX_SEGMENTS} utterances are already queued; "${id}" was refused`, id);
      return null;
    }
    if (this.open) this.closeUtterance(this.open);
    const utt = new Utterance(id, this.nextSerial++, rate, format, this.context?.sampleRate ?? 0);
    this.active.set(id, utt);
    this.bySerial.set(utt.serial, utt);
    this.open = utt;
    const early = this.earlyMarks.get(id);
    if (early) {
      this.earlyMarks.delete(id);
      this.earlyMarkCount -= early.length;
      for (const m of early) this.addMark(id, m.sampleOffset, m.name);
    }
    return utt;
  }

  private ingest(id: string, bytes: Uint8Array, rate: number, format: PcmFormat, fromSocket: boolean): boolean {
    const width = BYTES_PER_SAMPLE[format];
    const finishedAs = this.finished.get(id);
    if (finishedAs) {
      const known = this.active.get(id) ?? this.findFinished(id);
      const firstLate = !known || known.stats.stale === 0;
      this.countDiscarded(known, bytes.length, width);
      // Late frames are expected after a barge-in: report the first, count them all.
      if (firstLate)
        this.emitError(
          finishedAs === 'interrupted' ? 'stale' : 'after-end',
          `${bytes.length} bytes arrived for utterance "${id}" after it was ${finishedAs}; discarded (later ones are counted in metrics, not reported)`,
          id,
        );
      return true;
    }
    if (bytes.length === 0) {
      this.emitError('empty-chunk', `an empty chunk arrived for utterance "${id}"`, id);
      return true;
    }
    let utt = this.active.get(id);
    if (utt && utt.closed) {
      const firstLate = utt.stats.stale === 0;
      this.countDiscarded(utt, bytes.length, width);
      if (firstLate)
        this.emitError(
          'after-end',
          `${bytes.length} bytes arrived for utterance "${id}" after its end; discarded (later ones are counted in metrics, not reported)`,
          id,
        );
      return true;
    }
    if (!utt) {
      const created = this.startUtterance(id, rate, format);
      if (!created) return false;
      utt = created;
    }
    if (utt.rate !== rate || utt.decoder.format !== format) {
      this.emitError(
        'rate-change',
        `a chunk of utterance "${id}" is ${format} at ${rate} Hz but the utterance is ${utt.decoder.format} at ${utt.rate} Hz; discarded`,
        id,
      );
      return true;
    }
    const count = Math.floor((utt.decoder.pendingBytes + bytes.length) / width);
    if (count > this.capacity) {
      this.emitError(
        'oversized',
        `a chunk of ${count} samples is larger than the whole buffer (${this.capacity} samples = maxBufferMs ${this.options.maxBufferMs}); it can never fit`,
        id,
      );
      if (!fromSocket) return false;
      this.countOverflow(utt, bytes);
      return false;
    }
    if (count > this.writer.free()) {
      const bufferedMs = samplesToMs(this.capacity - this.writer.free(), this.options.sampleRate);
      this.emitError(
        'buffer-full',
        `buffer full: ${bufferedMs.toFixed(0)} ms buffered of ${this.options.maxBufferMs} ms; ${count} samples of "${id}" ${fromSocket ? 'were dropped' : 'were refused, push them again later'}`,
        id,
      );
      if (!fromSocket) return false;
      this.countOverflow(utt, bytes);
      return false;
    }
    const { samples, nonFinite } = utt.decoder.decode(bytes);
    if (nonFinite > 0) {
      this.totals.nonFinite += nonFinite;
      this.emitError('non-finite', `${nonFinite} NaN/Infinity samples in utterance "${id}" were replaced by silence`, id);
    }
    if (samples.length === 0) return true;
    if (!utt.begun) {
      utt.begun = true;
      utt.start = this.writer.written;
      this.post({
        t: 'begin',
        serial: utt.serial,
        rate: utt.rate,
        at: utt.start,
        prebuffer: msToSamples(this.prebuffer.ms, utt.rate),
        prebufferStep: msToSamples(this.prebuffer.stepMs, utt.rate),
        prebufferMax: msToSamples(this.prebuffer.maxMs, utt.rate),
      });
    }
    const unplayed = utt.start + utt.written - this.writer.readPosition();
    utt.stats.onChunk(samples.length, performance.now(), unplayed, utt.starved);
    if (utt.stats.boundaries > 0) {
      this.totals.boundaries++;
      if (unplayed > 0 && !utt.starved) this.totals.preloaded++;
    }
    utt.written += samples.length;
    this.totals.received += samples.length;
    if (bytes.length % width !== 0) utt.oddFraming = true;
    this.writer.write(samples);
    if (utt.heldMarks.length > 0) this.releaseMarks(utt);
    return true;
  }

  /** A recently finished utterance, for counting audio that arrives for it late. */
  private findFinished(id: string): Utterance | undefined {
    return this.recent.items.find((u) => u.id === id);
  }

  /** Audio discarded on arrival (late, after the end, duplicated): counted as received and stale. */
  private countDiscarded(utt: Utterance | undefined, bytes: number, width = utt ? BYTES_PER_SAMPLE[utt.decoder.format] : 2): void {
    const samples = Math.floor(bytes / width);
    this.totals.stale += samples;
    this.totals.received += samples;
    if (utt) utt.stats.stale += samples;
  }

  /** Socket audio that could not fit: decoded (to keep the carry right) and counted as dropped. */
  private countOverflow(utt: Utterance, bytes: Uint8Array): void {
    const { samples } = utt.decoder.decode(bytes);
    if (samples.length === 0) return;
    utt.drops.push(utt.stats.received, samples.length);
    this.totals.overflow += samples.length;
    this.totals.received += samples.length;
    utt.stats.received += samples.length;
    utt.stats.dropped += samples.length;
    if (utt.heldMarks.length > 0) this.releaseMarks(utt);
  }

  private closeUtterance(utt: Utterance): void {
    if (utt.closed) return;
    utt.closed = true;
    utt.decoder.reset();
    if (this.open === utt) this.open = null;
    // Marks past the last sample sound with it: they must reach the worklet before the end.
    if (utt.heldMarks.length > 0 && utt.begun) this.releaseMarks(utt);
    if (utt.begun) this.post({ t: 'end', serial: utt.serial, at: utt.start + utt.written });
    else this.retire(utt, 'ended');
  }

  /** The utterance leaves the active set for good. */
  private retire(utt: Utterance, how: 'ended' | 'interrupted'): void {
    // Marks not reported by now were cut (interrupted) or are reported in the same batch.
    for (const id of utt.markIds) this.marks.delete(id);
    utt.markIds.clear();
    this.heldMarkCount -= utt.heldMarks.length;
    utt.heldMarks.length = 0;
    utt.stats.state = how;
    utt.closed = true;
    if (this.open === utt) this.open = null;
    this.active.delete(utt.id);
    this.bySerial.delete(utt.serial);
    this.finished.add(utt.id, how);
    this.totals.played += utt.stats.played;
    this.recent.push(utt);
  }

  // ---- worklet reports ---------------------------------------------------------------

  private onReport(report: EngineReport): void {
    this.writer.onReport(report.absRead);
    const clock = this.clock!;
    const headUtt = this.bySerial.get(report.serial);
    if (headUtt) headUtt.stats.played = report.played;
    // Samples the resampler has taken from the ring but not yet output: neither buffered in the ring nor played.
    this.lastReport = { absRead: report.absRead, serial: report.serial, played: report.played, inFlight: report.consumed - report.played };
    if (report.lost > 0) this.emitError('context', `the audio thread could not report ${report.lost} event(s); figures may be off`);
    const log = report.log ?? new Float64Array(0);
    for (let k = 0; k < report.n; k++) {
      const o = k * EVENT_RECORD;
      const kind = log[o];
      const utt = this.bySerial.get(log[o + 1]);
      if (!utt) continue;
      const frame = log[o + 2];
      const a = log[o + 3];
      const b = log[o + 4];
      const c = log[o + 5];
      switch (kind) {
        case EngineEvent.Playing: {
          utt.stats.state = 'playing';
          const audibleAt = clock.audibleAt(frame);
          utt.stats.firstAudible = audibleAt;
          this.at(audibleAt, () => this.emitter.emit('playing', { utteranceId: utt.id, audibleAt, timeToFirstAudioMs: utt.stats.timeToFirstAudio() }));
          break;
        }
        case EngineEvent.Ended: {
          utt.stats.played = a;
          const audibleAt = clock.audibleAt(frame + 1);
          this.retire(utt, 'ended');
          this.at(audibleAt, () => this.emitter.emit('ended', { utteranceId: utt.id, playedMs: samplesToMs(a, utt.rate), playedSamples: a, audibleAt }));
          break;
        }
        case EngineEvent.UnderrunStart:
          utt.starved = true;
          utt.stats.underruns++;
          this.totals.underruns++;
          this.prebuffer.onUnderrun();
          this.at(clock.audibleAt(frame), () =>
            this.emitter.emit('underrun', { utteranceId: utt.id, phase: 'start', silentMs: 0, count: utt.stats.underruns }),
          );
          break;
        case EngineEvent.UnderrunEnd: {
          utt.starved = false;
          utt.stats.underrunFrames += a;
          this.totals.underrunFrames += a;
          const silentMs = samplesToMs(a, this.context!.sampleRate);
          this.at(clock.audibleAt(frame), () => this.emitter.emit('underrun', { utteranceId: utt.id, phase: 'end', silentMs, count: utt.stats.underruns }));
          break;
        }
        case EngineEvent.Mark: {
          const mark = this.marks.get(a);
          if (!mark) break;
          this.marks.delete(a);
          utt.markIds.delete(a);
          const heard: HeardMark = { name: mark.name, sampleOffset: mark.sampleOffset, offsetMs: samplesToMs(mark.sampleOffset, utt.rate) };
          utt.lastMark = heard;
          const audibleAt = clock.audibleAt(frame);
          const contextTime = frame / this.context!.sampleRate;
          this.at(audibleAt, () => this.emitter.emit('mark', { utteranceId: utt.id, ...heard, audibleAt, contextTime }));
          break;
        }
        case EngineEvent.Interrupted:
        case EngineEvent.Flushed: {
          utt.stats.played = a;
          utt.stats.dropped += b;
          this.totals.flushed += b;
          this.retire(utt, 'interrupted');
          if (kind === EngineEvent.Interrupted || !this.pendingInterrupt.event) {
            if (this.pendingInterrupt.event) this.pendingInterrupt.flushed.push(this.pendingInterrupt.event.utteranceId!);
            this.pendingInterrupt.event = {
              utteranceId: utt.id,
              playedMs: samplesToMs(a, utt.rate),
              droppedMs: samplesToMs(b + utt.stats.stale, utt.rate),
              playedSamples: a,
              droppedSamples: b,
              staleSamples: utt.stats.stale,
              sampleRate: utt.rate,
              fadeMs: samplesToMs(c, this.context!.sampleRate),
              silentAt: clock.audibleAt(frame),
              flushed: this.pendingInterrupt.flushed,
              lastMark: utt.lastMark,
            };
          } else {
            this.pendingInterrupt.flushed.push(utt.id);
          }
          break;
        }
      }
    }
    if (this.pendingInterrupt.event) {
      const event = this.pendingInterrupt.event;
      this.pendingInterrupt.event = null;
      this.pendingInterrupt.flushed = [];
      // On the audio clock like every other event, so it never overtakes the cut
      // utterance's own playing / mark events for audio rendered before the cut.
      this.at(event.silentAt, () => this.emitter.emit('interrupted', event));
    }
    if (headUtt && headUtt.stats.state === 'playing' && !headUtt.starved) {
      const bufferedMs = samplesToMs(this.writer.written - report.absRead, headUtt.rate);
      if (this.lowWater === null || bufferedMs < this.lowWater) this.lowWater = bufferedMs;
    }
  }

  // ---- plumbing ----------------------------------------------------------------------

  private post(msg: ToEngine, transfer: Transferable[] = []): void {
    // Samples the writer holds back for this task must reach the worklet before this message.
    if (msg.t !== 'samples') this.writer.flush();
    if (this.outbox) this.outbox.push({ msg, transfer });
    else this.node?.port.postMessage(msg, transfer);
  }

  /** Runs `fn` when the speakers reach `time` (performance.now() ms). */
  private at(time: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, time - performance.now()),
    );
    this.timers.add(timer);
  }

  private setState(state: PlayerState): void {
    const previous = this.currentState;
    if (previous === state || previous === 'closed') return;
    this.currentState = state;
    this.emitter.emit('statechange', { state, previous });
  }

  private syncState(): void {
    const context = this.context;
    if (!context || this.currentState === 'closed') return;
    const state = context.state as string;
    if (state === 'running') {
      this.hasRun = true;
      this.setState('running');
    } else if (state === 'suspended') this.setState(this.hasRun ? 'suspended' : 'blocked');
    else if (state === 'interrupted') this.setState('interrupted');
    else if (state === 'closed') {
      this.emitError('context', 'the AudioContext was closed underneath the player');
      void this.close();
    }
  }

  private emitError(code: ErrorCode, message: string, utteranceId?: string): void {
    this.totals.errors++;
    this.emitter.emit('error', new VoxplayError(code, message, utteranceId === undefined ? undefined : { utteranceId }));
  }

  private assertOpen(method: string): void {
    if (this.currentState === 'closed') throw new VoxplayError('closed', `${method}() called after close()`);
  }
}

function isOffline(context: BaseAudioContext): context is OfflineAudioContext {
  return typeof OfflineAudioContext === 'function' && context instanceof OfflineAudioContext;
}

function toBytes(chunk: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof SharedArrayBuffer === 'function' && (chunk as unknown) instanceof SharedArrayBuffer) return new Uint8Array(chunk as unknown as SharedArrayBuffer);
  throw new TypeError(`voxplay: push() takes an ArrayBuffer or a typed array / DataView, got ${describe(chunk)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function badOption(message: string): VoxplayError {
  return new VoxplayError('bad-option', message);
}

function checkRate(rate: number, name: string): void {
  if (!Number.isInteger(rate) || rate < MIN_RATE || rate > MAX_RATE) {
    throw badOption(`${name} must be an integer from ${MIN_RATE} to ${MAX_RATE} Hz, got ${rate}`);
  }
}

function checkRange(value: number, name: string, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value > hi) {
    throw badOption(`${name} must be a number from ${lo} to ${hi}, got ${String(value)}`);
  }
  return value;
}
