/**
 * Float32 samples → G.711 μ-law or A-law bytes (ITU-T G.711 compression), for a server
 * that sends telephony audio. The inverse of the player's decoder (src/codecs/g711.ts) up to
 * G.711's quantisation: every code the decoder can produce encodes back to itself (μ-law's
 * two zeros both come back as 0xFF). Samples are clamped to [-1, 1]; NaN becomes 0. Pure;
 * returns a fresh array.
 */

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

/** One linear 16-bit value → its μ-law code. */
export function linearToMulaw(value: number): number {
  let v = Math.max(-32768, Math.min(32767, Math.round(value)));
  const sign = v < 0 ? 0x80 : 0;
  if (v < 0) v = -v;
  if (v > MULAW_CLIP) v = MULAW_CLIP;
  v += MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (v & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (v >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** One linear 16-bit value → its A-law code. */
export function linearToAlaw(value: number): number {
  let v = Math.max(-32768, Math.min(32767, Math.round(value)));
  const sign = v >= 0 ? 0x80 : 0;
  if (v < 0) v = -v - 1;
  if (v > 32767) v = 32767;
  let code: number;
  if (v < 256) code = v >> 4;
  else {
    let exponent = 7;
    for (let mask = 0x4000; (v & mask) === 0 && exponent > 1; mask >>= 1) exponent--;
    code = (exponent << 4) | ((v >> (exponent + 3)) & 0x0f);
  }
  return (sign | code) ^ 0x55;
}

function encode(samples: Float32Array, toCode: (value: number) => number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    out[i] = toCode(x !== x ? 0 : Math.max(-1, Math.min(1, x)) * 32768);
  }
  return out;
}

/** Float32 samples → μ-law bytes. */
export function float32ToMulaw(samples: Float32Array): Uint8Array<ArrayBuffer> {
  return encode(samples, linearToMulaw);
}

/** Float32 samples → A-law bytes. */
export function float32ToAlaw(samples: Float32Array): Uint8Array<ArrayBuffer> {
  return encode(samples, linearToAlaw);
}
