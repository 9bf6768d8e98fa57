/**
 * The rare paths of a real-time context the player follows: the clock watch (a context that
 * says `running` while its clock stands still), the restart with suspend() + resume(), and
 * the move to a new context that continues from the first unheard sample. Loaded with
 * import() once the player has a context to follow, so the core bundle does not carry them
 * (issue 26): nothing can stall before the context runs.
 *
 * @packageDocumentation
 */
import { ClockWatch, STALL_MS } from './clock-watch.js';
import type { EngineState } from '../worklet/messages.js';

/** How often (ms) a real-time context's clock is read to find a stall (see ClockWatch). */
const WATCH_INTERVAL_MS = 250;

/** What the guard needs of the player's lifecycle. */
export interface StallHost {
  /** True once the player is closed. */
  closed(): boolean;
  /** The context in use now. */
  context(): BaseAudioContext | null;
  /** True when `context` is the one the player made (only that one is restarted or replaced). */
  owns(context: AudioContext): boolean;
  /** The player's state becomes `stalled`. */
  stalled(): void;
  /** Re-reads the context's state (its clock moved again). */
  sync(): void;
  /** A `context` error event. */
  error(message: string): void;
  /** Asks the old worklet for its state; it goes silent. Null when it cannot answer. */
  handOver(): Promise<EngineState | null>;
  /** Loads the playback worklet into a new context. */
  load(context: AudioContext): Promise<void>;
  /** Moves the player from `old` onto `context`, continuing from `state`, and follows it. */
  adopt(old: AudioContext, context: AudioContext, state: EngineState): Promise<void>;
}

/** Watches one real-time context at a time for a stall, and restarts or replaces it. */
export class StallGuard {
  readonly #host: StallHost;
  readonly #watch = new ClockWatch();
  #timer: ReturnType<typeof setInterval> | null = null;
  /** A stalled context is being replaced. */
  #replacing = false;

  constructor(host: StallHost) {
    this.#host = host;
  }

  /** True from a stall until the clock moves again. */
  get stalled(): boolean {
    return this.#watch.stalled;
  }

  /** Reads `context`'s clock on a timer from now on (a new context: the readings start again). */
  follow(context: AudioContext): void {
    this.stop();
    this.#watch.reset();
    this.#timer = setInterval(() => this.#check(context), WATCH_INTERVAL_MS);
  }

  /** Stops reading the clock (the context is replaced, or the player closes). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** A timer reading of the clock: a running context whose clock stands still is stalled. */
  #check(context: AudioContext): void {
    const host = this.#host;
    if (host.closed()) return;
    const verdict = this.#watch.observe(performance.now(), context.currentTime, context.state === 'running');
    if (verdict === 'recovered') host.sync();
    if (verdict !== 'stalled') return;
    host.stalled();
    const own = host.owns(context);
    host.error(
      `the AudioContext says running but its clock has stood still for ${STALL_MS} ms, so nothing plays; ${own ? 'restarting it with suspend() and resume(), and with a new AudioContext if that does not help' : "the app's context needs recreating"}`,
    );
    // Only a context the player made: suspending or replacing an app's context is the app's call.
    if (!own) return;
    void context
      .suspend()
      .then(() => context.resume())
      .catch(() => undefined);
    setTimeout(() => {
      if (this.#watch.stalled && host.context() === context) void this.#replace(context);
    }, STALL_MS);
  }

  /**
   * A context the player made still stands still after a suspend() and resume(): move to a
   * new one. The old worklet hands its state over (what is buffered, where each utterance
   * stands, the marks, pause and volume) and goes silent; the new one continues from the
   * first unheard sample, with a fade-in. Messages sent meanwhile wait and follow in order.
   */
  async #replace(old: AudioContext): Promise<void> {
    const host = this.#host;
    if (this.#replacing || !host.owns(old) || host.closed()) return;
    this.#replacing = true;
    try {
      const state = await host.handOver();
      if (!state || host.closed()) return;
      const context = new AudioContext({ latencyHint: 'interactive' });
      try {
        await host.load(context);
      } catch (error) {
        await context.close().catch(() => undefined);
        host.error(`could not recreate the stalled AudioContext: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      if (host.closed()) {
        await context.close().catch(() => undefined);
        return;
      }
      if (state.lost > 0) {
        host.error(`${state.lost} samples the stalled context had taken ahead were already overwritten in the full buffer; the new context skips them`);
      }
      await host.adopt(old, context, state);
    } finally {
      this.#replacing = false;
    }
  }
}
