import type { DecodedChunk, DecodeError, Decoder } from './codec.js';
import { decodeError } from './decode-error.js';
import { Mp3FrameSplitter, type Mp3GaplessInfo, type Mp3Header } from './mp3-frames.js';
import { webCodecsDecodesMp3 } from './mp3-probe.js';
import { noSamples, type PacketStream } from './packet-stream.js';
import { WebCodecsStream } from './webcodecs-stream.js';

/**
 * The delay every Layer III decoder adds (528 samples of synthesis filterbank plus one),
 * which a gapless player removes from the start.
 */
export const MP3_DECODER_DELAY = 529;

/**
 * An MP3 byte stream cut anywhere (ElevenLabs' and OpenAI's default, Kokoro's), split into
 * frames here (mp3-frames.ts) and decoded by WebCodecs (webcodecs-stream.ts) where it works
 * (mp3-probe.ts), else by libmpg123 in WebAssembly (mp3-wasm.ts, its own chunk), at the
 * rate the frames name. Gapless: the decoder delay is always dropped from the start; a
 * LAME/Info tag's encoder delay is dropped too, and its frame count and padding trim the
 * end, so the output is exactly the encoder's input. A stream without a LAME tag (most live
 * streams: an encoder writing to a pipe cannot go back to write one) keeps the encoder's
 * delay (576 samples for LAME) at the start and its padding at the end. Stereo is averaged.
 */
export class Mp3Decoder implements Decoder {
  private readonly frames = new Mp3FrameSplitter();
  private stream: Promise<PacketStream> | null = null;
  private failed: DecodeError | null = null;
  private closed = false;

  get pendingBytes(): number {
    return this.frames.pendingBytes;
  }

  reset(): number {
    this.closed = true;
    void this.stream?.then(
      (s) => s.reset(),
      () => undefined,
    );
    return this.frames.reset();
  }

  decode(bytes: Uint8Array): DecodedChunk | Promise<DecodedChunk> {
    if (this.failed || this.closed) return noSamples();
    let frames;
    try {
      frames = this.frames.push(bytes);
    } catch (error) {
      throw (this.failed = error as DecodeError); // reported once; the rest of the stream is dropped
    }
    if (frames.length === 0) return noSamples();
    this.stream ??= openStream(frames[0], this.frames.format!, this.frames.gapless);
    // Chained on one promise, so decodes keep their order while the backend is chosen.
    return this.stream.then(
      (s) => (this.closed ? s.empty() : s.decode(frames)),
      (error: unknown) => {
        if (this.failed) return noSamples(); // no decoder for this stream: said once
        throw (this.failed = error as DecodeError);
      },
    );
  }
}

/** The decoder for a stream whose first frame is `first`, trimmed as its tag says. */
async function openStream(first: Uint8Array, format: Mp3Header, tag: Mp3GaplessInfo | null): Promise<PacketStream> {
  let stream: PacketStream;
  if (await webCodecsDecodesMp3(first, format)) {
    stream = new WebCodecsStream({ codec: 'mp3', label: 'MP3', sampleRate: format.sampleRate, channels: format.channels, packetSamples: format.samples });
  } else {
    const wasm = await import('./mp3-wasm.js').catch((error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      throw decodeError('unsupported-codec', `this browser's WebCodecs does not decode MP3, and the WASM MP3 decoder could not be loaded (${why})`);
    });
    stream = new wasm.Mp3Wasm(format.sampleRate);
  }
  stream.trim.toSkip = MP3_DECODER_DELAY + (tag?.encoderDelay ?? 0);
  if (tag?.frames != null) {
    // Without a LAME tag the padding is unknown: keep everything the frames hold after the skip.
    stream.trim.total = tag.frames * format.samples - (tag.encoderDelay ?? 0) - (tag.padding ?? MP3_DECODER_DELAY);
  }
  return stream;
}
