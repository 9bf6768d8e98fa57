/**
 * What went wrong, as a stable string an app can switch on.
 *
 * - `bad-option`: a constructor option is out of range or of the wrong type.
 * - `closed`: the player was used after `close()`.
 * - `worklet-load`: the AudioWorklet module could not be loaded.
 * - `context`: the AudioContext failed or closed underneath the player.
 * - `buffer-full`: a push did not fit in the ring (`maxBufferMs`); nothing of it was written.
 * - `oversized`: a single chunk is larger than the whole ring and can never fit.
 * - `too-many-utterances`: more utterances queued than the worklet can track.
 * - `empty-chunk`: a push or frame carried no audio bytes.
 * - `non-finite`: NaN or ±Infinity samples were replaced by silence.
 * - `bad-frame`: a binary frame's header is malformed (see the protocol spec), audio bytes cannot be decoded (e.g. a stream that is not WAV), or an utterance ended mid-sample or mid-page (those bytes were dropped).
 * - `unsupported-codec`: the audio is in a format or variant this player or browser cannot decode (named in the message); the utterance ends.
 * - `bad-control`: a text frame is not a valid control message.
 * - `unknown-utterance`: a control message names an utterance the player never saw.
 * - `stale`: audio arrived for an utterance that was interrupted; it was discarded.
 * - `after-end`: audio arrived for an utterance already ended; it was discarded.
 * - `rate-change`: a frame's sample rate differs from its utterance's; it was discarded.
 * - `sequence`: frames of an utterance went missing, or arrived duplicated or out of order.
 * - `disconnected`: the attached socket closed while an utterance was still arriving.
 * - `network`: a stream given to `playStream()` failed: an HTTP error status, or the body broke off mid-stream (after what was read had played).
 * - `unsupported`: the browser lacks what a call needs (e.g. choosing the output device in Safari); the player keeps working without it.
 * - `output-device`: the browser refused the output device asked for (unknown id, no permission); the output stays where it was.
 * - `record-limit`: a recording (`player.record()`) reached its `maxSeconds`; it stopped there and keeps what it has.
 */
export type ErrorCode =
  | 'bad-option'
  | 'closed'
  | 'worklet-load'
  | 'context'
  | 'buffer-full'
  | 'oversized'
  | 'too-many-utterances'
  | 'empty-chunk'
  | 'non-finite'
  | 'bad-frame'
  | 'unsupported-codec'
  | 'bad-control'
  | 'unknown-utterance'
  | 'stale'
  | 'after-end'
  | 'rate-change'
  | 'sequence'
  | 'disconnected'
  | 'network'
  | 'unsupported'
  | 'output-device'
  | 'record-limit';

/** An Error that carries an {@link ErrorCode}; thrown by the player and carried by `error` events. */
export class VoxplayError extends Error {
  readonly code: ErrorCode;
  /** The utterance concerned, when there is one. */
  readonly utteranceId: string | undefined;

  /**
   * Builds an error; the player throws these, and emits them as `error` events.
   *
   * @param code - What went wrong.
   * @param message - What exactly, naming the value or utterance concerned (prefixed with "voxplay: ").
   * @param options - The utterance concerned, and the underlying error if there is one.
   */
  constructor(code: ErrorCode, message: string, options?: { utteranceId?: string; cause?: unknown }) {
    super(`voxplay: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VoxplayError';
    this.code = code;
    this.utteranceId = options?.utteranceId;
  }
}
