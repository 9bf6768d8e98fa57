import type { AudioCodec } from './codec.js';
import { FORMATS, type AudioFormat } from './formats.js';
import { lazyCodec } from './lazy.js';
import { f32, pcm16 } from './pcm.js';

/** A codec whose decoder module is fetched on first use (see lazy.ts). */
const lazy = (name: Exclude<AudioFormat, 'pcm16' | 'f32'>, load: Parameters<typeof lazyCodec>[3]) =>
  lazyCodec(name, FORMATS[name].wireCode, FORMATS[name].bytesPerSample, load);

/**
 * Every codec the player can decode, by format name. A new codec is one file in this
 * folder, one entry in `formats.ts` (its name and wire code) and one line here.
 */
export const CODECS: Readonly<Record<AudioFormat, AudioCodec>> = {
  pcm16,
  f32,
  mulaw: lazy('mulaw', () => import('./g711.js').then((m) => () => new m.G711Decoder('mulaw'))),
  alaw: lazy('alaw', () => import('./g711.js').then((m) => () => new m.G711Decoder('alaw'))),
  wav: lazy('wav', () => import('./wav.js').then((m) => () => new m.WavDecoder())),
  'ogg-opus': lazy('ogg-opus', () => import('./ogg-opus.js').then((m) => () => new m.OggOpusDecoder())),
  opus: lazy('opus', () => import('./opus.js').then((m) => () => new m.RawOpusDecoder())),
  mp3: lazy('mp3', () => import('./mp3.js').then((m) => () => new m.Mp3Decoder())),
};

/** The codec for `format` (which the caller has validated). */
export function codecFor(format: AudioFormat): AudioCodec {
  return CODECS[format];
}
