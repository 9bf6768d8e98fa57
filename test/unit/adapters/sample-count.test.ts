import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SampleCounter, WordAligner } from '../../../src/adapters/sample-count';
import { elevenLabsAudio } from '../../../src/adapters/elevenlabs';

describe('SampleCounter', () => {
  it('gives each chunk its utterance offset: PCM16 with odd-byte chunks, μ-law, and MP3 by whole frames less the decoder delay', () => {
    const pcm = new SampleCounter('pcm16');
    expect([pcm.add(new Uint8Array(3)), pcm.add(new Uint8Array(5)), pcm.add(new Uint8Array(2))]).toEqual([0, 1, 4]);
    expect(pcm.samples).toBe(5);
    const ulaw = new SampleCounter('mulaw');
    expect([ulaw.add(new Uint8Array(160)), ulaw.add(new Uint8Array(160))]).toEqual([0, 160]);
    const mp3 = new SampleCounter('mp3');
    mp3.add(new Uint8Array(readFileSync(join(process.cwd(), 'test', 'fixtures', 'speech-24k-stream.mp3'))));
    expect(mp3.samples).toBe(44 * 576 - 529); // what the player plays of this stream
    expect(() => new SampleCounter('ogg-opus')).toThrow(/cannot count/);
  });
});

describe('WordAligner', () => {
  it('makes words from per-character times relative to each chunk; a word may span chunks', () => {
    const words: [number, string][] = [];
    const aligner = new WordAligner(24000, (offset, word) => words.push([offset, word]));
    aligner.add(['h', 'i', ' ', 't', 'h'], [0, 50, 100, 150, 200], 0);
    aligner.add(['e', 'r', 'e'], [0, 10, 20], 24000);
    aligner.flush();
    expect(words).toEqual([
      [0, 'hi'],
      [3600, 'there'],
    ]);
  });
});

describe('elevenLabsAudio', () => {
  it('maps output formats to the player’s, and refuses the rest', () => {
    expect(elevenLabsAudio('pcm_16000')).toEqual({ format: 'pcm16', sampleRate: 16000 });
    expect(elevenLabsAudio('ulaw_8000')).toEqual({ format: 'mulaw', sampleRate: 8000 });
    expect(elevenLabsAudio('mp3_44100_128')).toEqual({ format: 'mp3', sampleRate: 44100 });
    expect(() => elevenLabsAudio('opus_48000_64')).toThrow(/not one voxplay plays/);
  });
});
