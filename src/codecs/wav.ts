import type { DecodedChunk, Decoder } from './codec.js';
import { decodeError } from './decode-error.js';
import { concat } from './concat.js';
import { g711Table } from './g711.js';

/**
 * A RIFF/WAVE byte stream cut anywhere, as simple HTTP TTS servers stream it: the header,
 * then PCM. Reads the `fmt ` chunk, skips chunks it does not need (`LIST`, `fact`, …) and
 * decodes `data`. A `data` length of 0 or 0xFFFFFFFF (a stream whose length was unknown
 * when the header went out) means "until the end".
 *
 * Sample formats: integer PCM of 8 (unsigned), 16, 24 or 32 bits, float32, μ-law, A-law,
 * also inside WAVE_FORMAT_EXTENSIBLE. Several channels are averaged to mono (voxplay plays
 * mono). Anything else is an `unsupported-codec` error naming what the header said.
 */

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;
/** The `fmt ` fields read, plus the extensible subformat's first two bytes. */
const FMT_BYTES_NEEDED = 16;
const MAX_FMT_BYTES = 64;

interface WavFormat {
  format: number;
  channels: number;
  sampleRate: number;
  bits: number;
  /** Bytes per frame (all channels). */
  frameBytes: number;
}

type Phase = 'riff' | 'chunk' | 'fmt' | 'skip' | 'data' | 'done' | 'failed';

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

export class WavDecoder implements Decoder {
  private phase: Phase = 'riff';
  /** Header bytes being gathered (RIFF header, chunk header, fmt body). */
  private readonly head = new Uint8Array(MAX_FMT_BYTES + 1);
  private headLength = 0;
  private need = 12;
  private skipLeft = 0;
  /** Data bytes left, or Infinity for "until the end". */
  private dataLeft = 0;
  private fmt: WavFormat | null = null;
  /** Bytes of a frame split across chunks. */
  private readonly carry = new Uint8Array(64);
  private carried = 0;

  get pendingBytes(): number {
    return this.phase === 'data' ? this.carried : this.headLength;
  }

  reset(): number {
    const dropped = this.carried;
    this.carried = 0;
    return dropped;
  }

  decode(bytes: Uint8Array): DecodedChunk {
    const parts: Float32Array[] = [];
    let at = 0;
    while (at < bytes.length) {
      switch (this.phase) {
        case 'riff':
        case 'chunk':
        case 'fmt': {
          const take = Math.min(this.need - this.headLength, bytes.length - at);
          this.head.set(bytes.subarray(at, at + take), this.headLength);
          this.headLength += take;
          at += take;
          if (this.headLength === this.need) {
            try {
              this.onHeader();
            } catch (error) {
              // Reported once: what follows cannot be read either, so it is dropped quietly.
              this.phase = 'failed';
              throw error;
            }
          }
          break;
        }
        case 'skip': {
          const take = Math.min(this.skipLeft, bytes.length - at);
          this.skipLeft -= take;
          at += take;
          if (this.skipLeft === 0) this.expectChunk();
          break;
        }
        case 'data': {
          const take = Math.min(this.dataLeft, bytes.length - at);
          parts.push(this.samples(bytes.subarray(at, at + take)));
          at += take;
          this.dataLeft -= take;
          if (this.dataLeft === 0) this.phase = 'done';
          break;
        }
        case 'done': // chunks after the audio (e.g. LIST) carry no sound
        case 'failed':
          at = bytes.length;
          break;
      }
    }
    const samples = concat(parts, (n) => new Float32Array(n));
    return this.fmt ? { samples, nonFinite: 0, sampleRate: this.fmt.sampleRate } : { samples, nonFinite: 0 };
  }

  private expectChunk(): void {
    this.phase = 'chunk';
    this.headLength = 0;
    this.need = 8;
  }

