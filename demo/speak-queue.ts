/**
 * One utterance on the wire at a time. A Speak pressed while the previous utterance is still
 * streaming waits here and is requested when the server has sent that one's `end`: its
 * audio then queues behind the previous one's tail and plays on without a gap. (The mock
 * server would stream both at once, interleaving their frames; a player plays one utterance
 * after another, so that would cut the first one short.)
 */
import type { UtteranceRecord } from './records';
import type { ServerConnection } from './server-connection';

interface Waiting {
  record: UtteranceRecord;
  message: string;
}

export class SpeakQueue {
  private readonly connection: ServerConnection;
  private readonly onFail: (record: UtteranceRecord, why: string) => void;
  private readonly waiting: Waiting[] = [];
  /** Requested, and its `end` not received yet. */
  private inFlight: UtteranceRecord | null = null;
  private pumping = false;
  /** Requests cleared before their `start` came back: that many `start`s name no record. */
  private orphans = 0;

  constructor(connection: ServerConnection, onFail: (record: UtteranceRecord, why: string) => void) {
    this.connection = connection;
    this.onFail = onFail;
  }

  /** The request in flight (sent, its `end` not received yet). */
  get current(): UtteranceRecord | null {
    return this.inFlight;
  }

  /** The server's `start` for utterance `id`: returns the request it answers, if any. */
  claimStart(id: string): UtteranceRecord | null {
    if (this.orphans > 0) {
      this.orphans--;
      return null;
    }
    const record = this.inFlight;
    if (!record || record.id !== null) return null;
    record.id = id;
    return record;
  }

  /** Sends `message` for `record` now, or once the utterance in flight has been sent. */
  request(record: UtteranceRecord, message: string): void {
    if (this.inFlight || this.waiting.length > 0) record.queued = true;
    this.waiting.push({ record, message });
    void this.pump();
  }

  /** The server sent `end` for `id` (or refused the request in flight: `id` null). */
  streamed(id: string | null): void {
    if (!this.inFlight || (id !== null && this.inFlight.id !== id)) return;
    this.inFlight = null;
    void this.pump();
  }

  /** Barge-in: forget the request in flight and everything waiting. Returns the waiting ones. */
  clear(): UtteranceRecord[] {
    if (this.inFlight && this.inFlight.id === null) this.orphans++;
    this.inFlight = null;
    return this.waiting.splice(0).map((w) => w.record);
  }

  /** The socket closed: the request in flight will get no `end`; send the rest after reconnecting. */
  connectionLost(): void {
    const lost = this.inFlight;
    this.inFlight = null;
    this.orphans = 0; // a new socket starts afresh
    if (lost && lost.id === null) this.onFail(lost, 'the connection closed before the server answered');
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.inFlight && this.waiting.length > 0) {
        const next = this.waiting[0];
        if (!(await this.connection.whenOpen())) {
          this.waiting.shift();
          this.onFail(next.record, `cannot reach the mock TTS server at ${this.connection.url}`);
          continue;
        }
        if (this.waiting[0] !== next) continue; // cleared meanwhile
        this.waiting.shift();
        this.inFlight = next.record;
        next.record.requestedAt = performance.now();
        this.connection.send(next.message);
      }
    } finally {
      this.pumping = false;
    }
  }
}
