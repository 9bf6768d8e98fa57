import type { DecodedChunk, Decoder } from './codec.js';

/**
 * G.711 μ-law and A-law (ITU-T G.711), one byte per sample, as telephony bridges and
 * real-time APIs send them at 8 kHz. Decoded by a 256-entry table built on first use, to
 * the 16-bit linear values of the standard scaled to ±1 (so a reference decoder such as sox
 * or ffmpeg gives the same samples, bit for bit, after /32768).
 */

/** μ-law code → linear 16-bit value (G.711 expansion; codes are stored bit-inverted). */
export function mulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << exponent;
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}

/** A-law code → linear 16-bit value (G.711 expansion; even bits are inverted). */
export function alawToLinear(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  let magnitude = (a & 0x0f) << 4;
  magnitude = exponent === 0 ? magnitude + 8 : (magnitude + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

const tables: Partial<Record<'mulaw' | 'alaw', Float32Array>> = {};

/** The 256-entry decode table of `law`, as floats (built once). */
export function g711Table(law: 'mulaw' | 'alaw'): Float32Array {
  let table = tables[law];
  if (!table) {
    table = new Float32Array(256);
    const expand = law === 'mulaw' ? mulawToLinear : alawToLinear;
    for (let code = 0; code < 256; code++) table[code] = expand(code) / 32768;
    tables[law] = table;
  }
  return table;
}

/** Decodes a G.711 byte stream: every byte is one sample, so nothing is ever carried. */
export class G711Decoder implements Decoder {
  private readonly table: Float32Array;
  readonly pendingBytes = 0;

  constructor(law: 'mulaw' | 'alaw') {
    this.table = g711Table(law);
  }

  decode(bytes: Uint8Array): DecodedChunk {
    const samples = new Float32Array(bytes.length);
    const table = this.table;
    for (let i = 0; i < bytes.length; i++) samples[i] = table[bytes[i]];
    return { samples, nonFinite: 0 };
  }

  reset(): number {
    return 0;
  }
}
