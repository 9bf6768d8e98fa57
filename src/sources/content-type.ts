import type { AudioFormat } from '../codecs/formats.js';

/** What a `Content-Type` says about a body's audio: its format, and its rate when the type names one. */
export interface ContentTypeAudio {
  format: AudioFormat;
  sampleRate?: number;
}

/**
 * Media types → formats. `audio/pcm` (OpenAI's and others' raw output) is 16-bit
 * little-endian; `audio/L16` (RFC 2586) is big-endian and so not listed.
 */
const TYPES: Readonly<Record<string, ContentTypeAudio>> = {
  'audio/mpeg': { format: 'mp3' },
  'audio/mp3': { format: 'mp3' },
  'audio/mpeg3': { format: 'mp3' },
  'audio/x-mpeg-3': { format: 'mp3' },
  'audio/ogg': { format: 'ogg-opus' },
  'audio/opus': { format: 'ogg-opus' },
  'application/ogg': { format: 'ogg-opus' },
  'audio/wav': { format: 'wav' },
  'audio/x-wav': { format: 'wav' },
  'audio/wave': { format: 'wav' },
  'audio/vnd.wave': { format: 'wav' },
  'audio/pcm': { format: 'pcm16' },
  'audio/x-pcm': { format: 'pcm16' },
  'audio/basic': { format: 'mulaw', sampleRate: 8000 },
  'audio/pcmu': { format: 'mulaw', sampleRate: 8000 },
  'audio/x-mulaw': { format: 'mulaw', sampleRate: 8000 },
  'audio/pcma': { format: 'alaw', sampleRate: 8000 },
  'audio/x-alaw': { format: 'alaw', sampleRate: 8000 },
};

/**
 * The audio a `Content-Type` header names, e.g. `audio/mpeg` → MP3, `audio/pcm;rate=24000` →
 * PCM16 at 24 kHz, `audio/ogg; codecs=opus` → Ogg Opus; null when the type is missing or not
 * one voxplay plays (the caller says which). Parameters `rate` and `samplerate` set the rate;
 * an Ogg stream whose `codecs` parameter names anything but Opus is not playable.
 */
export function audioOfContentType(header: string | null | undefined): ContentTypeAudio | null {
  if (!header) return null;
  const [type, ...params] = header.split(';').map((part) => part.trim());
  const known = TYPES[type.toLowerCase()];
  if (!known) return null;
  const result: ContentTypeAudio = { ...known };
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const key = param.slice(0, eq).trim().toLowerCase();
    const value = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (key === 'rate' || key === 'samplerate') {
      const rate = Number(value);
      if (Number.isInteger(rate) && rate > 0) result.sampleRate = rate;
    }
    if (key === 'codecs' && result.format === 'ogg-opus' && value !== 'opus') return null;
  }
  return result;
}
