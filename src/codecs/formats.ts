/**
 * The audio formats voxplay knows by name, with their wire codes (the frame header's codec
 * byte, see docs/protocol.md) and sample widths. The one table the protocol, the options
 * and the codec registry read; pure, so the server side can use it without any decoder.
 */
export const FORMATS = {
  /** Signed 16-bit little-endian PCM, mono. */
  pcm16: { wireCode: 1, bytesPerSample: 2 },
  /** IEEE-754 float32 little-endian PCM, mono. */
  f32: { wireCode: 2, bytesPerSample: 4 },
  /** G.711 μ-law, one byte per sample (telephony; usually 8 kHz). */
  mulaw: { wireCode: 3, bytesPerSample: 1 },
  /** G.711 A-law, one byte per sample (telephony; usually 8 kHz). */
  alaw: { wireCode: 4, bytesPerSample: 1 },
  /** A RIFF/WAVE stream (header, then PCM); its header names the rate. */
  wav: { wireCode: 5, bytesPerSample: null },
  /** An Ogg Opus stream (RFC 7845), cut anywhere; decoded by WebCodecs at 48 kHz. */
  'ogg-opus': { wireCode: 6, bytesPerSample: null },
  /** Raw Opus packets, one per push or binary frame; decoded by WebCodecs at 48 kHz. */
  opus: { wireCode: 7, bytesPerSample: null },
  /** An MPEG audio (MP3, Layer III) stream, cut anywhere; decoded by WebCodecs at the rate its frames name. */
  mp3: { wireCode: 8, bytesPerSample: null },
} as const satisfies Record<string, { wireCode: number; bytesPerSample: number | null }>;

/** The name of an audio format: `'pcm16'`, `'f32'` (little-endian, mono), `'mulaw'`, `'alaw'` (G.711), `'wav'` (a RIFF/WAVE stream), `'ogg-opus'` (an Ogg Opus stream), `'opus'` (raw Opus packets, one per push or frame) or `'mp3'` (an MP3 stream). */
export type AudioFormat = keyof typeof FORMATS;

/** Every known format name, in wire-code order. */
export const FORMAT_NAMES: readonly AudioFormat[] = Object.keys(FORMATS) as AudioFormat[];

/** True when `value` names a known format. */
export function isAudioFormat(value: unknown): value is AudioFormat {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(FORMATS, value);
}

/** The format with wire code `code`, or undefined. */
export function formatOfWireCode(code: number): AudioFormat | undefined {
  return FORMAT_NAMES.find((name) => FORMATS[name].wireCode === code);
}

/** The formats as a readable list for error messages, e.g. `"pcm16" or "f32"`. */
export function describeFormats(): string {
  const quoted = FORMAT_NAMES.map((n) => JSON.stringify(n));
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}` : quoted[0];
}
