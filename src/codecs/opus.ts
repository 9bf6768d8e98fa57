import type { DecodedChunk, Decoder } from './codec.js';
import { opusConfig } from './opus-config.js';
import { noSamples } from './packet-stream.js';
import { WebCodecsStream } from './webcodecs-stream.js';

/**
 * Raw Opus packets, one per push or per binary frame (real-time stacks send them without a
 * container), decoded by WebCodecs (webcodecs-stream.ts) at 48 kHz. Without an OpusHead there
 * is no pre-skip or end trim to apply: the packets play as decoded, the encoder's lookahead
 * (usually 312 samples) included. The channel count comes from the first packet's TOC byte;
 * stereo is averaged to mono.
 */
export class RawOpusDecoder implements Decoder {
  private opus: WebCodecsStream | null = null;
  readonly pendingBytes = 0;

  reset(): number {
    this.opus?.reset();
    return 0;
  }

  decode(packet: Uint8Array): DecodedChunk | Promise<DecodedChunk> {
    if (packet.length === 0) return noSamples();
    // TOC byte, bit 2: the packet is stereo.
    this.opus ??= new WebCodecsStream(opusConfig(packet[0] & 0x04 ? 2 : 1));
    // The decoder keeps its own copy: a pushed chunk may be a view the caller reuses.
    return this.opus.decode([packet.slice()]);
  }
}
