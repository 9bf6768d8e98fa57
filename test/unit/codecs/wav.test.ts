import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WavDecoder } from '../../../src/codecs/wav';
import { mulberry32 } from '../prng';

const fixture = (name: string) => new Uint8Array(readFileSync(join(process.cwd(), 'test', 'fixtures', name)));

function f32(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.slice().buffer);
}

/** Decodes in random chunks of 1…max bytes; returns the samples and the rate the decoder reported. */
function decodeChunked(bytes: Uint8Array, seed: number, max = 700): { samples: Float32Array; rate: number | undefined } {
  const d = new WavDecoder();
  const rnd = mulberry32(seed);
  const parts: Float32Array[] = [];
  let rate: number | undefined;
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(rnd() * max);
    const chunk = d.decode(bytes.subarray(at, at + n));
    parts.push(chunk.samples);
    rate ??= chunk.sampleRate;
    at += n;
  }
  const samples = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    at += p.length;
  }
  return { samples, rate };
}

describe('WavDecoder', () => {
  // Made by sox from test/fixtures/speech-24k.s16le (see test/fixtures/README.md); the
  // references are sox's own decode of each file to float32 mono.
  const cases: Array<[string, number]> = [
    ['speech-16k-s16', 16000],
    ['speech-22k-s24-stereo', 22050],
    ['speech-24k-f32', 24000],
    ['speech-8k-ulaw', 8000],
  ];
  it.each(cases)('%s.wav decodes sample-exactly to sox’s decode at %i Hz, in random chunks', (name, rate) => {
    const ref = f32(fixture(`${name}.ref.f32le`));
    for (const seed of [1, 2, 3]) {
      const out = decodeChunked(fixture(`${name}.wav`), seed, seed === 3 ? 3 : 700);
      expect(out.rate).toBe(rate);
      expect(out.samples.length).toBe(ref.length);
      let mismatches = 0;
      for (let i = 0; i < ref.length; i++) if (out.samples[i] !== ref[i]) mismatches++;
      expect(mismatches).toBe(0);
    }
    expect(Math.max(...ref.map(Math.abs))).toBeGreaterThan(0.1);
  });

  it('a streamed WAV with data length 0xFFFFFFFF (or 0) plays until the end; a LIST chunk before data is skipped', () => {
    const wav = fixture('speech-16k-s16.wav');
    const ref = f32(fixture('speech-16k-s16.ref.f32le'));
    // Insert a LIST chunk (odd size, so a pad byte) between fmt and data, and mark the lengths unknown.
    const fmtEnd = 12 + 8 + 16;
    const list = new Uint8Array([0x4c, 0x49, 0x53, 0x54, 5, 0, 0, 0, 1, 2, 3, 4, 5, 0]);
    for (const length of [0xffffffff, 0]) {
      const streamed = new Uint8Array(wav.length + list.length);
      streamed.set(wav.subarray(0, fmtEnd), 0);
      streamed.set(list, fmtEnd);
      streamed.set(wav.subarray(fmtEnd), fmtEnd + list.length);
      const view = new DataView(streamed.buffer);
      view.setUint32(4, 0xffffffff, true);
      view.setUint32(fmtEnd + list.length + 4, length, true);
      const out = decodeChunked(streamed, 7);
      expect(out.samples).toEqual(ref);
    }
  });

  it('stops at the end of a sized data chunk: trailing chunks are not audio', () => {
    const wav = fixture('speech-8k-ulaw.wav');
    const ref = f32(fixture('speech-8k-ulaw.ref.f32le'));
    const trailer = new Uint8Array([0x4c, 0x49, 0x53, 0x54, 4, 0, 0, 0, 9, 9, 9, 9]);
    const both = new Uint8Array(wav.length + trailer.length);
    both.set(wav);
    both.set(trailer, wav.length);
    expect(decodeChunked(both, 3).samples).toEqual(ref);
  });

  it('refuses what is not WAV (bad-frame) and sub-formats it cannot play (unsupported-codec), naming them', () => {
    const notWav = new TextEncoder().encode('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000 an mp3, not a wav');
    expect(() => new WavDecoder().decode(notWav)).toThrow(Error);
    try {
      new WavDecoder().decode(notWav);
    } catch (e) {
      expect(e).toMatchObject({ code: 'bad-frame' });
      expect((e as Error).message).toMatch(/not a WAV stream: it starts with "ID3/);
    }
    const adpcm = fixture('speech-16k-s16.wav').slice(0, 44);
    new DataView(adpcm.buffer).setUint16(20, 2, true); // format tag 2: MS ADPCM
    let caught: unknown;
    try {
      new WavDecoder().decode(adpcm);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'unsupported-codec' });
    // Reported once: the rest of that stream is dropped without a second error.
    const d = new WavDecoder();
    expect(() => d.decode(adpcm.subarray(0, 30))).not.toThrow();
    expect(() => d.decode(adpcm.subarray(30, 40))).toThrow(/format tag 2/);
    expect(d.decode(adpcm.subarray(40)).samples.length).toBe(0);
    expect((caught as Error).message).toMatch(/format tag 2, 16 bits, 1 channels at 16000 Hz is not supported/);
  });

  it('holds a split frame until it completes, and reset() drops it', () => {
    const wav = fixture('speech-22k-s24-stereo.wav'); // 6-byte frames
    const d = new WavDecoder();
    // sox writes WAVE_FORMAT_EXTENSIBLE here: find where the samples start.
    const header = Buffer.from(wav).indexOf('data') + 8;
    expect(d.decode(wav.subarray(0, header + 4)).samples.length).toBe(0);
    expect(d.pendingBytes).toBe(4);
    expect(d.decode(wav.subarray(header + 4, header + 6)).samples.length).toBe(1);
    expect(d.decode(wav.subarray(header + 6, header + 9)).samples.length).toBe(0);
    expect(d.reset()).toBe(3);
    expect(d.pendingBytes).toBe(0);
  });
});
