import { VoxplayError, type ErrorCode } from '../errors.js';
import { PROCESSOR_NAME, type EngineOptions, type EngineState } from '../worklet/messages.js';
import { OutputClock, RenderClock, type AudioClock } from './clock.js';
import { ClockWatch, STALL_MS } from './clock-watch.js';
import type { WorkletPort } from './engine-port.js';
import { msToSamples } from './metrics.js';
import type { OutputRoute } from './output-device.js';
import { SinkChoice } from './sink-choice.js';
import { claimAudioSession } from './audio-session.js';
import type { PlayerState } from './types.js';

/** Where the worklet module is when nothing else is said: next to this module in dist/. */
export function defaultWorkletUrl(): URL {
  return new URL('./playback-processor.js', import.meta.url);
}

/**
 * Loads the playback worklet into `context`. A `blob:` URL is used only when the app
 * passed the module's source (opt-in), because many CSPs forbid `blob:` workers.
 * Chrome rejects a failed addModule with an opaque `AbortError`; the error thrown here
 * names the URL and what usually causes it.
 */
export async function loadWorklet(context: BaseAudioContext, url: string | URL | undefined, source: string | undefined): Promise<void> {
  let href: string;
  let revoke: string | null = null;
  if (source !== undefined) {
    href = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    revoke = href;
  } else {
    href = String(url ?? defaultWorkletUrl());
  }
  try {
    await context.audioWorklet.addModule(href);
  } catch (cause) {
    const name = cause instanceof Error ? cause.name : 'Error';
    const hint =
      source !== undefined
        ? "the page's Content-Security-Policy probably forbids blob: scripts (allow blob: in script-src, or drop workletSource and serve the file)"
        : 'the file is missing (404), served with a non-JavaScript MIME type, blocked by the Content-Security-Policy (script-src / worker-src), ' +
          "or on another origin without CORS; pass `workletUrl` pointing at voxplay's dist/playback-processor.js as served by your app";
    throw new VoxplayError(
      'worklet-load',
      `could not load the playback worklet from ${source !== undefined ? 'workletSource (blob: URL)' : href} (${name}): ${hint}`,
      { cause },
    );
  } finally {
    if (revoke) URL.revokeObjectURL(revoke);
  }
}

/**
 * Resumes `context`, waiting at most `timeoutMs`. Chrome keeps the promise pending (not
 * rejected) while autoplay policy blocks it, so the timeout is what tells "blocked".
 * Returns true when the context runs.
 */
