import { spawnSync } from 'node:child_process';
import { float32ToPcm16 } from '../../src/protocol/pcm-encode';

/**
 * The compressed formats the mock server can send, made by Debian's encoders run once per
 * utterance on the synthesized voice: LAME for MP3 (writing to a pipe, so like a live TTS
 * stream it has no LAME tag) and opus-tools' opusenc for Ogg Opus. Neither is needed for
 * anything else; a server without them answers such a request with an error naming the
 * package. The encoded stream is then cut anywhere, as a TTS service's chunks are.
 */
export type CompressedFormat = 'mp3' | 'ogg-opus';

/** The Debian package that provides each encoder (for the error message). */
const PACKAGES: Record<CompressedFormat, string> = { mp3: 'lame', 'ogg-opus': 'opus-tools' };

/** Binaries may be elsewhere: $LAME_PATH, $OPUSENC_PATH. */
const binary = (format: CompressedFormat) => (format === 'mp3' ? (process.env.LAME_PATH ?? 'lame') : (process.env.OPUSENC_PATH ?? 'opusenc'));

/** The rate the decoded stream comes out at: MP3 keeps the input's, Opus is always 48 kHz. */
export function decodedRate(format: CompressedFormat, sampleRate: number): number {
  return format === 'ogg-opus' ? 48000 : sampleRate;
}

/** Encodes mono `samples` at `sampleRate`; throws an Error naming the missing package. */
export function encodeCompressed(format: CompressedFormat, samples: Float32Array, sampleRate: number): Uint8Array {
  const pcm = float32ToPcm16(samples);
  const args =
    format === 'mp3'
      ? [
          '--quiet',
          '-r',
          '-s',
          String(sampleRate / 1000),
          '--bitwidth',
          '16',
          '--signed',
          '--little-endian',
          '-m',
          'm',
          '-b',
          '64',
          '--resample',
          String(sampleRate / 1000),
          '-',
          '-',
        ]
      : ['--quiet', '--raw', '--raw-rate', String(sampleRate), '--raw-chan', '1', '--bitrate', '32', '-', '-'];
  const run = spawnSync(binary(format), args, { input: pcm, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) {
    throw new Error(`format "${format}" needs ${binary(format)} on the server (Debian package ${PACKAGES[format]}): ${run.error.message}`);
  }
  if (run.status !== 0) throw new Error(`${binary(format)} failed (exit ${run.status}): ${run.stderr.toString().trim()}`);
  return new Uint8Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.byteLength);
}
