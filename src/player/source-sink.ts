import type { ErrorCode } from '../errors.js';
import type { AudioDescription, AudioSink, OverflowPolicy, UtteranceAnnouncement } from '../sources/source.js';
import type { PlaybackSession } from './session.js';

/**
 * The {@link AudioSink} one source writes to: the session's ingest, with the source's
 * overflow policy. Stops passing anything on once the source is disconnected.
 */
export class SourceSink implements AudioSink {
  private readonly session: PlaybackSession;
  private readonly policy: OverflowPolicy;
  /** False once disconnected: a source that keeps calling is ignored. */
  live = true;

  constructor(session: PlaybackSession, policy: OverflowPolicy) {
    this.session = session;
    this.policy = policy;
  }

  startUtterance(utteranceId: string, announcement: UtteranceAnnouncement = {}): void {
    if (this.live) this.session.startUtterance(utteranceId, announcement);
  }

  write(utteranceId: string, bytes: Uint8Array, description: AudioDescription = {}): boolean {
    if (!this.live) return true;
    return this.session.write(utteranceId, bytes, description, this.policy);
  }

  stale(utteranceId: string, bytes: Uint8Array, description: AudioDescription = {}): void {
    if (this.live) this.session.stale(utteranceId, bytes, description);
  }

  endUtterance(utteranceId: string): void {
    if (this.live) this.session.ingest.end(utteranceId, 'source');
  }

  mark(utteranceId: string, sampleOffset: number, name: string): void {
    if (this.live) this.session.addMark(utteranceId, sampleOffset, name);
  }

  gap(utteranceId: string, gap: { discardedBytes: number; missing: number; message: string }): void {
    if (this.live) this.session.ingest.gap(utteranceId, gap);
  }

  error(code: ErrorCode, message: string): void {
    if (this.live) this.session.error(code, message);
  }

  disconnected(code: number, reason: string): void {
    if (this.live) this.session.sourceDisconnected(code, reason);
  }

  openUtteranceId(): string | null {
    return this.session.registry.open?.id ?? null;
  }

  newUtteranceId(): string {
    return `raw-${this.session.registry.upcomingSerial}`;
  }

  whenWritable(samples?: number): Promise<void> {
    return this.session.whenWritable(samples);
  }
}
