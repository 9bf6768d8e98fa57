import mitt, { type Emitter } from 'mitt';
import { FORMATS } from '../codecs/formats.js';
import { VoxplayError } from '../errors.js';
import { MessageRingWriter, SharedRingWriter, type RingWriter } from '../ring/ring-transport.js';
import type { ByteStreamInput } from '../sources/byte-stream.js';
import type { AudioSource } from '../sources/source.js';
import { WebSocketSource, type SocketLike } from '../sources/websocket.js';
import { WorkletPort } from './engine-port.js';
import type { AudioClock } from './clock.js';
import type { Emit } from './ingest.js';
import { listenForGestures, type GestureTarget } from './gesture-unlock.js';
import { Lifecycle } from './lifecycle.js';
import type { OutputRoute } from './output-device.js';
import { msToSamples } from './metrics.js';
import { badOption, checkFormat, checkRange, checkRate, checkSpeed, resolveOptions, type ResolvedOptions } from './options.js';
import type { PlayStreamOptions, PlayStreamResult, StreamHost } from './play-stream.js';
import { PlaybackSession } from './session.js';
import { SnapshotStore, type PlayerSnapshot } from './store.js';
import { PlayerRecorder } from './recorder.js';
import type { RecordOptions } from './recording.js';
import type { AttachOptions, InterruptResult, OutputLevel, PlayerEvents, PlayerMetrics, PlayerState, PushOptions, StreamPlayerOptions } from './types.js';

// The postMessage transport's cross-task batching (HoldPolicy): hold only with this much
// (and this much beyond the largest prebuffer) already sent, up to this much audio, for up
// to this long. Worst case the worklet still has minAhead − report lag − wait ≈ 190 ms queued.
const HOLD_MIN_AHEAD_MS = 250;
const HOLD_MARGIN_MS = 100;
const HOLD_MAX_MS = 200;
const HOLD_MAX_WAIT_MS = 40;

/** A handler of the player's event `K`. */
export type PlayerEventHandler<K extends keyof PlayerEvents> = (event: PlayerEvents[K]) => void;

