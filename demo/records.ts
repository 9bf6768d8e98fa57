/**
 * Per-utterance figures of both engines, measured the same way so they can be compared:
 *
 * - time to first audio: the Speak request leaves the page → first sample audible
 *   (voxplay: `playing.audibleAt`; legacy: the first <audio> `playing` event plus the
 *   context's output latency);
 * - gaps: silences inside an utterance (voxplay: underruns; legacy: chunk boundaries where
 *   the next element's `playing` came more than {@link LEGACY_GAP_MS} after the previous `ended`);
 * - barge-in: the context frame at the `interrupt()` call → the first frame of lasting
 *   silence at the output bus, counted on the audio clock by a probe worklet (both engines).
 *   For voxplay the player's own figure (`interrupted.silentAt`, at the speakers, so it
 *   includes the output latency) is kept too.
 */
export type EngineKind = 'voxplay' | 'legacy';

export type RecordState = 'requested' | 'buffering' | 'playing' | 'ended' | 'interrupted' | 'failed';

export interface UtteranceRecord {
  engine: EngineKind;
  /** The server's utterance id (null until its `start` message arrives). */
  id: string | null;
  text: string;
  /** performance.now() when the speak request was sent. */
  requestedAt: number;
  /** Requested while another utterance was still streaming: it waited for that one, so its time to first audio says nothing. */
  queued: boolean;
  state: RecordState;
  ttfaMs: number | null;
  /** voxplay only: the library's own figure (first frame received → audible). */
  clientTtfaMs: number | null;
  gaps: number;
  gapMs: number;
  /** null when the cut was not timed (nothing audible at that moment, e.g. a pause between words). */
  bargeInMs: number | null;
  /** voxplay only: `interrupted.silentAt` − the interrupt call: silence at the speakers, as the player reports it. */
  reportedBargeInMs: number | null;
  /** voxplay only: the fade to silence of the cut (`interrupted.fadeMs`); the legacy queue cuts hard. */
  fadeMs: number | null;
  playedMs: number;
  droppedMs: number;
}

/** A legacy chunk boundary counts as a gap above this many ms between `ended` and the next `playing`. */
export const LEGACY_GAP_MS = 2;

type Listener = () => void;

/** The list of utterances, newest last, with change notification. */
export class Records {
  readonly items: UtteranceRecord[] = [];
  private readonly listeners = new Set<Listener>();

  add(engine: EngineKind, text: string): UtteranceRecord {
    const record: UtteranceRecord = {
      engine,
      id: null,
      text,
      requestedAt: performance.now(),
      queued: false,
      state: 'requested',
      ttfaMs: null,
      clientTtfaMs: null,
      gaps: 0,
      gapMs: 0,
      bargeInMs: null,
      reportedBargeInMs: null,
      fadeMs: null,
      playedMs: 0,
      droppedMs: 0,
    };
    this.items.push(record);
    if (this.items.length > 200) this.items.shift();
    this.changed();
    return record;
  }

  find(engine: EngineKind, id: string): UtteranceRecord | undefined {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const r = this.items[i];
      if (r.engine === engine && r.id === id) return r;
    }
    return undefined;
  }

  latest(engine?: EngineKind): UtteranceRecord | undefined {
    for (let i = this.items.length - 1; i >= 0; i--) if (!engine || this.items[i].engine === engine) return this.items[i];
    return undefined;
  }

  /** Utterances of `engine` that are not finished, oldest first. */
  open(engine: EngineKind): UtteranceRecord[] {
    return this.items.filter((r) => r.engine === engine && (r.state === 'requested' || r.state === 'buffering' || r.state === 'playing'));
  }

  onChange(listener: Listener): void {
    this.listeners.add(listener);
  }

  changed(): void {
    for (const l of this.listeners) l();
  }
}

/** Median of the finite values, or null. */
export function median(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
