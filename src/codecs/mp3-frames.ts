/**
 * An MPEG audio (Layer III) byte stream → frames, for a stream cut anywhere. Pure and
 * incremental: push() takes the next bytes and returns the whole frames they completed.
 * Skips ID3v2 tags (at the start, or between frames where streams were concatenated) and
 * ID3v1 tags; reads the Xing/Info tag and its LAME extension (frame count, encoder delay
 * and padding) from the first frame, which carries no audio and is not returned.
 */
import { decodeError } from './decode-error.js';

/** What one frame header says. */
export interface Mp3Header {
  /** 1 for MPEG-1, 2 for MPEG-2, 2.5 for MPEG-2.5. */
  version: 1 | 2 | 2.5;
  sampleRate: number;
  channels: 1 | 2;
  /** Bytes of the whole frame, header included. */
  frameBytes: number;
  /** Samples per channel the frame decodes to (1152 for MPEG-1, 576 otherwise). */
  samples: number;
  /** Offset of the Xing/Info tag in a frame (after the header, CRC and side information). */
  tagOffset: number;
}

/** The encoder's gapless information from a Xing/Info tag (LAME extension when present). */
export interface Mp3GaplessInfo {
  /** Audio frames in the stream (the tag's own frame not counted), or null when absent. */
  frames: number | null;
  /** Samples the encoder added at the start (LAME tag), or null when there is no LAME tag. */
  encoderDelay: number | null;
  /** Samples the encoder added at the end (LAME tag), or null when there is no LAME tag. */
  padding: number | null;
}

const BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES_V1 = [44100, 48000, 32000];
const LAYER_NAMES = ['', 'Layer III', 'Layer II', 'Layer I'];

/** Whether the 4 bytes at `at` are a frame sync with sane fields (any layer). */
function looksLikeHeader(b: Uint8Array, at: number): boolean {
  return (
    b[at] === 0xff &&
    (b[at + 1] & 0xe0) === 0xe0 &&
    ((b[at + 1] >> 3) & 3) !== 1 &&
    ((b[at + 1] >> 1) & 3) !== 0 &&
    b[at + 2] >> 4 !== 15 &&
    ((b[at + 2] >> 2) & 3) !== 3
  );
}

/**
 * Parses the frame header at `at`, or returns null when the bytes there are not one.
 * Throws an `unsupported-codec` error for valid MPEG audio voxplay does not play (Layer I
 * and II, free-format bitrate).
 */
export function parseMp3Header(b: Uint8Array, at: number): Mp3Header | null {
  if (!looksLikeHeader(b, at)) return null;
  const versionBits = (b[at + 1] >> 3) & 3;
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (b[at + 1] >> 1) & 3;
  if (layer !== 1) throw decodeError('unsupported-codec', `MPEG audio ${LAYER_NAMES[layer]} is not supported (MP3 is Layer III)`);
  const bitrateIndex = b[at + 2] >> 4;
  if (bitrateIndex === 0) throw decodeError('unsupported-codec', 'free-format MP3 (no bitrate in the frame header) is not supported');
  const crc = (b[at + 1] & 1) === 0 ? 2 : 0;
  const kbps = (version === 1 ? BITRATES_V1 : BITRATES_V2)[bitrateIndex];
  const sampleRate = RATES_V1[(b[at + 2] >> 2) & 3] / (version === 1 ? 1 : version === 2 ? 2 : 4);
  const padding = (b[at + 2] >> 1) & 1;
  const channels = b[at + 3] >> 6 === 3 ? 1 : 2;
  const samples = version === 1 ? 1152 : 576;
  const frameBytes = Math.floor(((samples / 8) * kbps * 1000) / sampleRate) + padding;
  const sideInfo = version === 1 ? (channels === 1 ? 17 : 32) : channels === 1 ? 9 : 17;
  return { version, sampleRate, channels, frameBytes, samples, tagOffset: 4 + crc + sideInfo };
}

/** The gapless information in `frame` if it is a Xing/Info tag frame, else null. */
export function readXingTag(frame: Uint8Array, header: Mp3Header): Mp3GaplessInfo | null {
  let at = header.tagOffset;
  const id = String.fromCharCode(...frame.subarray(at, at + 4));
  if (id !== 'Xing' && id !== 'Info') return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const flags = view.getUint32(at + 4);
  at += 8;
  let frames: number | null = null;
  if (flags & 1) {
    frames = view.getUint32(at);
    at += 4;
  }
  if (flags & 2) at += 4; // byte count
  if (flags & 4) at += 100; // seek table
  if (flags & 8) at += 4; // quality
  // LAME extension: a 9-byte encoder name, then fields; delay and padding are 12 bits each at +21.
  let encoderDelay: number | null = null;
  let padding: number | null = null;
  const encoder = String.fromCharCode(...frame.subarray(at, at + 4));
  if ((encoder === 'LAME' || encoder === 'Lavf' || encoder === 'Lavc') && at + 24 <= frame.length) {
    encoderDelay = (frame[at + 21] << 4) | (frame[at + 22] >> 4);
    padding = ((frame[at + 22] & 0x0f) << 8) | frame[at + 23];
  }
  return { frames, encoderDelay, padding };
}

/** Bytes needed to decide what comes next at a frame boundary (an ID3v2 header is 10). */
const LOOKAHEAD = 10;
/** Bytes searched for the first frame after any ID3v2 tag before the stream is called not MP3. */
const MAX_LEADING_JUNK = 4096;

