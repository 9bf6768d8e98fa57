import type { AudioCodec, DecodedChunk, DecodeError, Decoder } from './codec.js';
import type { AudioFormat } from './formats.js';

/** What a lazily loaded codec module provides: a decoder factory. */
export type DecoderFactory = (sampleRate: number) => Decoder;

/**
 * A codec whose decoder lives in its own module, fetched on first use: an app that plays
 * PCM ships none of its bytes (the library build puts each such module in its own chunk).
 * Until the module is in, decode() returns a promise; the player keeps one utterance's
 * decodes in order either way.
 */
export function lazyCodec(name: AudioFormat, wireCode: number, bytesPerSample: number | null, load: () => Promise<DecoderFactory>): AudioCodec {
  let factory: DecoderFactory | null = null;
  let loading: Promise<DecoderFactory> | null = null;
  const ready = (): Promise<DecoderFactory> =>
    (loading ??= load().then(
      (f) => (factory = f),
      (error: unknown) => {
        loading = null; // a failed fetch may be retried by the next utterance
        const why = error instanceof Error ? error.message : String(error);
        // Built here, not with decode-error.ts: that module travels with the decoder chunks.
        const failure: DecodeError = Object.assign(new Error(`the ${name} decoder could not be loaded (${why}); it is a chunk next to voxplay.js`), {
          code: 'unsupported-codec' as const,
        });
        throw failure;
      },
    ));
  return {
    name,
    wireCode,
    bytesPerSample,
    createDecoder(sampleRate: number): Decoder {
      let inner: Decoder | null = factory ? factory(sampleRate) : null;
      return {
        decode(bytes: Uint8Array): DecodedChunk | Promise<DecodedChunk> {
          if (inner) return inner.decode(bytes);
          return ready().then((f) => (inner ??= f(sampleRate)).decode(bytes));
        },
        get pendingBytes() {
          return inner?.pendingBytes ?? 0;
        },
        reset: () => inner?.reset() ?? 0,
      };
    },
  };
}
