/**
 * Float32 samples → 16-bit signed little-endian PCM bytes (the inverse of `PcmDecoder`'s
 * pcm16 path, which divides by 32768).
 *
 * Samples are clamped to [-1, 1]; NaN becomes 0. Scales by 32768 (the decoder's divisor)
 * and rounds to the nearest integer, clamped to 32767, so -1 → -32768, 1 → 32767, and every
 * k/32768 the decoder can produce encodes back to k. Always little-endian, whatever the
 * host. Pure; returns a fresh array.
 */
export function float32ToPcm16(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    let x = samples[i];
    if (x !== x) x = 0;
    else if (x > 1) x = 1;
    else if (x < -1) x = -1;
    const v = Math.round(x * 32768);
    view.setInt16(i * 2, v > 32767 ? 32767 : v, true);
  }
  return out;
}

/**
 * A complete WAV file (44-byte RIFF header + PCM16 mono data). Only the legacy comparison
 * paths (mock server, benchmark) send audio this way; the library never does.
 */
export function wavFile(pcm: Uint8Array, rate: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(44 + pcm.length);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + pcm.length, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, pcm.length, true);
  out.set(pcm, 44);
  return out;
}