  private onHeader(): void {
    const h = this.head;
    const view = new DataView(h.buffer, h.byteOffset, this.headLength);
    if (this.phase === 'riff') {
      if (fourcc(h, 0) !== 'RIFF' || fourcc(h, 8) !== 'WAVE') {
        throw decodeError('bad-frame', `not a WAV stream: it starts with ${JSON.stringify(fourcc(h, 0))}…${JSON.stringify(fourcc(h, 8))}, not "RIFF"…"WAVE"`);
      }
      this.expectChunk();
      return;
    }
    if (this.phase === 'chunk') {
      const id = fourcc(h, 0);
      const size = view.getUint32(4, true);
      if (id === 'fmt ') {
        if (size < FMT_BYTES_NEEDED || size > MAX_FMT_BYTES)
          throw decodeError('bad-frame', `WAV "fmt " chunk of ${size} bytes (expected 16 to ${MAX_FMT_BYTES})`);
        this.phase = 'fmt';
        this.headLength = 0;
        this.need = size + (size & 1);
      } else if (id === 'data') {
        if (!this.fmt) throw decodeError('bad-frame', 'WAV "data" chunk before its "fmt " chunk');
        this.phase = 'data';
        this.dataLeft = size === 0 || size === 0xffffffff ? Infinity : size;
      } else {
        this.phase = 'skip';
        this.skipLeft = size + (size & 1);
        if (this.skipLeft === 0) this.expectChunk();
      }
      return;
    }
    this.fmt = parseFormat(view);
    this.expectChunk();
  }

  /** Samples of whole frames in `bytes` (after bytes carried from the last call). */
  private samples(bytes: Uint8Array): Float32Array {
    const { frameBytes } = this.fmt!;
    const total = this.carried + bytes.length;
    const frames = Math.floor(total / frameBytes);
    const out = new Float32Array(frames);
    if (frames === 0) {
      this.carry.set(bytes, this.carried);
      this.carried = total;
      return out;
    }
    const block = new Uint8Array(frames * frameBytes);
    block.set(this.carry.subarray(0, this.carried), 0);
    const used = frames * frameBytes - this.carried;
    block.set(bytes.subarray(0, used), this.carried);
    this.carried = bytes.length - used;
    this.carry.set(bytes.subarray(used), 0);
    convert(block, this.fmt!, out);
    return out;
  }
}

function parseFormat(view: DataView): WavFormat {
  let format = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRate = view.getUint32(4, true);
  const bits = view.getUint16(14, true);
  if (format === FORMAT_EXTENSIBLE && view.byteLength >= 26) format = view.getUint16(24, true);
  const supported =
    (format === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32)) ||
    (format === FORMAT_FLOAT && bits === 32) ||
    ((format === FORMAT_ALAW || format === FORMAT_MULAW) && bits === 8);
  if (!supported || channels < 1 || channels > 8 || sampleRate < 3000 || sampleRate > 384000) {
    throw decodeError(
      'unsupported-codec',
      `WAV with format tag ${format}, ${bits} bits, ${channels} channels at ${sampleRate} Hz is not supported (PCM 8/16/24/32-bit, float32, μ-law or A-law; 1–8 channels; 3000–384000 Hz)`,
    );
  }
  return { format, channels, sampleRate, bits, frameBytes: (bits / 8) * channels };
}

/** Reads one sample of `fmt` at byte `at` as a float. */
function sampleAt(view: DataView, at: number, fmt: WavFormat, table: Float32Array | null): number {
  if (table) return table[view.getUint8(at)];
  if (fmt.format === FORMAT_FLOAT) {
    const x = view.getFloat32(at, true);
    return x !== x || x === Infinity || x === -Infinity ? 0 : Math.max(-1, Math.min(1, x));
  }
  switch (fmt.bits) {
    case 8:
      return (view.getUint8(at) - 128) / 128;
    case 16:
      return view.getInt16(at, true) / 32768;
    case 24:
      return (view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608;
    default:
      return view.getInt32(at, true) / 2147483648;
  }
}

function convert(block: Uint8Array, fmt: WavFormat, out: Float32Array): void {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const table = fmt.format === FORMAT_MULAW ? g711Table('mulaw') : fmt.format === FORMAT_ALAW ? g711Table('alaw') : null;
  const width = fmt.bits / 8;
  const { channels } = fmt;
  for (let i = 0, at = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, at += width) sum += sampleAt(view, at, fmt, table);
    out[i] = channels === 1 ? sum : sum / channels;
  }
}
