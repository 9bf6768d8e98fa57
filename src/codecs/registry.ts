import type { AudioCodec } from './codec.js';
import type { AudioFormat } from './formats.js';
import { f32, pcm16 } from './pcm.js';

/**
 * Every codec the player can decode, by format name. A new codec is one file in this
 * folder, one entry in `formats.ts` (its name and wire code) and one line here.
 */
export const CODECS: Readonly<Record<AudioFormat, AudioCodec>> = { pcm16, f32 };

/** The codec for `format` (which the caller has validated). */
export function codecFor(format: AudioFormat): AudioCodec {
  return CODECS[format];
}
