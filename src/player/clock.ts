/**
 * The audio clock on the main thread: when a context frame reaches the speakers, and
 * running callbacks then, so events fire in the order the listener hears them.
 */
import type { ClockSource } from './types.js';

/** What the player needs of an output clock (a fake one in unit tests). */
export interface AudioClock {
  /** The output (context) sample rate. */
  readonly sampleRate: number;
  /** `performance.now()` time at which context frame `frame` is heard. */
  audibleAt(frame: number): number;
  /** The context's reported output latency (base + device), ms. */
  latencyMs(): number;
  /** What placed the last audibleAt() (null before the first). */
  readonly source: ClockSource | null;
}

/**
 * Which of the context's clock reads an engine can be trusted with. Decided once per
 * context from the user agent, because the faults cannot be detected safely at run time:
 *
 * - Gecko (Firefox): reading `outputLatency` or calling `getOutputTimestamp()` can
 *   deadlock the page's main thread (a lock cycle between the main thread, the graph thread
 *   and the audio callback, seen on Firefox ESR 153), and a synchronous read cannot be
 *   guarded by a timeout. So neither is read there; `baseLatency` is.
 * - Everyone else: `getOutputTimestamp()` is used when its stamp is plausible (see
 *   {@link OutputClock.audibleAt}); WebKitGTK's `performanceTime` runs ahead of
 *   `performance.now()` by about the context's age, which the plausibility check catches.
 */
export interface ClockQuirks {
  /** Never read `outputLatency` nor call `getOutputTimestamp()`. */
  readonly avoidOutputReads: boolean;
}

/** The quirks of the engine with this user agent string. */
export function clockQuirks(userAgent: string | undefined): ClockQuirks {
  // Gecko says "Gecko/20100101"; Blink and WebKit say "(KHTML, like Gecko)", with no slash.
  return { avoidOutputReads: userAgent !== undefined && /\bGecko\/\d/.test(userAgent) };
}

/**
 * How far (ms) a stamp's `performanceTime` may lie ahead of `performance.now()`: a stamp
 * describes a moment that has happened, so anything later is the engine's clock error.
 */
const FUTURE_TOLERANCE_MS = 1;

/**
 * Maps context frames to `performance.now()` times at which they reach the speakers, in
 * this order of preference:
 *
 * 1. `getOutputTimestamp()` (it includes the output latency), when the engine may be asked
 *    and its stamp is plausible: `contextTime` and `performanceTime` positive, and
 *    `performanceTime` not in the future;
 * 2. else `currentTime` mapped to now, plus the reported latency (`baseLatency`, and
 *    `outputLatency` where it may be read).
 *
 * Either way the result is accurate to about one render quantum (a context's `currentTime`
 * and stamps advance a quantum at a time).
 */
export class OutputClock implements AudioClock {
  private readonly context: BaseAudioContext;
  private readonly quirks: ClockQuirks;
  private readonly now: () => number;
  /** Which source the last audibleAt() used (for metrics and tests). */
  source: ClockSource | null = null;

  constructor(context: BaseAudioContext, quirks: ClockQuirks = clockQuirks(globalThis.navigator?.userAgent), now: () => number = () => performance.now()) {
    this.context = context;
    this.quirks = quirks;
    this.now = now;
  }

  get sampleRate(): number {
    return this.context.sampleRate;
  }

  /** The context's reported output latency (base, plus device where it may be read), ms. */
  latencyMs(): number {
    const ctx = this.context as Partial<AudioContext>;
    const base = ctx.baseLatency ?? 0;
    const device = this.quirks.avoidOutputReads ? 0 : (ctx.outputLatency ?? 0);
    const total = (base + device) * 1000;
    return Number.isFinite(total) && total > 0 ? total : 0;
  }

  /** `performance.now()` time at which context frame `frame` is heard. */
  audibleAt(frame: number): number {
    const rate = this.context.sampleRate;
    const ctx = this.context as Partial<AudioContext>;
    const now = this.now();
    if (!this.quirks.avoidOutputReads && typeof ctx.getOutputTimestamp === 'function') {
      const stamp = ctx.getOutputTimestamp();
      const { performanceTime, contextTime } = stamp;
      if (
        performanceTime !== undefined &&
        contextTime !== undefined &&
        performanceTime > 0 &&
        contextTime > 0 &&
        performanceTime <= now + FUTURE_TOLERANCE_MS
      ) {
        this.source = 'timestamp';
        return performanceTime + (frame / rate - contextTime) * 1000;
      }
    }
    this.source = 'currentTime';
    return now + (frame / rate - this.context.currentTime) * 1000 + this.latencyMs();
  }
}

/**
 * The clock of an OfflineAudioContext: nothing is heard, so an event is due as soon as the
 * worklet reports it. (Mapping its frames to wall time would put events up to the whole
 * render length in the future, since an offline context renders far faster than real time
 * and its main-thread `currentTime` lags the render in Firefox and between suspends.)
 */
export class RenderClock implements AudioClock {
  readonly sampleRate: number;
  readonly source = 'render';
  private readonly now: () => number;

  constructor(context: BaseAudioContext, now: () => number = () => performance.now()) {
    this.sampleRate = context.sampleRate;
    this.now = now;
  }

  /** Now: a rendered frame is due at once. */
  audibleAt(): number {
    return this.now();
  }

  /** No output device: 0. */
  latencyMs(): number {
    return 0;
  }
}

/** Runs callbacks at `performance.now()` times; cancels them all on close. */
export class Scheduler {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  /** Runs `fn` when `performance.now()` reaches `time` (at once if it has). */
  at(time: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, time - performance.now()),
    );
    this.timers.add(timer);
  }

  /** Drops every callback not run yet. */
  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
