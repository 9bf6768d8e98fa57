import type { DecodedChunk, DecodeError, Decoder } from './codec.js';
import { decodeError } from './decode-error.js';
import { OggDemuxer } from './ogg.js';
import { opusConfig } from './opus-config.js';
import { noSamples } from './packet-stream.js';
import { WebCodecsStream } from './webcodecs-stream.js';

/**
 * An Ogg Opus byte stream cut anywhere (OpenAI's, Kokoro's, Google's and Azure's `opus`),
 * decoded by WebCodecs (webcodecs-stream.ts). Gapless: the OpusHead pre-skip is dropped from
 * the start and the last page's granule position trims the end, as RFC 7845 says, so the
 * output is exactly the encoder's input length at 48 kHz. Channel mapping family 0 (mono,
 * stereo; stereo averaged to mono).
 */
export class OggOpusDecoder implements Decoder {
  private readonly demux = new OggDemuxer();
  private packetsSeen = 0;
  private preSkip = 0;
  private opus: WebCodecsStream | null = null;
  private failed: DecodeError | null = null;

  get pendingBytes(): number {
    return this.demux.pendingBytes;
  }

  reset(): number {
    this.opus?.reset();
    return this.demux.reset();
  }

  decode(bytes: Uint8Array): DecodedChunk | Promise<DecodedChunk> {
    if (this.failed || this.opus?.failed) return noSamples();
    let packets;
    try {
      packets = this.demux.push(bytes);
    } catch (error) {
      throw (this.failed = error as DecodeError); // reported once; the rest of the stream is dropped
    }
    const audio: Uint8Array[] = [];
    for (const packet of packets) {
      const index = this.packetsSeen++;
      if (index === 0) this.opus = this.readHead(packet.data);
      else if (index > 1) audio.push(packet.data); // index 1 is OpusTags
      if (index > 1 && packet.last && packet.granule >= 0) this.opus!.trim.total = packet.granule - this.preSkip;
    }
    return this.opus ? this.opus.decode(audio) : noSamples();
  }

  private readHead(head: Uint8Array): WebCodecsStream {
    const magic = String.fromCharCode(...head.subarray(0, 8));
    if (magic !== 'OpusHead' || head.length < 19) {
      throw (this.failed = decodeError('bad-frame', `not an Ogg Opus stream: its first packet starts with ${JSON.stringify(magic)}, not "OpusHead"`));
    }
    const channels = head[9];
    const family = head[18];
    if (family !== 0 || channels < 1 || channels > 2) {
      throw (this.failed = decodeError(
        'unsupported-codec',
        `Ogg Opus with ${channels} channels and channel mapping family ${family} is not supported (mono or stereo, family 0)`,
      ));
    }
    this.preSkip = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint16(10, true);
    const opus = new WebCodecsStream(opusConfig(channels));
    opus.trim.toSkip = this.preSkip;
    return opus;
  }
}
