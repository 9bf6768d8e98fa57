import { describe, expect, it } from 'vitest';
import { CODECS, codecFor } from '../../../src/codecs/registry';
import { describeFormats, FORMAT_NAMES, FORMATS, formatOfWireCode, isAudioFormat } from '../../../src/codecs/formats';
import { decodeFrame, encodeFrame } from '../../../src/protocol/index';

describe('codec registry and format table', () => {
  it('has one codec per format, with the same wire code and sample width', () => {
    expect(Object.keys(CODECS).sort()).toEqual([...FORMAT_NAMES].sort());
    for (const name of FORMAT_NAMES) {
      expect(codecFor(name).name).toBe(name);
      expect(codecFor(name).wireCode).toBe(FORMATS[name].wireCode);
      expect(codecFor(name).bytesPerSample).toBe(FORMATS[name].bytesPerSample);
    }
  });

  it('wire codes are unique and round-trip through the frame header', () => {
    const codes = FORMAT_NAMES.map((n) => FORMATS[n].wireCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const name of FORMAT_NAMES) {
      expect(formatOfWireCode(FORMATS[name].wireCode)).toBe(name);
      const frame = encodeFrame({ codec: name, sampleRate: 24000, utteranceId: 1, seq: 0, start: true, end: false }, new Uint8Array(8));
      const decoded = decodeFrame(frame);
      expect(decoded.ok && decoded.frame.header.codec).toBe(name);
    }
    expect(formatOfWireCode(0)).toBeUndefined();
    expect(isAudioFormat('toString')).toBe(false);
    expect(describeFormats()).toBe('"pcm16", "f32", "mulaw", "alaw", "wav", "ogg-opus", "opus" or "mp3"');
  });

  it('each codec decodes its own bytes (pcm16 and f32 through the registry)', async () => {
    const pcm = new Int16Array([0, 16384, -32768]);
    const out16 = await codecFor('pcm16').createDecoder(24000).decode(new Uint8Array(pcm.buffer));
    expect(Array.from(out16.samples)).toEqual([0, 0.5, -1]);
    const f = new Float32Array([0.25, NaN]);
    const out32 = await codecFor('f32').createDecoder(24000).decode(new Uint8Array(f.buffer));
    expect(Array.from(out32.samples)).toEqual([0.25, 0]);
    expect(out32.nonFinite).toBe(1);
  });
});
