import type { DecodedChunk, DecodeError } from './codec.js';
import { decodeError } from './decode-error.js';
import { concat } from './concat.js';
import { downmix, Trim, type PacketStream } from './packet-stream.js';

/**
 * Compressed packets (Opus packets, MP3 frames) → mono Float32 through the browser's
 * WebCodecs AudioDecoder, on the main thread (it does not exist in the AudioWorklet scope).
 * Shared by the Ogg Opus, raw Opus and MP3 decoders. The decoder is given no
 * `description`, so it applies no trimming of its own (engines differ there): callers set
 * `trim` to make the stream gapless.
 */

/** What to decode: the WebCodecs codec string and the stream's shape. */
export interface StreamConfig {
  /** The WebCodecs codec string, e.g. `'opus'` or `'mp3'`. */
  codec: string;
  /** The name used in error messages, e.g. `'Opus'`. */
  label: string;
  sampleRate: number;
  channels: number;
  /** Samples per packet (nominal; only used for timestamps, which the decoder keeps in order). */
  packetSamples: number;
}

/**
 * An AudioDecoder configured for `config`, or why there is none: `refused` is null without
 * WebCodecs, else what `isConfigSupported` answered. Shared by the streams and the MP3 probe.
 */
export async function openAudioDecoder(config: AudioDecoderConfig, init: AudioDecoderInit): Promise<{ decoder: AudioDecoder } | { refused: unknown }> {
  if (typeof AudioDecoder === 'undefined') return { refused: null };
  const support = await AudioDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
  if (!support.supported) return { refused: support.supported };
  const decoder = new AudioDecoder(init);
  decoder.configure(config);
  return { decoder };
}

interface Batch {
  remaining: number;
  parts: Float32Array[];
  resolve(chunk: DecodedChunk): void;
  reject(error: unknown): void;
}

export class WebCodecsStream implements PacketStream {
  private readonly config: StreamConfig;
  private decoder: AudioDecoder | null = null;
  private ready: Promise<void> | null = null;
  private packets = 0;
  private readonly batches: Batch[] = [];
  /** Set once decoding failed; later packets are dropped. */
  failed: DecodeError | null = null;
  readonly trim = new Trim();

  constructor(config: StreamConfig) {
    this.config = config;
  }

  /** No samples, at the stream's rate. */
  empty(): DecodedChunk {
    return { samples: new Float32Array(0), nonFinite: 0, sampleRate: this.config.sampleRate };
  }

  /** Decodes `packets` in order; resolves with their samples once all are out. */
  decode(packets: readonly Uint8Array[]): Promise<DecodedChunk> | DecodedChunk {
    if (this.failed || packets.length === 0) return this.empty();
    return this.start().then(
      () =>
        new Promise<DecodedChunk>((resolve, reject) => {
          if (this.failed || !this.decoder) return resolve(this.empty()); // failed or reset meanwhile
          this.batches.push({ remaining: packets.length, parts: [], resolve, reject });
          const { packetSamples, sampleRate } = this.config;
          for (const data of packets) {
            const timestamp = Math.round((this.packets++ * packetSamples * 1e6) / sampleRate);
            this.decoder!.decode(new EncodedAudioChunk({ type: 'key', timestamp, data }));
          }
        }),
    );
  }

  /** Drops the decoder and what it still holds (an utterance ended or was cut). */
  reset(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.ready = null;
    for (const b of this.batches.splice(0)) b.resolve(this.empty());
  }

  /** Records `error` as the failure and returns it (to throw). */
  fail(error: DecodeError): DecodeError {
    this.failed = error;
    return error;
  }

  private start(): Promise<void> {
    this.ready ??= (async () => {
      const { codec, label, sampleRate, channels } = this.config;
      // Said before the first await, so a second decode() in the same task already sees it.
      if (typeof AudioDecoder === 'undefined') {
        throw this.fail(decodeError('unsupported-codec', `this browser has no WebCodecs AudioDecoder, which voxplay uses to decode ${label}`));
      }
      const opened = await openAudioDecoder(
        { codec, sampleRate, numberOfChannels: channels },
        { output: (data) => this.onOutput(data), error: (e) => this.onError(e) },
      );
      if ('refused' in opened) {
        throw this.fail(
          decodeError(
            'unsupported-codec',
            `this browser's AudioDecoder does not decode ${label} at ${sampleRate} Hz, ${channels} channel(s) (isConfigSupported answered ${JSON.stringify(opened.refused)})`,
          ),
        );
      }
      this.decoder = opened.decoder;
    })();
    return this.ready;
  }

  private onOutput(data: AudioData): void {
    const frames = data.numberOfFrames;
    const planes: Float32Array[] = [];
    for (let c = 0; c < data.numberOfChannels; c++) {
      const plane = new Float32Array(frames);
      data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
      planes.push(plane);
    }
    data.close();
    // The planes are fresh copies: a mono one is used as it is.
    const mono = planes.length === 1 ? planes[0] : downmix(planes, frames);
    const kept = this.trim.keep(mono);
    const batch = this.batches[0];
    if (!batch) return;
    batch.parts.push(kept);
    if (--batch.remaining === 0) {
      this.batches.shift();
      batch.resolve({ samples: concat(batch.parts, (n) => new Float32Array(n)), nonFinite: 0, sampleRate: this.config.sampleRate });
    }
  }

  private onError(error: DOMException): void {
    const failure = this.fail(decodeError('bad-frame', `the ${this.config.label} decoder failed: ${error.message}`));
    // Reported once, by the oldest batch; the rest of the stream is dropped with it.
    const [first, ...rest] = this.batches.splice(0);
    first?.reject(failure);
    for (const b of rest) b.resolve(this.empty());
  }
}
