/**
 * Binary audio frame: a fixed 20-byte little-endian header followed by raw
 * audio bytes. See docs/protocol.md for the wire spec.
 *
 * Invariants:
 * - `decodeFrame` never throws, never reads outside the input, and allocates
 *   only constant-size objects: the payload is a view into the input.
 * - Every header byte is validated, so an accepted frame is canonical:
 *   `encodeFrame(decoded.header, decoded.payload)` reproduces the input bytes.
 * - `encodeFrame` only produces frames that `decodeFrame` accepts; anything
 *   else is a RangeError naming the field.
 *
 * @packageDocumentation
 */

import { FORMAT_NAMES, FORMATS, formatOfWireCode, isAudioFormat, type AudioFormat } from '../codecs/formats.js';

/** Size of the fixed frame header in bytes; the payload starts at this offset. */
export const HEADER_BYTES = 20;

/** The only header layout this module reads and writes (byte 2 of the header). */
export const PROTOCOL_VERSION = 1;

/**
 * Largest accepted frame, header included (4 MiB). Caps what a peer can make
 * a receiver hold per message; at 48 kHz f32 mono that is ~21 s of audio.
 */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Lowest sample rate a frame (or `start` control message) may declare, in Hz. */
export const MIN_SAMPLE_RATE = 8000;

/** Highest sample rate a frame (or `start` control message) may declare, in Hz. */
export const MAX_SAMPLE_RATE = 48000;

/** Flag bit: this frame is the first of its utterance. */
export const FLAG_START = 1;

/** Flag bit: this frame is the last of its utterance (it may carry no payload). */
export const FLAG_END = 2;

/**
 * Audio format of a frame's payload, by name: the frame header's codec byte is its wire
 * code in the one format table (`src/codecs/formats.ts`).
 */
export type Codec = AudioFormat;

/** Decoded header fields of a frame. */
export interface FrameHeader {
  /** Header layout version; always {@link PROTOCOL_VERSION} for a decoded frame. */
  version: number;
  /** Sample encoding of the payload. */
  codec: Codec;
  /** Samples per second, an integer in {@link MIN_SAMPLE_RATE}..{@link MAX_SAMPLE_RATE}. */
  sampleRate: number;
  /** Utterance this frame belongs to, a u32. In JSON control messages it is `String(utteranceId)`. */
  utteranceId: number;
  /** Per-utterance sequence number, a u32: 0 for the first frame, +1 per frame. */
  seq: number;
  /** {@link FLAG_START} was set. */
  start: boolean;
  /** {@link FLAG_END} was set. */
  end: boolean;
}

/** A decoded frame. */
export interface Frame {
  /** Validated header fields. */
  header: FrameHeader;
  /**
   * The audio bytes: a view into the decoded input (no copy), so it is only
   * valid as long as the input is. Its length need not be a whole number of
   * samples, and its byte offset need not be sample-aligned: read it with a
   * DataView or copy it before viewing it as Int16Array/Float32Array.
   */
  payload: Uint8Array;
}

/** Why {@link decodeFrame} rejected its input. */
export type FrameErrorCode =
  'too-short' | 'bad-magic' | 'unsupported-version' | 'unknown-codec' | 'bad-flags' | 'bad-reserved' | 'bad-sample-rate' | 'empty-payload' | 'oversized';

/** A rejected frame: a stable code to branch on and a message for humans. */
export interface FrameError {
  /** What kind of problem it was. */
  code: FrameErrorCode;
  /** Names the offending value(s), e.g. "frame sample rate 96000 Hz is outside 8000–48000". */
  message: string;
}

/** Result of {@link decodeFrame}: a frame, or the first problem found. */
export type DecodeFrameResult = { ok: true; frame: Frame } | { ok: false; error: FrameError };

const MAGIC_0 = 0x56; // 'V'
const MAGIC_1 = 0x58; // 'X'
const KNOWN_FLAGS = FLAG_START | FLAG_END;
const U32_MAX = 0xffff_ffff;

