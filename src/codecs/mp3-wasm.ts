import { MPEGDecoder } from 'mpg123-decoder';
import type { DecodedChunk, DecodeError } from './codec.js';
import { decodeError } from './decode-error.js';
import { downmix, Trim, type PacketStream } from './packet-stream.js';

/**
 * MP3 frames → mono Float32 through libmpg123 compiled to WebAssembly (the
 * `mpg123-decoder` package), for browsers whose WebCodecs cannot decode MP3 (none before
 * Safari 26; WebKitGTK's fails every frame). Its own chunk, loaded only then. mpg123's own
 * gapless handling is off: it never sees the Info frame, and voxplay trims as for WebCodecs.
 * Decodes synchronously on the main thread (about 14 ms per second of audio, `npm run bench`).
 */
export class Mp3Wasm implements PacketStream {
  private readonly sampleRate: number;
  private decoder: MPEGDecoder | null;
  private readonly ready: Promise<void>;
  failed: DecodeError | null = null;
  readonly trim = new Trim();

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    this.decoder = new MPEGDecoder({ enableGapless: false });
    // A page whose Content-Security-Policy forbids compiling WebAssembly cannot use it.
    this.ready = this.decoder.ready.catch((error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      throw (this.failed = decodeError(
        'unsupported-codec',
        `the MP3 WASM decoder could not start (${why}); a Content-Security-Policy must allow 'wasm-unsafe-eval'`,
      ));
    });
  }

  empty(): DecodedChunk {
    return { samples: new Float32Array(0), nonFinite: 0, sampleRate: this.sampleRate };
  }

  decode(packets: readonly Uint8Array[]): Promise<DecodedChunk> {
    return this.ready.then(() => {
      if (this.failed || !this.decoder || packets.length === 0) return this.empty();
      const out = this.decoder.decodeFrames(packets as Uint8Array[]);
      if (out.errors.length > 0) {
        const first = out.errors[0];
        throw (this.failed = decodeError('bad-frame', `the MP3 decoder (mpg123) failed on frame ${first.frameNumber}: ${first.message}`));
      }
      return { samples: this.trim.keep(downmix(out.channelData, out.samplesDecoded)), nonFinite: 0, sampleRate: this.sampleRate };
    });
  }

  reset(): void {
    const decoder = this.decoder;
    this.decoder = null;
    if (decoder) void this.ready.then(() => decoder.free());
  }
}
