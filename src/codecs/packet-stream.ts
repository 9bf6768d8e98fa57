import type { DecodedChunk, DecodeError } from './codec.js';

/**
 * A decoder of compressed packets (Opus packets, MP3 frames) into mono Float32, behind which
 * sits WebCodecs or a WASM fallback. Decodes in submission order; trims what `trim` says.
 */
export interface PacketStream {
  /** Decodes `packets` in order; resolves (or returns) their samples, trimmed. */
  decode(packets: readonly Uint8Array[]): DecodedChunk | Promise<DecodedChunk>;
  /** Drops what the decoder still holds (an utterance ended or was cut). */
  reset(): void;
  /** Set once decoding failed; later packets are dropped. */
  readonly failed: DecodeError | null;
  /** The start and end trim applied to the decoded samples. */
  readonly trim: Trim;
  /** No samples, at the stream's rate. */
  empty(): DecodedChunk;
}

/**
 * Gapless trimming of a decoded stream: `toSkip` samples dropped from the start (pre-skip,
 * encoder and decoder delay), output capped at `total` samples (end padding). Fed each
 * decoded block in order.
 */
export class Trim {
  /** Samples still to drop from the start. */
  toSkip = 0;
  /** Samples the stream holds, once known; Infinity until then. */
  total = Infinity;
  private delivered = 0;

  /** The part of the next decoded block `block` that is kept (a view of it). */
  keep(block: Float32Array): Float32Array {
    const skip = Math.min(this.toSkip, block.length);
    this.toSkip -= skip;
    const kept = Math.max(0, Math.min(block.length - skip, this.total - this.delivered));
    this.delivered += kept;
    return block.subarray(skip, skip + kept);
  }
}

/** A chunk of no samples, for a decoder that has nothing (yet) to give. */
export function noSamples(): DecodedChunk {
  return { samples: new Float32Array(0), nonFinite: 0 };
}

/** Averages planar channels into one new mono array (a copy even for one channel: the planes may be a decoder's own buffers). */
export function downmix(planes: readonly Float32Array[], frames: number): Float32Array {
  if (planes.length === 1) return planes[0].slice(0, frames);
  const mono = new Float32Array(frames);
  for (const plane of planes) for (let i = 0; i < frames; i++) mono[i] += plane[i] / planes.length;
  return mono;
}