function fail(code: FrameErrorCode, message: string): DecodeFrameResult {
  return { ok: false, error: { code, message } };
}

function hex8(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}

function readU32(b: Uint8Array, at: number): number {
  // `>>> 0` because `<< 24` of a byte >= 0x80 would go negative.
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

// Brand-checked getters: they read the internal slot, so they work across
// realms (iframes, workers) and cannot be fooled by a look-alike object; on
// anything else they throw, which byteLengthOf turns into -1.
const arrayBufferLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;
const sharedBufferLength =
  typeof SharedArrayBuffer === 'function' ? Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength')!.get! : undefined;

/** Byte length of a buffer or view (0 if detached), or -1 for anything else (JS callers, wrong ws binaryType). */
function byteLengthOf(data: unknown): number {
  if (ArrayBuffer.isView(data)) return data.byteLength;
  try {
    return arrayBufferLength.call(data) as number;
  } catch {
    // Not an ArrayBuffer; maybe a SharedArrayBuffer.
  }
  if (sharedBufferLength !== undefined) {
    try {
      return sharedBufferLength.call(data) as number;
    } catch {
      // Not binary data at all.
    }
  }
  return -1;
}

/**
 * Decodes and validates one binary frame.
 *
 * Checks run in wire order (size, magic, version, then the v1 fields), and the
 * first failure is returned, so a frame from a future version reports
 * `'unsupported-version'` rather than whatever its new layout trips over.
 * Input that is not an ArrayBuffer or ArrayBufferView reports `'too-short'`.
 *
 * Never throws (detached buffers read as empty), never reads out of bounds,
 * and does not copy: `frame.payload` is a subarray of `data`.
 *
 * @param data - One whole WebSocket binary message.
 */
export function decodeFrame(data: ArrayBuffer | ArrayBufferView): DecodeFrameResult {
  // Length checks come before any view is built: a detached buffer has
  // byteLength 0 but constructing a view over it would throw.
  const length = byteLengthOf(data);
  if (length < 0) {
    return fail('too-short', `frame is not an ArrayBuffer or ArrayBufferView (got ${data === null ? 'null' : typeof data})`);
  }
  if (length > MAX_FRAME_BYTES) {
    return fail('oversized', `frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
  }
  if (length < HEADER_BYTES) {
    return fail('too-short', `frame of ${length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  }

  // Always a plain Uint8Array (not a Buffer or other subclass) so the payload
  // view behaves the same whatever the caller passed in.
  const b = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, length) : new Uint8Array(data as ArrayBufferLike, 0, length);

  if (b[0] !== MAGIC_0 || b[1] !== MAGIC_1) {
    return fail('bad-magic', `frame magic is ${hex8(b[0])} ${hex8(b[1])}, expected 0x56 0x58 ("VX")`);
  }
  const version = b[2];
  if (version !== PROTOCOL_VERSION) {
    return fail('unsupported-version', `frame version ${version} is not supported (expected ${PROTOCOL_VERSION})`);
  }
  const codecByte = b[3];
  const codec = formatOfWireCode(codecByte);
  if (codec === undefined) {
    const known = FORMAT_NAMES.map((name) => `${FORMATS[name].wireCode} = ${name}`).join(' or ');
    return fail('unknown-codec', `frame codec ${codecByte} is unknown (expected ${known})`);
  }

  const flags = b[4];
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    return fail('bad-flags', `frame flags ${hex8(flags)} set unknown bits ${hex8(flags & ~KNOWN_FLAGS)} (only 0x01 start and 0x02 end are defined)`);
  }
  if (b[5] !== 0 || b[6] !== 0 || b[7] !== 0) {
    return fail('bad-reserved', `frame reserved bytes 5–7 are ${hex8(b[5])} ${hex8(b[6])} ${hex8(b[7])}, expected all 0`);
  }
  const sampleRate = readU32(b, 8);
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    return fail('bad-sample-rate', `frame sample rate ${sampleRate} Hz is outside ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE}`);
  }
  const utteranceId = readU32(b, 12);
  const seq = readU32(b, 16);
  const start = (flags & FLAG_START) !== 0;
  const end = (flags & FLAG_END) !== 0;
  if (length === HEADER_BYTES && !end) {
    return fail('empty-payload', `frame ${seq} of utterance ${utteranceId} has no payload but is not an end frame`);
  }

  return {
    ok: true,
    frame: {
      header: { version, codec, sampleRate, utteranceId, seq, start, end },
      payload: b.subarray(HEADER_BYTES, length),
    },
  };
}

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= U32_MAX;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v) : String(v);
}

