import type { AudioFormat } from './formats.js';

/** What a decoder made of one chunk of bytes. */
export interface DecodedChunk {
  /** The complete samples this chunk finished (a fresh array the caller owns). */
  samples: Float32Array;
  /** NaN or ±Infinity samples replaced by 0 in this chunk. */
  nonFinite: number;
  /**
   * The rate of `samples`, when the codec decides it (e.g. a compressed stream whose
   * header names its rate); absent means the utterance's declared rate.
   */
  sampleRate?: number;
}

/** What a decoder's error says: bytes it cannot read, or a format (variant) it cannot play. */
export type DecodeErrorCode = 'bad-frame' | 'unsupported-codec';

/**
 * The error a decoder throws (or its promise rejects with) for input it cannot decode. A
 * plain Error with a `code`, not a VoxplayError: decoders load as separate chunks, and
 * importing the player's error class would pull a shared chunk into `voxplay.js`'s static
 * imports (an app that copies only `voxplay.js` would break). The player turns it into a
 * VoxplayError with the same code; anything else a decoder throws is `bad-frame`.
 */
export type DecodeError = Error & { code: DecodeErrorCode };

/** The code of a decode error, or null for any other thrown value. */
export function decodeErrorCode(value: unknown): DecodeErrorCode | null {
  const code = value instanceof Error ? (value as Partial<DecodeError>).code : undefined;
  return code === 'bad-frame' || code === 'unsupported-codec' ? code : null;
}

/**
 * Turns one utterance's byte stream, cut anywhere, into Float32 samples. One decoder per
 * utterance, so carried state never leaks between streams. Runs on the main thread (or a
 * worker), never on the audio thread.
 */
export interface Decoder {
  /**
   * Decodes `bytes`, continuing from the previous call. A decoder that works
   * asynchronously (WebCodecs, WASM) returns a promise; the player keeps the results of
   * one utterance in order.
   */
  decode(bytes: Uint8Array): DecodedChunk | Promise<DecodedChunk>;
  /** Bytes held back because they do not yet form a whole unit (sample, frame, page). */
  readonly pendingBytes: number;
  /** Forgets carried state (the utterance ended or was cut mid-unit). Returns the bytes dropped. */
  reset(): number;
}

/**
 * A format the player can play: its name, its wire code, and a decoder factory. A codec
 * with a fixed sample width sets `bytesPerSample`, which lets a push that cannot fit be
 * refused before anything is decoded; a compressed codec sets it to null and capacity is
 * checked on the decoded samples.
 */
export interface AudioCodec {
  readonly name: AudioFormat;
  /** The frame header's codec byte (docs/protocol.md). */
  readonly wireCode: number;
  /** Bytes per sample, or null when it is not fixed (compressed formats). */
  readonly bytesPerSample: number | null;
  /** A decoder for one utterance at `sampleRate` (the rate it was declared with). */
  createDecoder(sampleRate: number): Decoder;
}
