/**
 * The bench's test signal and the per-contender wire encodings of one chunked stream.
 *
 * Signal: 1.5 s of a 440 Hz sine, then 1.5 s of a 300 → 1200 Hz linear chirp, amplitude 0.5,
 * with 5 ms raised-cosine fades at both ends (speech starts and ends in silence; an abrupt
 * edge in the source would itself read as a click once band-limited by a resampler). It
 * never rests inside (no silent run longer than one sample), and its largest
 * sample-to-sample step is small (≈0.16 at 24 kHz), so a gap, a cut or a splice error shows
 * up as a silent run or as a step larger than the source's own.
 */
import { encodeFrame } from '../src/protocol/index';
import { quantizePcm16, toPcm16 } from '../test/browser/harness';
import { wavFile } from '../src/protocol/pcm-encode';

export const SOURCE_RATE = 24000;
export const SIGNAL_SECONDS = 3;
const SINE_HZ = 440;
const CHIRP_FROM = 300;
const CHIRP_TO = 1200;
const AMP = 0.5;
const EDGE_FADE_S = 0.005;

/** The signal sampled at `rate` (analytic; no quantization). */
export function signalAt(rate: number, seconds = SIGNAL_SECONDS): Float32Array<ArrayBuffer> {
  const n = Math.round(rate * seconds);
  const half = seconds / 2;
  const k = (CHIRP_TO - CHIRP_FROM) / half;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    if (t < half) out[i] = AMP * Math.sin(2 * Math.PI * SINE_HZ * t);
    else {
      const u = t - half;
      out[i] = AMP * Math.sin(2 * Math.PI * (CHIRP_FROM * u + 0.5 * k * u * u));
    }
    const edge = Math.min(t, seconds - t);
    if (edge < EDGE_FADE_S) out[i] *= 0.5 - 0.5 * Math.cos((Math.PI * Math.max(0, edge)) / EDGE_FADE_S);
  }
  return out;
}

/** The source as the server sends it: the signal at 24 kHz, quantized to PCM16. */
export function sourceSignal(): Float32Array<ArrayBuffer> {
  return quantizePcm16(signalAt(SOURCE_RATE));
}

/** What a perfect player outputs in a context at `contextRate`. */
export function referenceAt(contextRate: number): Float32Array<ArrayBuffer> {
  return contextRate === SOURCE_RATE ? sourceSignal() : signalAt(contextRate);
}

export type Wire = 'voxplay' | 'legacy-json' | 'raw';

/** PCM16 chunks of `chunkMs` (sample-aligned; the last may be shorter). */
export function pcmChunks(source: Float32Array, chunkMs: number, rate = SOURCE_RATE): Uint8Array<ArrayBuffer>[] {
  const pcm = toPcm16(source);
  const bytes = Math.round((chunkMs * rate) / 1000) * 2;
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for (let pos = 0; pos < pcm.length; pos += bytes) chunks.push(pcm.slice(pos, Math.min(pcm.length, pos + bytes)));
  return chunks;
}

/** One chunk as a contender's wire format: voxplay frame, legacy JSON with base64 WAV, or raw PCM16. */
export function encodeChunk(wire: Wire, chunk: Uint8Array, index: number, count: number, utteranceId = 1, rate = SOURCE_RATE): Uint8Array | string {
  if (wire === 'voxplay') {
    return encodeFrame({ codec: 'pcm16', sampleRate: rate, utteranceId, seq: index, start: index === 0, end: index === count - 1 }, chunk);
  }
  if (wire === 'legacy-json') {
    return JSON.stringify({ type: 'audio', utteranceId: String(utteranceId), seq: index, wav: Buffer.from(wavFile(chunk, rate)).toString('base64') });
  }
  return chunk;
}
