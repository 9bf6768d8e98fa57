import type { AudioFormat } from '../codecs/formats.js';
import type { ErrorCode } from '../errors.js';

/** Rate and format of audio handed to a sink; either may be left to the player's options. */
export interface AudioDescription {
  /** Sample rate in Hz (8000–48000). Default: the player's `sampleRate`. */
  sampleRate?: number;
  /** Encoding. Default: the player's `format`. */
  format?: AudioFormat;
}

/** What a source may say when an utterance is announced. */
export interface UtteranceAnnouncement extends AudioDescription {
  /** The text being spoken, if the source knows it (reaches the `utterancestart` event). */
  text?: string;
  /** Anything else the app's server sent with it (reaches the `utterancestart` event). */
  meta?: Record<string, unknown>;
}

/**
 * What a source does with audio that does not fit in the buffer:
 * - `'wait'`: the source can hold its input (a fetch body, an app's queue, `push()`): the
 *   sink refuses the chunk (`write` returns false, nothing taken) and the source awaits
 *   {@link AudioSink.whenWritable} before writing it again.
 * - `'drop'`: the source cannot hold back (a WebSocket delivers whether or not there is
 *   room): the chunk is dropped, counted as `overflow` and reported by a `dropped` event.
 */
export type OverflowPolicy = 'wait' | 'drop';

/**
 * The player's side of a source: every source (a WebSocket, `push()`, a fetch body, a
 * service adapter) reaches the same ingest policy through one of these. Given to
 * {@link AudioSource.connect}; valid until the function that returns is called.
 */
export interface AudioSink {
  /** Announces an utterance before (or with) its first audio. A new id ends the open utterance. */
  startUtterance(utteranceId: string, announcement?: UtteranceAnnouncement): void;
  /**
   * Audio bytes of an utterance, cut anywhere. Returns false when the chunk was refused
   * because it does not fit (policy `'wait'`; nothing of it was taken): await
   * {@link AudioSink.whenWritable} and write it again.
   */
  write(utteranceId: string, bytes: Uint8Array, description?: AudioDescription): boolean;
  /** No more audio for the utterance: its tail plays without waiting for the prebuffer. */
  endUtterance(utteranceId: string): void;
  /**
   * Audio the source knows belongs to a turn that was cut (a service's audio still in flight
   * after an interruption): never played, counted as `stale` with a `dropped` event, exactly
   * as audio that arrives for an interrupted utterance is. `utteranceId` names the cut turn;
   * it need not have started playing.
   */
  stale(utteranceId: string, bytes: Uint8Array, description?: AudioDescription): void;
  /** Marks input sample `sampleOffset` of the utterance (see `StreamPlayer.mark`). */
  mark(utteranceId: string, sampleOffset: number, name: string): void;
  /**
   * The source detected lost or repeated input for the utterance (e.g. sequence numbers):
   * `discardedBytes` it skipped (a duplicate), or 0 with `missing` units that never came.
   */
  gap(utteranceId: string, gap: { discardedBytes: number; missing: number; message: string }): void;
  /** Bad input the source could not use (reported as an `error` event; the player keeps working). */
  error(code: ErrorCode, message: string): void;
  /** The source's connection ended (`code` and `reason` as a WebSocket gives them). */
  disconnected(code: number, reason: string): void;
  /** The id of the utterance audio is flowing into, or null. */
  openUtteranceId(): string | null;
  /** A fresh id for audio that arrives without one (raw PCM before any `start`). */
  newUtteranceId(): string;
  /** Resolves when at least `samples` (default 1) fit in the buffer; at once if they do now. */
  whenWritable(samples?: number): Promise<void>;
}

/**
 * Anything that feeds the player: connect it with `player.connect(source)`. The
 * WebSocket feed behind `attach()` is one; a new source is one file in `src/sources/`.
 */
export interface AudioSource {
  /** How audio that does not fit is handled (see {@link OverflowPolicy}). */
  readonly overflow: OverflowPolicy;
  /** Starts feeding `sink`; returns a function that stops it (it must not close what the app owns). */
  connect(sink: AudioSink): () => void;
  /**
   * The player cut these utterances (barge-in), the sounding one first; `null` means
   * "nothing was queued: whatever you are producing". A source that can tell its server does so.
   */
  interrupted?(utteranceIds: readonly (string | null)[]): void;
}