/**
 * Builds one frame: header plus a copy of the payload bytes, in a fresh
 * buffer of exactly `HEADER_BYTES + payload.byteLength` bytes.
 *
 * Payload bytes are copied verbatim: for a typed array that means platform
 * byte order, which is little-endian on every platform browsers and Node ship
 * on. `version` is optional so a decoded header can be passed back in; if
 * given it must equal {@link PROTOCOL_VERSION}, since this is the only layout
 * written.
 *
 * @throws RangeError naming the field, for anything {@link decodeFrame} would
 *   reject: version, codec, sampleRate, utteranceId/seq not a u32, start/end
 *   not boolean, empty payload without `end`, or a frame over
 *   {@link MAX_FRAME_BYTES}.
 */
export function encodeFrame(header: Omit<FrameHeader, 'version'> & { version?: number }, payload: ArrayBufferView | ArrayBuffer): Uint8Array {
  const { version = PROTOCOL_VERSION, codec, sampleRate, utteranceId, seq, start, end } = header;
  if (version !== PROTOCOL_VERSION) {
    throw new RangeError(`encodeFrame: version ${show(version)} is not supported (only ${PROTOCOL_VERSION})`);
  }
  if (!isAudioFormat(codec)) {
    throw new RangeError(`encodeFrame: codec ${show(codec)} is not ${FORMAT_NAMES.map((n) => `'${n}'`).join(' or ')}`);
  }
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new RangeError(`encodeFrame: sampleRate ${show(sampleRate)} is not an integer in ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE}`);
  }
  if (!isU32(utteranceId)) {
    throw new RangeError(`encodeFrame: utteranceId ${show(utteranceId)} is not a u32 (integer 0–${U32_MAX})`);
  }
  if (!isU32(seq)) throw new RangeError(`encodeFrame: seq ${show(seq)} is not a u32 (integer 0–${U32_MAX})`);
  if (typeof start !== 'boolean') throw new RangeError(`encodeFrame: start ${show(start)} is not a boolean`);
  if (typeof end !== 'boolean') throw new RangeError(`encodeFrame: end ${show(end)} is not a boolean`);

  const src = ArrayBuffer.isView(payload) ? new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) : new Uint8Array(payload);
  if (src.byteLength === 0 && !end) {
    throw new RangeError('encodeFrame: payload is empty but end is false (only an end frame may be empty)');
  }
  const total = HEADER_BYTES + src.byteLength;
  if (total > MAX_FRAME_BYTES) {
    throw new RangeError(`encodeFrame: payload of ${src.byteLength} bytes makes a ${total}-byte frame, over the ${MAX_FRAME_BYTES}-byte limit`);
  }

  const out = new Uint8Array(total);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = PROTOCOL_VERSION;
  out[3] = FORMATS[codec].wireCode;
  out[4] = (start ? FLAG_START : 0) | (end ? FLAG_END : 0);
  // Bytes 5–7 stay 0 (reserved).
  writeU32(out, 8, sampleRate);
  writeU32(out, 12, utteranceId);
  writeU32(out, 16, seq);
  out.set(src, HEADER_BYTES);
  return out;
}