export async function tryResume(context: AudioContext, timeoutMs: number): Promise<boolean> {
  if (context.state === 'running') return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([context.resume().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return (context.state as string) === 'running';
}

/** How start() builds the node; from the resolved options. */
export interface LifecycleOptions {
  context: AudioContext | OfflineAudioContext | undefined;
  destination: AudioNode | undefined;
  workletUrl: string | URL | undefined;
  workletSource: string | undefined;
  /** Output device to use from the start (`''`: the default). */
  sinkId: string;
  /** iOS audio session type to claim at start (see `StreamPlayerOptions.audioSession`). */
  audioSession: 'auto' | 'playback';
  /** Options for the worklet, but for what depends on the context's rate. */
  engine: { capacity: number; shared?: SharedArrayBuffer; fadeMs: number; rates: number[] };
}

/** What the lifecycle tells the player. */
export interface LifecycleHooks {
  /** The player's state changed. */
  statechange(state: PlayerState, previous: PlayerState): void;
  /** Something went wrong with the context or the worklet. */
  error(code: ErrorCode, message: string): void;
  /** The node exists and its port is connected; `realTime` is false for an OfflineAudioContext. */
  started(context: BaseAudioContext, clock: AudioClock, realTime: boolean): void;
  /** The context closed underneath the player. */
  lost(): void;
  /** The player moved to a new context (it recreated a stalled one): events go on its clock. */
  replaced(context: AudioContext, clock: AudioClock): void;
}

/** How long start() waits for the context to run before calling it blocked by autoplay policy. */
const AUTOPLAY_WAIT_MS = 400;
/** How often (ms) a real-time context's clock is read to find a stall (see ClockWatch). */
const WATCH_INTERVAL_MS = 250;
/** Worklet reports at least this often (ms), so metrics and the postMessage free space stay fresh. */
const REPORT_INTERVAL_MS = 20;

/**
 * The player's Web Audio side: makes or adopts the context, loads the worklet, builds and
 * connects the node, and keeps the player's state in step with the context's (autoplay
 * blocking, suspension, the system taking the device, closing).
 */
export class Lifecycle {
  private current: PlayerState = 'new';
  private readonly options: LifecycleOptions;
  private readonly hooks: LifecycleHooks;
  private readonly port: WorkletPort;
  private context: AudioContext | OfflineAudioContext | null = null;
  private outputClock: AudioClock | null = null;
  /** The context the player made itself (and so closes), if any. */
  private own: AudioContext | null = null;
  private node: AudioWorkletNode | null = null;
  private tap: AnalyserNode | null = null;
  private streamTap: MediaStreamAudioDestinationNode | null = null;
  private readonly sink: SinkChoice;
  private startPromise: Promise<void> | null = null;
  private hasRun = false;
  /** A stalled context is being replaced (see recreate()). */
  private recreating = false;
  /** The system took the device (`interrupted`) and has not given it back yet. */
  private preempted = false;
  private releaseSession: () => void = () => undefined;
  private readonly onVisible = (): void => {
    if (document.visibilityState === 'visible') this.recover();
  };
  private readonly onContextState = (): void => this.sync();
  private readonly watch = new ClockWatch();
  private watchTimer: ReturnType<typeof setInterval> | null = null;

  constructor(options: LifecycleOptions, port: WorkletPort, hooks: LifecycleHooks) {
    this.options = options;
    this.port = port;
    this.hooks = hooks;
    this.sink = new SinkChoice(options.sinkId, options.destination, (code, message) => hooks.error(code, message));
  }

  /** The output device id in use (`''`: the default); before start(), the one asked for. */
  get sinkId(): string {
    return this.sink.id;
  }

  /** How the output reaches its device. */
  get outputRoute(): OutputRoute {
    return this.sink.route;
  }

  /**
   * Sends the output to device `deviceId`. Before start() it is remembered and applied
   * when the node exists (a failure then is an `error` event, and the default device plays).
   *
   * @throws VoxplayError `unsupported`, `output-device`.
   */
  setSinkId(deviceId: string): Promise<void> {
    return this.sink.set(deviceId, this.node, this.context);
  }

  /** The player's state. */
  get state(): PlayerState {
    return this.current;
  }

  /** The context in use (the app's, or the player's own once started). */
  get audioContext(): AudioContext | OfflineAudioContext | null {
    return this.context;
  }

  /** The context's output clock, from the moment the context exists. */
  get clock(): AudioClock | null {
    return this.outputClock;
  }

  /**
   * An AnalyserNode fed by the player's output (after the volume), made on first call once
   * the node exists; null before `start()` has built it. Opt-in: an app that never asks pays
   * nothing.
   */
  analyser(): AnalyserNode | null {
    if (this.tap) return this.tap;
    if (!this.node) return null;
    this.tap = this.node.context.createAnalyser();
    this.node.connect(this.tap);
    return this.tap;
  }

  /**
   * A MediaStream of the player's output (after the volume), made on first call once the node
   * exists; null before `start()` and in an OfflineAudioContext. Opt-in, like the analyser.
   */
  outputStream(): MediaStream | null {
    if (this.streamTap) return this.streamTap.stream;
    if (!this.node || typeof MediaStreamAudioDestinationNode === 'undefined' || !(this.node.context instanceof AudioContext)) return null;
    this.streamTap = this.node.context.createMediaStreamDestination();
    this.node.connect(this.streamTap);
    return this.streamTap.stream;
  }

  /** Loads the worklet, connects the node and resumes the context; the same promise on every call. */
  start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  /** Resumes a blocked or suspended context (call from a user gesture). */
  async resume(): Promise<void> {
    if (!this.context) return this.start();
    await this.context.resume();
    this.sync();
  }

  /** Releases the node (and the context if the player made it); the state becomes `closed`. */
  async close(): Promise<void> {
    const previous = this.current;
    this.current = 'closed';
    await this.startPromise?.catch(() => undefined);
    if (this.context) this.unfollow(this.context);
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.onVisible);
    this.releaseSession();
    this.port.close();
    this.tap = null;
    this.streamTap = null;
    this.sink.release();
    if (this.node) {
      this.node.disconnect();
      this.node = null;
    }
    if (this.own && this.own.state !== 'closed') await this.own.close().catch(() => undefined);
    this.hooks.statechange('closed', previous);
  }

  private async doStart(): Promise<void> {
    this.set('starting');
    this.releaseSession = claimAudioSession(this.options.audioSession);
    const own = this.options.context ? null : new AudioContext({ latencyHint: 'interactive' });
    const context = this.options.context ?? own!;
    this.own = own;
    this.context = context;
    this.outputClock = isOffline(context) ? new RenderClock(context) : new OutputClock(context);
    try {
      await loadWorklet(context, this.options.workletUrl, this.options.workletSource);
    } catch (error) {
      await own?.close().catch(() => undefined);
      this.context = null;
      this.outputClock = null;
      this.set('new');
      this.startPromise = null;
      throw error;
    }
    if (this.current === 'closed') return;
    const offline = isOffline(context);
    const node = this.buildNode(context, undefined);
    this.node = node;
    await this.sink.applyTo(node, context);
    this.hooks.started(context, this.outputClock!, !offline);
    this.port.connect(node.port);
    if (offline) {
      // An offline context runs when the app calls startRendering() and closes when done;
      // neither is a state change of the player.
      this.hasRun = true;
      this.set('running');
      return;
    }
    this.follow(context);
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this.onVisible);
    if (await tryResume(context, AUTOPLAY_WAIT_MS)) this.hasRun = true;
    this.sync();
  }

  /** Builds the playback node in `context` (continuing from `restore`, if given) and connects it. */
  private buildNode(context: BaseAudioContext, restore: EngineState | undefined): AudioWorkletNode {
    const { engine } = this.options;
    const offline = isOffline(context);
    const engineOptions: EngineOptions = {
      capacity: engine.capacity,
      fadeFrames: msToSamples(engine.fadeMs, context.sampleRate),
      // Offline rendering runs far faster than real time: a 20 ms cadence would post a
      // report every few quanta and dominate the render cost. Events still go out at once.
      reportIntervalFrames: offline ? context.sampleRate : msToSamples(REPORT_INTERVAL_MS, context.sampleRate),
      rates: engine.rates,
    };
    if (engine.shared) engineOptions.shared = engine.shared;
    if (restore) engineOptions.restore = restore;
    const node = new AudioWorkletNode(context, PROCESSOR_NAME, {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: engineOptions,
    });
    node.onprocessorerror = () => this.hooks.error('context', 'the playback worklet stopped with an error');
    node.connect(this.options.destination ?? context.destination);
    return node;
  }

  /**
   * A context the player made still stands still after a suspend() and resume(): move to a
   * new one. The old worklet hands its state over (what is buffered, where each utterance
   * stands, the marks, pause and volume) and goes silent; the new one continues from the
   * first unheard sample, with a fade-in. Messages sent meanwhile wait and follow in order.
   */
  private async recreate(old: AudioContext): Promise<void> {
    if (this.recreating || old !== this.own || this.isClosed()) return;
    this.recreating = true;
    try {
      const state = await this.port.handOver();
      if (!state || this.isClosed()) return;
      const context = new AudioContext({ latencyHint: 'interactive' });
      try {
        await loadWorklet(context, this.options.workletUrl, this.options.workletSource);
      } catch (error) {
        await context.close().catch(() => undefined);
        this.hooks.error('context', `could not recreate the stalled AudioContext: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      if (this.isClosed()) {
        await context.close().catch(() => undefined);
        return;
      }
      this.unfollow(old);
      this.node?.disconnect();
      this.sink.release();
      this.tap = null;
      this.streamTap = null;
      void old.close().catch(() => undefined);
      const node = this.buildNode(context, state);
      this.own = context;
      this.context = context;
      this.node = node;
      this.outputClock = new OutputClock(context);
      await this.sink.applyTo(node, context);
      this.hooks.replaced(context, this.outputClock);
      this.port.connect(node.port);
      if (state.lost > 0) {
        this.hooks.error(
          'context',
          `${state.lost} samples the stalled context had taken ahead were already overwritten in the full buffer; the new context skips them`,
        );
      }
      this.watch.reset();
      this.follow(context);
      await tryResume(context, AUTOPLAY_WAIT_MS);
      this.sync();
    } finally {
      this.recreating = false;
    }
  }

  /** Follows a real-time context: its state changes, and its clock on a timer (see checkClock). */
  private follow(context: AudioContext): void {
    context.addEventListener('statechange', this.onContextState);
    this.watchTimer = setInterval(() => this.checkClock(context), WATCH_INTERVAL_MS);
  }

  /** Stops following `context` (a replaced one, or the player closes). */
  private unfollow(context: BaseAudioContext): void {
    context.removeEventListener('statechange', this.onContextState);
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
  }

  /** A timer reading of the clock: a running context whose clock stands still is stalled. */
  private checkClock(context: AudioContext): void {
    if (this.current === 'closed') return;
    const verdict = this.watch.observe(performance.now(), context.currentTime, context.state === 'running');
    if (verdict === 'recovered') this.sync();
    if (verdict !== 'stalled') return;
    this.set('stalled');
    const own = context === this.own;
    this.hooks.error(
      'context',
      `the AudioContext says running but its clock has stood still for ${STALL_MS} ms, so nothing plays; ${own ? 'restarting it with suspend() and resume(), and with a new AudioContext if that does not help' : "the app's context needs recreating"}`,
    );
    // Only a context the player made: suspending or replacing an app's context is the app's call.
    if (!own) return;
    void context
      .suspend()
      .then(() => context.resume())
      .catch(() => undefined);
    setTimeout(() => {
      if (this.watch.stalled && this.context === context) void this.recreate(context);
    }, STALL_MS);
  }

  /**
   * The interruption is over (the context left `interrupted`, or the page became visible
   * again): resume the context. Where the browser wants a gesture for that, the state
   * becomes `blocked`, and `resume()` from a gesture (or `unlockOnGesture()`) finishes it.
   * Buffered audio waits in the ring meanwhile.
   */
  private recover(): void {
    const context = this.context;
    if (!this.preempted || !context || isOffline(context) || this.current === 'closed') return;
    if ((context.state as string) === 'interrupted') return;
    void tryResume(context, AUTOPLAY_WAIT_MS).then((running) => {
      if (this.current === 'closed') return;
      if (running) this.sync();
      else if ((context.state as string) === 'suspended') this.set('blocked');
    });
  }

  /** A method, not a comparison, so TypeScript does not narrow it away across awaits. */
  private isClosed(): boolean {
    return this.current === 'closed';
  }

  private set(state: PlayerState): void {
    const previous = this.current;
    if (previous === state || previous === 'closed') return;
    this.current = state;
    this.hooks.statechange(state, previous);
  }

  private sync(): void {
    const context = this.context;
    if (!context || this.current === 'closed') return;
    // Safari's `interrupted` (the system took the device) is not in every lib.dom yet.
    const state = context.state as string;
    if (state === 'running') {
      this.hasRun = true;
      this.preempted = false;
      // A stalled clock also says running: the watch says when it moves again.
      this.set(this.watch.stalled ? 'stalled' : 'running');
    } else if (state === 'suspended') {
      // After an interruption the system leaves the context suspended (iOS after a call or
      // a screen lock): the app did not ask for that, so the player resumes it.
      if (this.preempted) this.recover();
      else this.set(this.hasRun ? 'suspended' : 'blocked');
    } else if (state === 'interrupted') {
      this.preempted = true;
      this.set('preempted');
    } else if (state === 'closed') {
      this.hooks.error('context', 'the AudioContext was closed underneath the player');
      this.hooks.lost();
    }
  }
}

function isOffline(context: BaseAudioContext): context is OfflineAudioContext {
  return typeof OfflineAudioContext === 'function' && context instanceof OfflineAudioContext;
}