/**
 * Plays streamed speech gaplessly through one AudioWorklet ring buffer.
 *
 * Feed it with {@link StreamPlayer.push}, {@link StreamPlayer.attach} or any
 * {@link AudioSource} through {@link StreamPlayer.connect}; cut it with
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
  private readonly writer: RingWriter;
  private readonly session: PlaybackSession;
  private readonly lifecycle: Lifecycle;
  private readonly port: WorkletPort;
  /** The output gain the app set (the worklet ramps to volume, or to 0 while muted). */
  private readonly gain = { volume: 1, muted: false };
  private speedValue: number;
  private readonly store: SnapshotStore;
  /** The last `error` event, for the snapshot. */
  private lastError: VoxplayError | null = null;
  /** `pause()` was called and not yet undone by `resume()`. */
  private pausedByApp = false;
  private detachSocket: (() => void) | null = null;
  private metricsTimer: ReturnType<typeof setInterval> | null = null;
  private closePromise: Promise<void> | null = null;

  /** @throws VoxplayError `bad-option` naming the option that is out of range. */
  constructor(options: StreamPlayerOptions = {}) {
    this.options = resolveOptions(options);
    const { capacity, transport } = this.options;
    const isolated = typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    if (transport === 'shared' && !isolated) {
      throw badOption('transport "shared" needs a cross-origin isolated page (COOP: same-origin and COEP: require-corp), and this one is not');
    }
    const port = new WorkletPort();
    this.port = port;
    this.speedValue = this.options.speed;
    // Queued until the node exists, like every message.
    if (this.speedValue !== 1) port.post({ type: 'speed', speed: this.speedValue });
    let shared: SharedArrayBuffer | undefined;
    if (transport === 'shared' || (transport === 'auto' && isolated)) {
      const writer = new SharedRingWriter(capacity);
      shared = writer.buffer;
      this.writer = writer;
    } else {
      // Samples go straight to the port: the writer never calls back into the player.
      this.writer = new MessageRingWriter(capacity, (msg, transfer) => port.post(msg, transfer));
    }
    const emit: Emit = (type, event) => this.emitter.emit(type, event);
    this.session = new PlaybackSession(this.options, this.writer, port, emit);
    this.lifecycle = new Lifecycle(
      {
        context: this.options.context,
        destination: this.options.destination,
        workletUrl: this.options.workletUrl,
        workletSource: this.options.workletSource,
        sinkId: this.options.sinkId,
        audioSession: this.options.audioSession,
        engine: { capacity, shared, fadeMs: this.options.fadeMs, rates: [this.options.sampleRate] },
      },
      port,
      {
        statechange: (state, previous) => {
          const [now, before] = [this.shown(state), this.shown(previous)];
          if (now !== before) this.emitter.emit('statechange', { state: now, previous: before });
        },
        error: (code, message) => this.session.error(code, message),
        started: (_context, clock, realTime) => this.onStarted(clock, realTime),
        lost: () => void this.close(),
        replaced: (_context, clock) => this.session.setClock(clock),
      },
    );
    this.store = new SnapshotStore(() => this.readSnapshot());
    // Every event may change what a snapshot shows (state, utterance, buffer, error).
    this.emitter.on('*', (type, event) => {
      if (type === 'error') this.lastError = event as VoxplayError;
      this.store.refresh();
    });
  }

  /**
   * Subscribes to the player's snapshot ({@link StreamPlayer.getSnapshot}): `listener` is
   * called with no arguments whenever a new snapshot is ready. Bound to the player, so
   * `useSyncExternalStore(player.subscribe, player.getSnapshot)` works as written.
   *
   * @returns the unsubscribe function.
   */
  readonly subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  /**
   * One immutable object with what an app renders: state, the current utterance, buffered ms,
   * playing / paused / muted, volume, speed and the last error. It keeps its identity until
   * something in it changes (bound to the player, like {@link StreamPlayer.subscribe}).
   */
  readonly getSnapshot = (): PlayerSnapshot => this.store.getSnapshot();

  /** Reads the snapshot's values now. */
  private readSnapshot(): PlayerSnapshot {
    const state = this.state;
    const metrics = this.getMetrics();
    const current = metrics.current;
    return {
      state,
      utteranceId: current ? current.utteranceId : null,
      playing: current !== null && current.state === 'playing' && state === 'running',
      paused: state === 'paused',
      bufferedMs: Math.round(metrics.bufferedMs),
      volume: this.gain.volume,
      muted: this.gain.muted,
      speed: this.speedValue,
      error: this.lastError,
    };
  }

  /** Lifecycle state; changes are announced by `statechange`. */
  get state(): PlayerState {
    return this.shown(this.lifecycle.state);
  }

  /** Which ring transport is in use. */
  get transport(): 'shared' | 'message' {
    return this.writer.kind;
  }

  /** The AudioContext in use (the app's, or the player's own once started). */
  get audioContext(): AudioContext | OfflineAudioContext | null {
    return this.lifecycle.audioContext;
  }

  /**
   * Subscribes to a typed event.
   *
   * @returns a function that unsubscribes the handler.
   */
  on<K extends keyof PlayerEvents>(type: K, handler: PlayerEventHandler<K>): () => void {
    this.emitter.on(type, handler);
    return () => this.emitter.off(type, handler);
  }

  /**
   * Subscribes to the next occurrence of an event only.
   *
   * @returns a function that unsubscribes the handler before it ran.
   */
  once<K extends keyof PlayerEvents>(type: K, handler: PlayerEventHandler<K>): () => void {
    const wrapper: PlayerEventHandler<K> = (event) => {
      this.emitter.off(type, wrapper);
      handler(event);
    };
    this.emitter.on(type, wrapper);
    return () => this.emitter.off(type, wrapper);
  }

  /** Unsubscribes a handler given to {@link StreamPlayer.on}. */
  off<K extends keyof PlayerEvents>(type: K, handler: PlayerEventHandler<K>): void {
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
    if (this.state === 'closed') return Promise.reject(new VoxplayError('closed', 'start() called after close()'));
    return this.lifecycle.start();
  }

  /**
   * Resumes a `blocked`, `suspended` or `preempted` context. Call it from a user gesture
   * (click, key) when the browser's autoplay policy blocked {@link StreamPlayer.start}.
   *
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}.
   */
  async resume(): Promise<void> {
    this.assertOpen('resume');
    if (this.pausedByApp) this.setPaused(false);
    return this.lifecycle.resume();
  }

  /**
   * Opt-in autoplay unlock: on every user gesture (press, key, tap) on `target`, a player
   * that is `blocked` (autoplay policy, or an interruption the browser would not end by
   * itself) or `preempted` resumes its context, inside the gesture where browsers allow
   * it. It never ends an app's `pause()`.
   *
   * @param target - Where to listen; default `document`.
   * @returns a function that stops listening.
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}.
   */
  unlockOnGesture(target: GestureTarget = document): () => void {
    this.assertOpen('unlockOnGesture');
    return listenForGestures(target, () => {
      const state = this.lifecycle.state;
      if (state === 'blocked' || state === 'preempted') void this.lifecycle.resume().catch(() => undefined);
    });
  }

  /**
   * Pauses without losing anything: the output fades out within `fadeMs` (plus at most one
   * render quantum) and holds its position; audio keeps arriving and buffering (up to
   * `maxBufferMs`, with backpressure to sources); marks, `ended` and the metrics stay exact,
   * and time paused is not counted as underrun. `resume()` fades back in from the very next
   * sample. State `paused` while the context runs.
   *
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}.
   */
  pause(): void {
    this.assertOpen('pause');
    if (!this.pausedByApp) this.setPaused(true);
  }

  /** The lifecycle's state as the app sees it: the app's pause shows a running context as `paused`. */
  private shown(state: PlayerState): PlayerState {
    return state === 'running' && this.pausedByApp ? 'paused' : state;
  }

  /** Starts or ends the app's pause on the audio thread, announcing the state it changes. */
  private setPaused(paused: boolean): void {
    const previous = this.state;
    this.pausedByApp = paused;
    this.port.post({ type: paused ? 'pause' : 'resume' });
    if (this.state !== previous) this.emitter.emit('statechange', { state: this.state, previous });
  }

  /**
   * Queues audio of an utterance. `chunk` may have any byte count: a sample split across
   * chunks is carried over. A new `utteranceId` starts a new utterance and ends the open
   * one. Audio for interrupted or ended utterances is discarded (a `dropped` event says so).
   *
   * @returns false when the chunk does not fit in the buffer: nothing of it was taken;
   *   push it again after {@link StreamPlayer.whenWritable} resolves (or a `drain` event).
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}, `bad-option` for a bad
   *   rate or format; TypeError when `chunk` is not bytes.
   */
  push(chunk: ArrayBuffer | ArrayBufferView, options: PushOptions = {}): boolean {
    this.assertOpen('push');
    const bytes = toBytes(chunk);
    const sampleRate = checkRate(options.sampleRate ?? this.options.sampleRate, 'push sampleRate');
    const format = checkFormat(options.format ?? this.options.format, 'push format');
    return this.session.write(options.utteranceId ?? 'default', bytes, { sampleRate, format }, 'wait');
  }

  /**
   * Plays one utterance from a byte stream: a fetch `Response` (an HTTP TTS endpoint), a
   * `ReadableStream<Uint8Array>`, or an async iterable of byte chunks, in any format the
   * player decodes. The format comes from `options.format`, else the response's
   * `Content-Type` (`audio/mpeg`, `audio/ogg`, `audio/wav`, `audio/pcm;rate=24000`,
   * `audio/basic`, …), else the player's `format`. It reads with backpressure: while the
   * buffer is full nothing more is read (the server is held back), nothing is dropped.
   * `interrupt()` cancels the body, so a fetch stops downloading.
   *
   * @returns resolves once the utterance has played out (`outcome: 'ended'`) or was cut by
   *   `interrupt()` (`'interrupted'`), with the samples heard and the bytes read.
   * @throws VoxplayError (as a rejection) `network` for an HTTP error status, or a body that
   *   broke off mid-stream (after what was read has played); `unsupported-codec` for a
   *   `Content-Type` that is not playable audio and no `format`; `bad-option`; `closed`.
   *   With `signal`, an abort rejects with its reason.
   */
  playStream(source: ByteStreamInput, options?: PlayStreamOptions): Promise<PlayStreamResult> {
    if (this.state === 'closed') return Promise.reject(new VoxplayError('closed', 'playStream() called after close()'));
    const host: StreamHost = {
      fail: (code, message, utteranceId, cause) => new VoxplayError(code, message, { utteranceId, cause }),
      bytesPerSample: (format) => FORMATS[format].bytesPerSample,
      defaults: { format: this.options.format, sampleRate: this.options.sampleRate },
      capacity: this.options.capacity,
      checkRate: (rate) => checkRate(rate, 'playStream sampleRate'),
      checkFormat: (format) => checkFormat(format, 'playStream format'),
      connect: (s) => this.session.connect(s),
      on: (type, handler) => this.on(type, handler),
      onRetire: this.session.onRetire,
    };
    // Its own chunk, fetched on first use: a PCM-over-WebSocket app ships none of it.
    return import('./play-stream.js').then(
      (m) => m.playStream(host, source, options),
      (error: unknown) => {
        throw new VoxplayError(
          'closed',
          `playStream() could not load its module (a chunk next to voxplay.js): ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        );
      },
    );
  }

  /**
   * Resolves when `samples` (at the player's `sampleRate`) fit in the buffer: at once when
   * they do now. Without `samples`, after a push that returned `false`: when that chunk
   * fits (else when one sample does). A source that got `false` from a push waits on this
   * instead of retrying blindly.
   *
   * @throws VoxplayError `closed` (as a rejection) when the player closes first.
   */
  whenWritable(samples?: number): Promise<void> {
    return this.session.whenWritable(samples);
  }

  /**
   * No more audio is coming for `utteranceId`: its tail plays out without waiting for the
   * prebuffer, and `ended` fires after its last sample.
   *
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}.
   */
  endUtterance(utteranceId: string): void {
    this.assertOpen('endUtterance');
    this.session.ingest.end(utteranceId, 'app');
  }

  /**
   * Barge-in: fades the sounding audio to silence within `fadeMs` (plus at most one render
   * quantum), drops everything buffered, discards audio still arriving for the cut
   * utterances, and tells connected sources (an attached server gets
   * `{"type":"interrupt"}`). Harmless when idle.
   *
   * @returns an immediate estimate; the `interrupted` event carries the exact,
   *   sample-counted figures from the audio thread.
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}.
   */
  interrupt(): InterruptResult {
    this.assertOpen('interrupt');
    return this.session.interrupt();
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
    this.session.addMark(utteranceId, sampleOffset, name);
  }

  /**
   * Feeds the player from a WebSocket: binary frames are audio (voxplay-framed, or raw
   * PCM with `{ framing: 'raw' }`), text frames are JSON control messages. Replaces any
   * previously attached socket. The same as `connect(new WebSocketSource(socket, framing))`.
   *
   * @returns a function that detaches the socket (without closing it).
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}; TypeError for an unknown framing.
   */
  attach(socket: SocketLike, options: AttachOptions = {}): () => void {
    this.assertOpen('attach');
    const source = new WebSocketSource(socket, options.framing ?? 'voxplay');
    this.detachSocket?.();
    const detach = this.session.connect(source);
    const own = (): void => {
      detach();
      if (this.detachSocket === own) this.detachSocket = null;
    };
    this.detachSocket = own;
    return own;
  }

  /**
   * Feeds the player from any {@link AudioSource} (several may be connected at once). Audio
   * that does not fit is refused or dropped by the source's `overflow` policy.
   *
   * @returns a function that disconnects the source.
   * @throws VoxplayError `closed` after {@link StreamPlayer.close}.
   */
  connect(source: AudioSource): () => void {
    this.assertOpen('connect');
    return this.session.connect(source);
  }

  /**
   * Output volume, 0–1 (default 1). Applied on the audio thread after everything else, with
   * a click-free ramp of `fadeMs`; the accounting still counts the audio as played.
   *
   * @throws VoxplayError `bad-option` (setting) for a value outside 0–1.
   */
  get volume(): number {
    return this.gain.volume;
  }

  /** Sets the volume (0–1); the audio thread ramps to it over `fadeMs`. */
  set volume(value: number) {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw badOption(`volume must be a number from 0 to 1, got ${String(value)}`);
    this.gain.volume = value;
    this.sendGain();
  }

  /**
   * Playback speed, 0.5–2 (default 1), with the pitch kept: the audio thread drops or repeats
   * whole pitch periods of the speech (a PICOLA-class time-stretcher before the resampler).
   * A change applies live, within one pitch period, and is announced by `speedchange`.
   * Marks, `playedMs`, the interrupt's `playedSamples` and every metric stay in source time,
   * exact at any speed. At exactly 1 the audio passes bit for bit.
   *
   * @throws VoxplayError `bad-option` (setting) for a value outside 0.5–2; `closed` after close().
   */
  get speed(): number {
    return this.speedValue;
  }

  /** Sets the speed (0.5–2). */
  set speed(value: number) {
    this.assertOpen('speed');
    const speed = checkSpeed(value);
    const previous = this.speedValue;
    if (speed === previous) return;
    this.speedValue = speed;
    this.port.post({ type: 'speed', speed });
    this.emitter.emit('speedchange', { speed, previous });
  }

  /** Silences the output (click-free, like `volume`) while keeping the volume; the audio still counts as played. */
  get muted(): boolean {
    return this.gain.muted;
  }

  /** Mutes (true) or unmutes (false), ramped over `fadeMs`. */
  set muted(value: boolean) {
    this.gain.muted = value === true;
    this.sendGain();
  }

  /**
   * The level of what is reaching the speakers now (after the volume): RMS and peak over the
   * audio thread's latest report window (about 20 ms),
   * computed there without allocation and carried by the reports it sends anyway. For a
   * visualiser; `-Infinity` dB before anything played.
   */
  getOutputLevel(): OutputLevel {
    const { peak, sumSquares, frames, endFrame } = this.session.reports.level;
    const rms = frames > 0 ? Math.sqrt(sumSquares / frames) : 0;
    const rate = this.lifecycle.audioContext?.sampleRate ?? 48000;
    return { rms, peak, rmsDb: 20 * Math.log10(rms), peakDb: 20 * Math.log10(peak), frames, contextTime: endFrame / rate };
  }

  /**
   * An `AnalyserNode` tapping the player's output (after the volume), for frequency data in
   * a visualiser (`getFloatFrequencyData`). Made on first use, so it costs nothing unless
   * asked for; null until `start()` has built the player's node. Read it again after the
   * state was `stalled`: a replaced context comes with a new node.
   */
  get analyser(): AnalyserNode | null {
    return this.lifecycle.analyser();
  }

  /**
   * The player's output as a `MediaStream`: exactly what plays, after the volume (muted while
   * muted), for a `MediaRecorder`, a visualiser or a WebRTC call. Made on first use (an app
   * that never asks pays nothing); null before `start()` and in an OfflineAudioContext. Read
   * it again after the state was `stalled`: a replaced context comes with a new stream.
   */
  get outputStream(): MediaStream | null {
    return this.lifecycle.outputStream();
  }

  /**
   * Records what is heard: every output frame (after the volume, fades included; what was
   * never heard is not in it), with each utterance's span and played count, until
   * `recorder.stop()`, which resolves with the {@link Recording} (whole or per utterance, as
   * PCM or a WAV `Blob`). Sample-exact: it is the output itself, sent by the audio thread in
   * blocks of 4096 frames. Bounded by `maxSeconds` (default 600): at the limit it stops and an
   * `error` event says `record-limit`. One recording at a time; a context replacement ends it.
   *
   * @throws VoxplayError `bad-option` before `start()`, while another recording runs, or for a
   *   `maxSeconds` outside 1–86 400; `closed` after close().
   */
  record(options: RecordOptions = {}): PlayerRecorder {
    this.assertOpen('record');
    const context = this.lifecycle.audioContext;
    if (!context) throw badOption('record() needs a started player: call start() first');
    const reports = this.session.reports;
    if (reports.tap) throw badOption('a recording is already running: stop() it first');
    const maxSeconds = checkRange(options.maxSeconds ?? 600, 'maxSeconds', 1, 86_400);
    const recorder = new PlayerRecorder(context.sampleRate, Math.round(maxSeconds * context.sampleRate), {
      post: (on) => this.port.post({ type: 'record', on }),
      detach: () => {
        if (reports.tap === recorder) reports.tap = null;
      },
      limit: () => this.session.error('record-limit', `the recording reached maxSeconds (${maxSeconds} s) and stopped there`),
    });
    reports.tap = recorder;
    this.port.post({ type: 'record', on: true });
    return recorder;
  }

  private sendGain(): void {
    this.assertOpen('volume');
    this.port.post({ type: 'volume', gain: this.gain.muted ? 0 : this.gain.volume });
    this.store.refresh();
  }

  /**
   * Plays the output on audio output device `deviceId` (a `deviceId` of kind `audiooutput`
   * from `navigator.mediaDevices.enumerateDevices()`; `''` is the system default). Uses
   * `AudioContext.setSinkId` where the browser has it (Chromium: the whole context moves, so
   * with an app's `context` all of its audio does); else an `<audio>` element playing the
   * player's output through a `MediaStreamAudioDestinationNode` (Firefox: only the player's
   * output moves, and the element adds latency the audio clock does not see). Nothing
   * buffered is lost; the position holds. Before `start()` the id is remembered and applied
   * when the node exists (like the `sinkId` option).
   *
   * @throws VoxplayError (as a rejection) `unsupported` when the browser cannot choose an
   *   output device (Safari, WebKitGTK) — the audio keeps playing on the default device;
   *   `output-device` when the browser refuses the id (unknown device, no permission) — the
   *   output stays where it was; `bad-option` for a non-string id; `closed`.
   */
  async setSinkId(deviceId: string): Promise<void> {
    this.assertOpen('setSinkId');
    if (typeof deviceId !== 'string') throw badOption(`setSinkId takes a device id string, got ${describe(deviceId)}`);
    await this.lifecycle.setSinkId(deviceId);
  }

  /**
   * How the output reaches its device: `'default'`, `'context'` (`AudioContext.setSinkId`)
   * or `'media-element'` (an `<audio>` element, whose own output latency the audio clock
   * does not include, so marks may fire that much early).
   */
  get outputRoute(): OutputRoute {
    return this.lifecycle.outputRoute;
  }

  /** The output device id in use (`''`: the system default), as set by `setSinkId()` or the `sinkId` option. */
  get sinkId(): string {
    return this.lifecycle.sinkId;
  }

  /** A snapshot of the figures (also sent as the `metrics` event). Exact as of the latest worklet report. */
  getMetrics(): PlayerMetrics {
    const context = this.lifecycle.audioContext;
    return this.session.metrics({
      state: this.state,
      speed: this.speedValue,
      transport: this.writer.kind,
      contextSampleRate: context ? context.sampleRate : 0,
      outputLatencyMs: this.lifecycle.clock?.latencyMs() ?? 0,
      clockSource: this.lifecycle.clock?.source ?? null,
    });
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
    this.detachSocket = null;
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    this.session.close();
    await this.lifecycle.close();
  }

  private onStarted(clock: AudioClock, realTime: boolean): void {
    this.session.setClock(clock);
    if (!realTime) return;
    // Real time only: offline, the app pushes ahead and then renders, and held samples would
    // arrive after the stretch that needs them. Holding starts past the largest prebuffer, so
    // it never delays a start or a resume after an underrun.
    const rate = this.options.sampleRate;
    this.writer.setHoldPolicy({
      minAhead: msToSamples(Math.max(HOLD_MIN_AHEAD_MS, this.session.prebuffer.maxMs + HOLD_MARGIN_MS), rate),
      maxHeld: msToSamples(HOLD_MAX_MS, rate),
      maxHoldMs: HOLD_MAX_WAIT_MS,
    });
    if (this.options.metricsIntervalMs > 0) {
      this.metricsTimer = setInterval(() => this.emitter.emit('metrics', this.getMetrics()), this.options.metricsIntervalMs);
    }
  }

  private assertOpen(method: string): void {
    if (this.state === 'closed') throw new VoxplayError('closed', `${method}() called after close()`);
  }
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
