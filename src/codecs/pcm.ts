import type { AudioCodec, DecodedChunk, Decoder } from './codec.js';
import { FORMATS } from './formats.js';

/** The raw PCM encodings: little-endian, mono. */
export type PcmFormat = 'pcm16' | 'f32';

/** Bytes per sample of each PCM format. */
export const BYTES_PER_SAMPLE: Readonly<Record<PcmFormat, number>> = { pcm16: FORMATS.pcm16.bytesPerSample, f32: FORMATS.f32.bytesPerSample };

const isLittleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Turns a stream of PCM bytes of any chunking into Float32 samples.
 *
 * A network chunk may end in the middle of a sample (an odd byte count for pcm16); the
 * split bytes are carried into the next chunk, so the decoded stream is the same whatever
 * the chunk boundaries. One decoder per utterance: carried bytes never leak across streams.
 *
 * Main thread only; allocates the output array of each call.
 */
export class PcmDecoder implements Decoder {
  readonly format: PcmFormat;
  private readonly width: number;
  private readonly carry = new Uint8Array(4);
  private carried = 0;

  constructor(format: PcmFormat) {
    if (format !== 'pcm16' && format !== 'f32') {
      throw new TypeError(`voxplay: unknown PCM format ${JSON.stringify(format)} (expected "pcm16" or "f32")`);
    }
    this.format = format;
    this.width = BYTES_PER_SAMPLE[format];
  }

  /** Bytes held back from the last chunk because they do not yet form a whole sample. */
  get pendingBytes(): number {
    return this.carried;
  }

  /** Decodes `bytes`, prepending bytes carried from the previous call. */
  decode(bytes: Uint8Array): DecodedChunk {
    const width = this.width;
    const total = this.carried + bytes.length;
    const count = Math.floor(total / width);
    const samples = new Float32Array(count);
    let nonFinite = 0;
    if (count > 0 && this.carried === 0 && bytes.byteOffset % width === 0) {
      // Common case: nothing carried and the bytes are aligned, so view them in place.
      nonFinite = this.convert(bytes.subarray(0, count * width), samples);
      this.carried = bytes.length - count * width;
      this.carry.set(bytes.subarray(count * width), 0);
    } else if (count > 0) {
      // Assemble a contiguous, aligned byte block so a typed-array view can do the work.
      const block = new Uint8Array(count * width);
      block.set(this.carry.subarray(0, this.carried), 0);
      block.set(bytes.subarray(0, count * width - this.carried), this.carried);
      nonFinite = this.convert(block, samples);
      const used = count * width - this.carried;
      this.carried = bytes.length - used;
      this.carry.set(bytes.subarray(used), 0);
    } else {
      this.carry.set(bytes, this.carried);
      this.carried = total;
    }
    return { samples, nonFinite };
  }

  /** Drops carried bytes (an utterance ended or was interrupted mid-sample). Returns how many. */
  reset(): number {
    const dropped = this.carried;
    this.carried = 0;
    return dropped;
  }

  private convert(block: Uint8Array, out: Float32Array): number {
    if (this.format === 'pcm16') {
      if (isLittleEndianHost) {
        const ints = new Int16Array(block.buffer, block.byteOffset, out.length);
        for (let i = 0; i < out.length; i++) out[i] = ints[i] / 32768;
      } else {
        const view = new DataView(block.buffer, block.byteOffset);
        for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true) / 32768;
      }
      return 0;
    }
    if (isLittleEndianHost) out.set(new Float32Array(block.buffer, block.byteOffset, out.length));
    else {
      const view = new DataView(block.buffer, block.byteOffset);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    }
    return sanitize(out);
  }
}

/**
 * Replaces NaN and ±Infinity with 0 in place and clamps to [-1, 1], because one bad
 * sample would otherwise poison the resampler's history for its whole kernel length.
 * Returns how many samples were not finite.
 */
export function sanitize(samples: Float32Array): number {
  let bad = 0;
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    if (x !== x || x === Infinity || x === -Infinity) {
      samples[i] = 0;
      bad++;
    } else if (x > 1) samples[i] = 1;
    else if (x < -1) samples[i] = -1;
  }
  return bad;
}

/** Signed 16-bit PCM. */
export const pcm16: AudioCodec = {
  name: 'pcm16',
  wireCode: FORMATS.pcm16.wireCode,
  bytesPerSample: FORMATS.pcm16.bytesPerSample,
  createDecoder: () => new PcmDecoder('pcm16'),
};

/** Float32 PCM (NaN and ±Infinity become silence, values clamp to ±1). */
export const f32: AudioCodec = {
  name: 'f32',
  wireCode: FORMATS.f32.wireCode,
  bytesPerSample: FORMATS.f32.bytesPerSample,
  createDecoder: () => new PcmDecoder('f32'),
};
