/**
 * The audio clock on the main thread: when a context frame reaches the speakers, and
 * running callbacks then, so events fire in the order the listener hears them.
 */

/** What the player needs of an output clock (a fake one in unit tests). */
export interface AudioClock {
  /** The output (context) sample rate. */
  readonly sampleRate: number;
  /** `performance.now()` time at which context frame `frame` is heard. */
  audibleAt(frame: number): number;
  /** The context's reported output latency (base + device), ms. */
  latencyMs(): number;
}

/**
 * Maps context frames to `performance.now()` times at which they reach the speakers,
 * using `getOutputTimestamp()` (which already includes the output latency) when the
 * browser provides a live one, else the current time plus the reported latencies.
 */
export class OutputClock implements AudioClock {
  private readonly context: BaseAudioContext;

  constructor(context: BaseAudioContext) {
    this.context = context;
  }

  get sampleRate(): number {
    return this.context.sampleRate;
  }

  /** The context's reported output latency (base + device), ms. */
  latencyMs(): number {
    const ctx = this.context as Partial<AudioContext>;
    return ((ctx.baseLatency ?? 0) + (ctx.outputLatency ?? 0)) * 1000;
  }

  /** `performance.now()` time at which context frame `frame` is heard. */
  audibleAt(frame: number): number {
    const rate = this.context.sampleRate;
    const ctx = this.context as Partial<AudioContext>;
    if (typeof ctx.getOutputTimestamp === 'function') {
      const stamp = ctx.getOutputTimestamp();
      if (stamp.performanceTime !== undefined && stamp.contextTime !== undefined && stamp.performanceTime > 0) {
        return stamp.performanceTime + (frame / rate - stamp.contextTime) * 1000;
      }
    }
    return performance.now() + (frame / rate - this.context.currentTime) * 1000 + this.latencyMs();
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
