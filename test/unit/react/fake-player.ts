import type { MarkEvent, OutputLevel, PlayerSnapshot, StreamPlayer } from '../../../src/index';

/**
 * What the hooks use of a player (subscribe, getSnapshot, on('mark'), getOutputLevel), with
 * the test in control: `report()` is a worklet report (a new output level), `change()` a new
 * snapshot, `mark()` a mark reaching the speakers.
 */
export class FakePlayer {
  snapshot: PlayerSnapshot = Object.freeze({
    state: 'running',
    utteranceId: null,
    playing: false,
    paused: false,
    bufferedMs: 0,
    volume: 1,
    muted: false,
    speed: 1,
    error: null,
  });
  level: OutputLevel = { rmsDb: -Infinity, peakDb: -Infinity, rms: 0, peak: 0, frames: 0, contextTime: 0 };
  readonly listeners = new Set<() => void>();
  readonly markHandlers = new Set<(m: MarkEvent) => void>();
  levelReads = 0;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  readonly getSnapshot = (): PlayerSnapshot => this.snapshot;

  on(type: 'mark', handler: (m: MarkEvent) => void): () => void {
    if (type !== 'mark') throw new Error(`the fake only has mark events, not ${type}`);
    this.markHandlers.add(handler);
    return () => this.markHandlers.delete(handler);
  }

  getOutputLevel(): OutputLevel {
    this.levelReads++;
    return { ...this.level }; // a fresh object per call, like the player's
  }

  /** A worklet report: the level of the next ~20 ms. */
  report(rms: number, peak = rms * 1.5): void {
    const contextTime = this.level.contextTime + 0.02;
    this.level = { rms, peak, rmsDb: 20 * Math.log10(rms), peakDb: 20 * Math.log10(peak), frames: 960, contextTime };
  }

  /** A new snapshot with `fields` changed, announced to the subscribers. */
  change(fields: Partial<PlayerSnapshot>): void {
    this.snapshot = Object.freeze({ ...this.snapshot, ...fields });
    for (const listener of [...this.listeners]) listener();
  }

  mark(name: string, sampleOffset: number): void {
    const event: MarkEvent = { utteranceId: 'u1', name, sampleOffset, offsetMs: sampleOffset / 24, audibleAt: 0, contextTime: 0 };
    for (const handler of [...this.markHandlers]) handler(event);
  }

  /** The hooks take a StreamPlayer (or the part of it they use); this is that part. */
  asPlayer(): StreamPlayer {
    return this as unknown as StreamPlayer;
  }
}
