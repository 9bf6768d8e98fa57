import type { DecodedChunk, DecodeError } from './codec.js';
import { decodeError } from './decode-error.js';
import { concat } from './concat.js';

/**
 * Opus packets → mono Float32 at 48 kHz through the browser's WebCodecs AudioDecoder, on
 * the main thread (it does not exist in the AudioWorklet scope). Shared by the Ogg Opus and
 * raw Opus decoders. The decoder is given no `description`, so it applies no pre-skip of
 * its own (engines differ there): callers set `toSkip` and `total` to trim.
 */

/** Opus always decodes at 48 kHz. */
export const OPUS_RATE = 48000;

interface Batch {
  remaining: number;
  parts: Float32Array[];
  resolve(chunk: DecodedChunk): void;
  reject(error: unknown): void;
}

const EMPTY = (): DecodedChunk => ({ samples: new Float32Array(0), nonFinite: 0, sampleRate: OPUS_RATE });

export class OpusWebCodecs {
  private readonly channels: number;
  private decoder: AudioDecoder | null = null;
  private ready: Promise<void> | null = null;
  private timestampUs = 0;
  private readonly batches: Batch[] = [];
  /** Set once decoding failed; later packets are dropped. */
  failed: DecodeError | null = null;
  /** Samples still to drop from the start (pre-skip). */
  toSkip = 0;
  /** Samples the stream holds, once known (end trim); Infinity until then. */
  total = Infinity;
  private delivered = 0;

  constructor(channels: number) {
    this.channels = channels;
  }

  /** Decodes `packets` in order; resolves with their samples once all are out. */
  decode(packets: readonly Uint8Array[]): Promise<DecodedChunk> | DecodedChunk {
    if (this.failed || packets.length === 0) return EMPTY();
    return this.start().then(
      () =>
        new Promise<DecodedChunk>((resolve, reject) => {
          this.batches.push({ remaining: packets.length, parts: [], resolve, reject });
          for (const data of packets) {
            this.decoder!.decode(new EncodedAudioChunk({ type: 'key', timestamp: this.timestampUs, data }));
            this.timestampUs += 20_000; // nominal: the decoder keeps submission order
          }
        }),
    );
  }

  /** Drops the decoder and what it still holds (an utterance ended or was cut). */
  reset(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.ready = null;
    for (const b of this.batches.splice(0)) b.resolve(EMPTY());
  }

  /** Records `error` as the failure and returns it (to throw). */
  fail(error: DecodeError): DecodeError {
    this.failed = error;
    return error;
  }

  private start(): Promise<void> {
    this.ready ??= (async () => {
      const config: AudioDecoderConfig = { codec: 'opus', sampleRate: OPUS_RATE, numberOfChannels: this.channels };
      if (typeof AudioDecoder === 'undefined') {
        throw this.fail(decodeError('unsupported-codec', 'this browser has no WebCodecs AudioDecoder, which voxplay uses to decode Opus'));
      }
      const support = await AudioDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
      if (!support.supported) {
        throw this.fail(
          decodeError(
            'unsupported-codec',
            `this browser's AudioDecoder does not decode Opus (isConfigSupported answered ${JSON.stringify(support.supported)})`,
          ),
        );
      }
      const decoder = new AudioDecoder({ output: (data) => this.onOutput(data), error: (e) => this.onError(e) });
      decoder.configure(config);
      this.decoder = decoder;
    })();
    return this.ready;
  }

  private onOutput(data: AudioData): void {
    const frames = data.numberOfFrames;
    const channels = data.numberOfChannels;
    const mono = new Float32Array(frames);
    const plane = channels > 1 ? new Float32Array(frames) : mono;
    for (let c = 0; c < channels; c++) {
      data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
      if (channels > 1) for (let i = 0; i < frames; i++) mono[i] += plane[i] / channels;
    }
    data.close();
    const skip = Math.min(this.toSkip, frames);
    this.toSkip -= skip;
    const keep = Math.max(0, Math.min(frames - skip, this.total - this.delivered));
    this.delivered += keep;
    const batch = this.batches[0];
    if (!batch) return;
    batch.parts.push(mono.subarray(skip, skip + keep));
    if (--batch.remaining === 0) {
      this.batches.shift();
      batch.resolve({ samples: concat(batch.parts, (n) => new Float32Array(n)), nonFinite: 0, sampleRate: OPUS_RATE });
    }
  }

  private onError(error: DOMException): void {
    const failure = this.fail(decodeError('bad-frame', `the Opus decoder failed: ${error.message}`));
    for (const b of this.batches.splice(0)) b.reject(failure);
  }
}
