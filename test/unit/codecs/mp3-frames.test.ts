import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mp3FrameSplitter, parseMp3Header } from '../../../src/codecs/mp3-frames';
import { decodeErrorCode } from '../../../src/codecs/codec';
import { concat } from '../../../src/codecs/concat';
import { mulberry32 } from '../prng';

const fixture = (name: string) => new Uint8Array(readFileSync(join(process.cwd(), 'test', 'fixtures', name)));

/** Splits `bytes` pushed in random pieces of 1…max bytes; returns the frames and the splitter. */
function split(bytes: Uint8Array, seed: number, max: number): { frames: Uint8Array[]; splitter: Mp3FrameSplitter } {
  const splitter = new Mp3FrameSplitter();
  const rnd = mulberry32(seed);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(rnd() * max);
    frames.push(...splitter.push(bytes.subarray(at, at + n)));
    at += n;
  }
  return { frames, splitter };
}

const concatBytes = (...parts: Uint8Array[]) => concat(parts, (n) => new Uint8Array(n));

describe('Mp3FrameSplitter', () => {
  // speech-44k.mp3: LAME 3.100, 128 kbps mono MPEG-1, ID3v2 + Info/LAME tag + ID3v1 (test/fixtures/README.md).
  const tagged = fixture('speech-44k.mp3');
  // speech-24k-stream.mp3: LAME writing to a pipe, 48 kbps mono MPEG-2, no tags at all.
  const stream = fixture('speech-24k-stream.mp3');

  it('reads the LAME tag (frame count, encoder delay, padding), skips the ID3 tags, and gives the same frames however the stream is cut', () => {
    const whole = split(tagged, 1, tagged.length);
    expect(whole.splitter.gapless).toEqual({ frames: 40, encoderDelay: 576, padding: 1404 });
    // 40 frames of 1152 samples, less delay and padding, are the encoder's 1 s at 44.1 kHz.
    expect(40 * 1152 - 576 - 1404).toBe(44100);
    expect(whole.frames.length).toBe(40);
    expect(whole.splitter.format).toMatchObject({ version: 1, sampleRate: 44100, channels: 1, samples: 1152 });
    expect(whole.splitter.pendingBytes).toBe(0); // the ID3v1 tag at the end is skipped, not held
    const id3v2 = 10 + ((tagged[6] << 21) | (tagged[7] << 14) | (tagged[8] << 7) | tagged[9]);
    expect(whole.frames.reduce((n, f) => n + f.length, 0)).toBe(tagged.length - id3v2 - 128 - whole.frames[0].length);
    for (const [seed, max] of [
      [2, 1],
      [3, 5],
      [4, 600],
    ]) {
      const cut = split(tagged, seed, max);
      expect(cut.frames.length).toBe(40);
      cut.frames.forEach((f, i) => expect(Buffer.from(f).equals(Buffer.from(whole.frames[i]))).toBe(true));
      expect(cut.splitter.pendingBytes).toBe(0);
    }
  });

  it('passes every frame of an untagged MPEG-2 stream (no Xing frame to drop)', () => {
    const { frames, splitter } = split(stream, 7, 97);
    expect(splitter.gapless).toBeNull();
    expect(splitter.format).toMatchObject({ version: 2, sampleRate: 24000, channels: 1, samples: 576 });
    // mpg123's reference decode of this file is every frame's 576 samples.
    expect(frames.length * 576 * 4).toBe(fixture('speech-24k-stream.mp3.ref.f32le').length);
    expect(frames.reduce((n, f) => n + f.length, 0)).toBe(stream.length);
  });

  it('skips an ID3v2 tag between concatenated streams', () => {
    const id3 = new Uint8Array([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5]);
    const { frames, splitter } = split(concatBytes(stream, id3, stream), 8, 50);
    expect(frames.length).toBe(88);
    expect(splitter.pendingBytes).toBe(0);
  });

  it('calls bytes that are not MP3 a bad-frame error, naming what it saw', () => {
    const text = new TextEncoder().encode('<html>'.repeat(1000));
    const splitter = new Mp3FrameSplitter();
    let error: unknown;
    try {
      splitter.push(text);
    } catch (e) {
      error = e;
    }
    expect(decodeErrorCode(error)).toBe('bad-frame');
    expect((error as Error).message).toMatch(/not an MP3 stream: no MPEG audio frame in its first 4096 bytes \(it starts with 3c 68 74 6d \("<htm"\)\)/);
    expect(splitter.pendingBytes).toBe(0);
    // "ID3" that is no valid tag header (flag bits a tag never sets) is not skipped as one.
    const fake = new TextEncoder().encode('ID3\u0004 an mp3 pretending to be one. '.repeat(200));
    expect(() => new Mp3FrameSplitter().push(fake)).toThrow(/not an MP3 stream/);
  });

  it('finds the first frame after leading junk, but a frame sync lost mid-stream is a bad-frame error naming the byte', () => {
    const junk = new Uint8Array(100).fill(0x20);
    expect(split(concatBytes(junk, stream), 9, 64).frames.length).toBe(44);
    const broken = stream.slice();
    const third = 2 * parseMp3Header(stream, 0)!.frameBytes;
    broken[third] = 0x00;
    const splitter = new Mp3FrameSplitter();
    expect(() => splitter.push(broken)).toThrow(new RegExp(`lost MP3 frame sync at byte ${third}: 00`));
  });

  it('refuses Layer II and free-format streams as unsupported-codec', () => {
    const layer2 = stream.slice();
    layer2[1] = (layer2[1] & ~0x06) | 0x04;
    let error: unknown;
    try {
      new Mp3FrameSplitter().push(layer2);
    } catch (e) {
      error = e;
    }
    expect(decodeErrorCode(error)).toBe('unsupported-codec');
    expect((error as Error).message).toMatch(/Layer II is not supported/);
    const free = stream.slice();
    free[2] &= 0x0f;
    expect(() => new Mp3FrameSplitter().push(free)).toThrow(/free-format/);
  });

  it('computes frame sizes from the header (MPEG-1 128 kbps 44.1 kHz with and without padding; MPEG-2 24 kHz 48 kbps)', () => {
    expect(parseMp3Header(new Uint8Array([0xff, 0xfb, 0x90, 0xc4]), 0)).toMatchObject({ frameBytes: 417, samples: 1152, channels: 1, tagOffset: 21 });
    expect(parseMp3Header(new Uint8Array([0xff, 0xfb, 0x92, 0x04]), 0)).toMatchObject({ frameBytes: 418, channels: 2, tagOffset: 36 });
    expect(parseMp3Header(new Uint8Array([0xff, 0xf3, 0x64, 0xc4]), 0)).toMatchObject({ frameBytes: 144, samples: 576, sampleRate: 24000, tagOffset: 13 });
    expect(parseMp3Header(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0)).toBeNull();
  });
});
