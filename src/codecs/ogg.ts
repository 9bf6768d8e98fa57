/**
 * Ogg pages → packets (RFC 3533), for a byte stream cut anywhere. Pure and incremental:
 * push() takes the next bytes and returns the packets they completed, each with the
 * granule position of the page it ended on (-1 when a later packet ends on that page) and
 * whether that page ended the stream. CRCs are not checked: the transport (TCP, TLS) has
 * already, and a corrupt page shows as a bad capture pattern or a codec error downstream.
 */

/** One packet of the stream. */
export interface OggPacket {
  data: Uint8Array;
  /** The page's granule position if this packet is the last one ending on it, else -1. */
  granule: number;
  /** The page carrying this packet's end is the stream's last (end-of-stream flag). */
  last: boolean;
}

import { concat } from './concat.js';
import { decodeError } from './decode-error.js';

const HEADER_BYTES = 27;
/** An Ogg page is at most 27 + 255 + 255 × 255 bytes. */
const MAX_PAGE_BYTES = HEADER_BYTES + 255 + 255 * 255;

export class OggDemuxer {
  private buffer = new Uint8Array(0);
  /** Pieces of a packet that continues onto the next page. */
  private partial: Uint8Array[] = [];

  /** Bytes held until they complete a page. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  /** Drops held bytes and any unfinished packet; returns how many bytes were dropped. */
  reset(): number {
    const dropped = this.buffer.length + this.partial.reduce((n, p) => n + p.length, 0);
    this.buffer = new Uint8Array(0);
    this.partial = [];
    return dropped;
  }

  /** Takes `bytes`; returns the packets completed. Throws on bytes that are not Ogg. */
  push(bytes: Uint8Array): OggPacket[] {
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer, 0);
    joined.set(bytes, this.buffer.length);
    const packets: OggPacket[] = [];
    let at = 0;
    while (joined.length - at >= HEADER_BYTES) {
      if (joined[at] !== 0x4f || joined[at + 1] !== 0x67 || joined[at + 2] !== 0x67 || joined[at + 3] !== 0x53) {
        const seen = String.fromCharCode(...joined.subarray(at, at + 4));
        this.buffer = new Uint8Array(0);
        throw decodeError('bad-frame', `not an Ogg stream: a page starts with ${JSON.stringify(seen)}, not "OggS"`);
      }
      const segments = joined[at + 26];
      if (joined.length - at < HEADER_BYTES + segments) break;
      const table = joined.subarray(at + HEADER_BYTES, at + HEADER_BYTES + segments);
      let bodyBytes = 0;
      for (let i = 0; i < segments; i++) bodyBytes += table[i];
      const pageBytes = HEADER_BYTES + segments + bodyBytes;
      if (joined.length - at < pageBytes) break;
      const view = new DataView(joined.buffer, joined.byteOffset + at, HEADER_BYTES);
      const flags = joined[at + 5];
      // Granules of speech fit easily in 2^53; the high word is read for correctness.
      const granule = view.getUint32(6, true) + view.getInt32(10, true) * 2 ** 32;
      const last = (flags & 0x04) !== 0;
      let body = at + HEADER_BYTES + segments;
      let start = body;
      const ended: Uint8Array[] = [];
      for (let i = 0; i < segments; i++) {
        body += table[i];
        if (table[i] < 255) {
          this.partial.push(joined.slice(start, body));
          ended.push(concat(this.partial, (n) => new Uint8Array(n)));
          this.partial = [];
          start = body;
        }
      }
      if (start < body) this.partial.push(joined.slice(start, body)); // continues on the next page
      ended.forEach((data, i) => packets.push({ data, granule: i === ended.length - 1 ? granule : -1, last: last && i === ended.length - 1 }));
      at += pageBytes;
    }
    this.buffer = joined.slice(at);
    if (this.buffer.length > MAX_PAGE_BYTES) {
      this.buffer = new Uint8Array(0);
      throw decodeError('bad-frame', 'Ogg page larger than the format allows');
    }
    return packets;
  }
}
