import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alawToLinear, G711Decoder, mulawToLinear } from '../../../src/codecs/g711';
import { mulberry32 } from '../prng';

const fixture = (name: string) => new Uint8Array(readFileSync(join(process.cwd(), 'test', 'fixtures', name)));

/** Decodes `bytes` in random chunks of 1…max bytes. */
function decodeChunked(decoder: G711Decoder, bytes: Uint8Array, seed: number, max = 300): Float32Array {
  const rnd = mulberry32(seed);
  const parts: Float32Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(rnd() * max);
    parts.push(decoder.decode(bytes.subarray(at, at + n)).samples);
    at += n;
  }
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

describe('G.711', () => {
  for (const law of ['mulaw', 'alaw'] as const) {
    it(`${law}: 1 s of real speech (sox-encoded) decodes bit-exactly to sox's own decode, in random chunks`, () => {
      const coded = fixture(`speech-8k.${law === 'mulaw' ? 'ulaw' : 'alaw'}`);
      const refBytes = fixture(`speech-8k.${law === 'mulaw' ? 'ulaw' : 'alaw'}.ref.s16le`);
      const ref = new Int16Array(refBytes.buffer, refBytes.byteOffset, refBytes.byteLength / 2);
      const out = decodeChunked(new G711Decoder(law), coded, law === 'mulaw' ? 1 : 2);
      expect(out.length).toBe(ref.length);
      let mismatches = 0;
      for (let i = 0; i < ref.length; i++) if (out[i] * 32768 !== ref[i]) mismatches++;
      expect(mismatches).toBe(0);
      // The speech is really there (not a table of zeros agreeing with silence).
      expect(Math.max(...out.map(Math.abs))).toBeGreaterThan(0.1);
    });
  }

  it('has the standard end points and symmetry', () => {
    // μ-law: 0xFF and 0x7F are ±0, 0x00 / 0x80 the extremes (±32124).
    expect([mulawToLinear(0xff), mulawToLinear(0x7f), mulawToLinear(0x80), mulawToLinear(0x00)]).toEqual([0, 0, 32124, -32124]);
    // A-law: 0xD5 / 0x55 are the smallest steps (±8), 0xAA / 0x2A the extremes (±32256).
    expect([alawToLinear(0xd5), alawToLinear(0x55), alawToLinear(0xaa), alawToLinear(0x2a)]).toEqual([8, -8, 32256, -32256]);
    for (let c = 0; c < 128; c++) {
      expect(mulawToLinear(c) + mulawToLinear(c | 0x80)).toBe(0);
      expect(alawToLinear(c) + alawToLinear(c | 0x80)).toBe(0);
    }
  });

  it('carries nothing: every byte is a sample', () => {
    const d = new G711Decoder('mulaw');
    expect(d.decode(new Uint8Array([0xff, 0x00, 0x80])).samples.length).toBe(3);
    expect(d.pendingBytes).toBe(0);
    expect(d.reset()).toBe(0);
  });
});