export class Mp3FrameSplitter {
  private buffer = new Uint8Array(0);
  /** Bytes of a tag still to skip (a tag may span many pushes). */
  private skipping = 0;
  /** Bytes consumed so far (for error messages). */
  private offset = 0;
  private first: Mp3Header | null = null;
  /** The first frame's gapless information, once it has been read (null when it has no tag). */
  gapless: Mp3GaplessInfo | null = null;
  /** The first frame's header, once seen: the stream's rate and channels. */
  get format(): Mp3Header | null {
    return this.first;
  }

  /** Bytes held until they complete a frame. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  /** Drops held bytes; returns how many were dropped. */
  reset(): number {
    const dropped = this.buffer.length;
    this.buffer = new Uint8Array(0);
    this.skipping = 0;
    return dropped;
  }

  /** Takes `bytes`; returns the audio frames completed. Throws on bytes that are not MP3. */
  push(bytes: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer, 0);
    joined.set(bytes, this.buffer.length);
    const frames: Uint8Array[] = [];
    let at = 0;
    try {
      for (;;) {
        if (this.skipping > 0) {
          const n = Math.min(this.skipping, joined.length - at);
          this.skipping -= n;
          at += n;
          if (this.skipping > 0) break;
        }
        if (joined.length - at < 4) break;
        const tag = this.tagAt(joined, at);
        if (tag === null) break; // need more bytes to tell
        if (tag > 0) {
          this.skipping = tag;
          continue;
        }
        let header = parseMp3Header(joined, at);
        if (!header && !this.first) {
          const found = this.findFirstFrame(joined, at);
          if (found === null) break;
          at = found;
          header = parseMp3Header(joined, at)!;
        }
        if (!header) {
          throw decodeError('bad-frame', `lost MP3 frame sync at byte ${this.offset + at}: ${hex(joined, at)} is not a frame header`);
        }
        if (this.first && (header.sampleRate !== this.first.sampleRate || header.version !== this.first.version)) {
          throw decodeError(
            'bad-frame',
            `MP3 frame at byte ${this.offset + at} changes the stream from ${this.first.sampleRate} Hz to ${header.sampleRate} Hz`,
          );
        }
        if (joined.length - at < header.frameBytes) break;
        const frame = joined.slice(at, at + header.frameBytes);
        at += header.frameBytes;
        if (!this.first) {
          this.first = header;
          this.gapless = readXingTag(frame, header);
          if (this.gapless) continue; // the tag frame decodes to silence: not audio
        }
        frames.push(frame);
      }
    } catch (error) {
      this.buffer = new Uint8Array(0);
      this.offset += joined.length;
      throw error;
    }
    this.offset += at;
    this.buffer = joined.slice(at);
    return frames;
  }

  /**
   * At a frame boundary: the length of a tag starting at `at` (ID3v2: header + size
   * (+ footer); ID3v1: 128), 0 when there is none, or null when more bytes are needed.
   */
  private tagAt(b: Uint8Array, at: number): number | null {
    if (b[at] === 0x49 && b[at + 1] === 0x44 && b[at + 2] === 0x33) {
      if (b.length - at < LOOKAHEAD) return null;
      // Versions 2.2–2.4, no undefined flag bits, a syncsafe size: else "ID3" is just bytes.
      const valid = b[at + 3] >= 2 && b[at + 3] <= 4 && (b[at + 5] & 0x0f) === 0 && (b[at + 6] | b[at + 7] | b[at + 8] | b[at + 9]) < 0x80;
      if (!valid) return 0;
      const size = ((b[at + 6] & 0x7f) << 21) | ((b[at + 7] & 0x7f) << 14) | ((b[at + 8] & 0x7f) << 7) | (b[at + 9] & 0x7f);
      return 10 + size + (b[at + 5] & 0x10 ? 10 : 0);
    }
    if (b[at] === 0x54 && b[at + 1] === 0x41 && b[at + 2] === 0x47) return 128;
    return 0;
  }

  /** Before the first frame: the next offset with two consecutive headers, or null to wait for bytes. */
  private findFirstFrame(b: Uint8Array, from: number): number | null {
    for (let at = from; at + 4 <= b.length; at++) {
      if (this.offset + at >= MAX_LEADING_JUNK) break;
      // Only Layer III with a bitrate: a stray sync in junk must not read as Layer I or II.
      if (!looksLikeHeader(b, at) || ((b[at + 1] >> 1) & 3) !== 1 || b[at + 2] >> 4 === 0) continue;
      const header = parseMp3Header(b, at)!;
      const next = at + header.frameBytes;
      if (next + 4 > b.length) return null;
      if (looksLikeHeader(b, next)) return at;
    }
    if (this.offset + b.length < MAX_LEADING_JUNK) return null;
    throw decodeError('bad-frame', `not an MP3 stream: no MPEG audio frame in its first ${MAX_LEADING_JUNK} bytes (it starts with ${hex(b, 0)})`);
  }
}

/** Four bytes at `at` as hex and as text, for error messages. */
function hex(b: Uint8Array, at: number): string {
  const four = b.subarray(at, at + 4);
  return `${Array.from(four, (x) => x.toString(16).padStart(2, '0')).join(' ')} (${JSON.stringify(String.fromCharCode(...four))})`;
}
