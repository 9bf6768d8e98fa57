import type { DecodeError, DecodeErrorCode } from './decode-error.js';
import type { DecodedChunk, Decoder } from './codec.js';
import { concat } from './concat.js';
import { OggDemuxer } from './ogg.js';

/**
 * An Ogg Opus byte stream cut anywhere (OpenAI's, Kokoro's, Google's and Azure's `opus`),
 * decoded by the browser's WebCodecs AudioDecoder on the main thread (it does not exist in
 * the AudioWorklet scope). Gapless: the OpusHead pre-skip is dropped from the start and the
 * last page's granule position trims the end, as RFC 7845 says, so the output is exactly
 * the encoder's input length at 48 kHz. Channels are averaged to mono.
 *
 * The decoder is given no `description`, so it applies no pre-skip of its own (engines
 * differ there); the trimming is done here. Channel mapping family 0 (mono, stereo) only.
 */

/** Opus always decodes at 48 kHz. */
const OPUS_RATE = 48000;

/** A decode error (see decode-error.ts), made here: this module is a lazily loaded chunk. */
function decodeError(code: DecodeErrorCode, message: string): DecodeError {
  return Object.assign(new Error(message), { code });
}

interface Batch {
  remaining: number;
  parts: Float32Array[];
  resolve(chunk: DecodedChunk): void;
  reject(error: unknown): void;
}

export class OggOpusDecoder implements Decoder {
  private readonly demux = new OggDemuxer();
  private channels = 0;
  private preSkip = 0;
  private packetsSeen = 0;
  private decoder: AudioDecoder | null = null;
  private ready: Promise<void> | null = null;
  private timestampUs = 0;
  /** Decoded samples (per channel, 48 kHz) still to drop from the start. */
  private toSkip = 0;
  /** Samples delivered so far, and how many the stream holds once its last granule is known. */
  private delivered = 0;
  private total = Infinity;
  private readonly batches: Batch[] = [];
  private failed: Error | null = null;

  get pendingBytes(): number {
    return this.demux.pendingBytes;
  }

  reset(): number {
    const dropped = this.demux.reset();
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.ready = null;
    for (const b of this.batches.splice(0)) b.resolve({ samples: new Float32Array(0), nonFinite: 0, sampleRate: OPUS_RATE });
    return dropped;
  }

  decode(bytes: Uint8Array): DecodedChunk | Promise<DecodedChunk> {
    if (this.failed) return { samples: new Float32Array(0), nonFinite: 0 };
    const audio: { data: Uint8Array; granule: number; last: boolean }[] = [];
    let packets;
    try {
      packets = this.demux.push(bytes);
    } catch (error) {
      throw this.fail(error as DecodeError); // reported once; the rest of the stream is dropped
    }
    for (const packet of packets) {
      const index = this.packetsSeen++;
      if (index === 0) this.readHead(packet.data);
      else if (index === 1)
        continue; // OpusTags
      else audio.push(packet);
    }
    if (audio.length === 0) return { samples: new Float32Array(0), nonFinite: 0 };
    for (const p of audio) if (p.last && p.granule >= 0) this.total = p.granule - this.preSkip;
    return this.start().then(
      () =>
        new Promise<DecodedChunk>((resolve, reject) => {
          this.batches.push({ remaining: audio.length, parts: [], resolve, reject });
          for (const p of audio) {
            this.decoder!.decode(new EncodedAudioChunk({ type: 'key', timestamp: this.timestampUs, data: p.data }));
            this.timestampUs += 20_000; // nominal: the decoder orders by submission, not by time
          }
        }),
    );
  }

  private readHead(head: Uint8Array): void {
    const magic = String.fromCharCode(...head.subarray(0, 8));
    if (magic !== 'OpusHead' || head.length < 19) {
      throw this.fail(decodeError('bad-frame', `not an Ogg Opus stream: its first packet starts with ${JSON.stringify(magic)}, not "OpusHead"`));
    }
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    this.channels = head[9];
    this.preSkip = view.getUint16(10, true);
    this.toSkip = this.preSkip;
    const family = head[18];
    if (family !== 0 || this.channels < 1 || this.channels > 2) {
      throw this.fail(
        decodeError(
          'unsupported-codec',
          `Ogg Opus with ${this.channels} channels and channel mapping family ${family} is not supported (mono or stereo, family 0)`,
        ),
      );
    }
  }

  private start(): Promise<void> {
    this.ready ??= (async () => {
      const config: AudioDecoderConfig = { codec: 'opus', sampleRate: OPUS_RATE, numberOfChannels: this.channels };
      if (typeof AudioDecoder === 'undefined') {
        throw this.fail(decodeError('unsupported-codec', 'this browser has no WebCodecs AudioDecoder, which voxplay uses to decode Opus'));
      }
      const support = await AudioDecoder.isConfigSupported(config).catch((e: unknown) => ({ supported: false, error: e }));
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
    // Pre-skip from the start, the granule's end trim at the end.
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

  private fail(error: DecodeError): DecodeError {
    this.failed = error;
    return error;
  }
}
