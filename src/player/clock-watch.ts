/**
 * Finds a context that says `running` while its clock stands still (seen in Safari after a
 * device change or screen lock, and in engines whose output thread died): the audio thread
 * renders nothing, so nothing plays, yet no state change tells the page.
 *
 * Pure: the lifecycle feeds it what it reads on a timer (`performance.now()`,
 * `currentTime`, whether the context says running) and acts on the verdicts.
 */

/** How long (ms) a running context's clock may stand still before it counts as stalled. */
export const STALL_MS = 1500;

/** A change of verdict, or null when it stays the same. */
export type ClockVerdict = 'stalled' | 'recovered' | null;

export class ClockWatch {
  private readonly stallMs: number;
  private lastTime = Number.NaN;
  private since = 0;
  private isStalled = false;

  constructor(stallMs: number = STALL_MS) {
    this.stallMs = stallMs;
  }

  /** True from a 'stalled' verdict until the clock moves again. */
  get stalled(): boolean {
    return this.isStalled;
  }

  /** Forgets the readings (a new context, whose clock starts again from 0). */
  reset(): void {
    this.lastTime = Number.NaN;
    this.since = 0;
    this.isStalled = false;
  }

  /**
   * One reading. A context that is not running (suspended, blocked, interrupted) cannot
   * stall: its reading only restarts the wait.
   */
  observe(now: number, contextTime: number, running: boolean): ClockVerdict {
    const moved = contextTime !== this.lastTime;
    if (moved || !running) {
      this.lastTime = contextTime;
      this.since = now;
      if (this.isStalled && moved) {
        this.isStalled = false;
        return 'recovered';
      }
      return null;
    }
    if (!this.isStalled && now - this.since >= this.stallMs) {
      this.isStalled = true;
      return 'stalled';
    }
    return null;
  }
}
