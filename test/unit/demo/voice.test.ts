// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { MAX_AUDIO_SECONDS, MAX_TEXT_CHARS, SILENCE_MS, VOICE_PEAK, VOICE_SAMPLE_RATE, synthesize } from '../../../demo/server/voice';

const SR = VOICE_SAMPLE_RATE;

function peak(x: Float32Array, from = 0, to = x.length): number {
  let p = 0;
  for (let i = from; i < to; i++) p = Math.max(p, Math.abs(x[i]));
  return p;
}

function maxStep(x: Float32Array): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - x[i - 1]));
  return m;
}

function rms(x: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

const NASTY = [
  '',
  ' ',
  '...',
  '?!',
  'Hello, world!',
  '😀',
  '👨‍👩‍👧‍👦 family 🎉🎉🎉',
  '你好，世界。今天天气很好！',
  'こんにちは、カタカナ。',
  '안녕하세요 세계',
  'مرحبا بالعالم، كيف حالك؟',
  'שלום עולם',
  'नमस्ते दुनिया',
  'สวัสดีชาวโลก',
  'Ελληνικά κείμενο; Русский текст.',
  'control \u0000\u0001\u0007\u001b[31m chars \u007f\u200b\u200e\u202e',
  'lone \ud800 surrogate \udc00 here',
  'e\u0301\u0301\u0301 zalgơ̸̢̤̥͓͇͔͎̦̯̖̮̰̺',
  '$100 + 5% = ?? <tag attr="x">&amp;</tag> https://example.com/a?b=c#d',
  '12345678901234567890123456789012345678901234567890',
  'psst hmm nth rhythm',
  "don't stop-and-go rock’n’roll",
  '\n\t\r\n',
];

describe('synthesize', () => {
  it('is deterministic for the same text', () => {
    const a = synthesize('The quick brown fox, jumps. Over?');
    const b = synthesize('The quick brown fox, jumps. Over?');
    expect(a.samples.length).toBe(b.samples.length);
    expect(Buffer.from(a.samples.buffer).equals(Buffer.from(b.samples.buffer))).toBe(true);
    expect(a.words).toEqual(b.words);
  });

  it('differs for different text', () => {
    const a = synthesize('hello there');
    const b = synthesize('hello where');
    expect(Buffer.from(a.samples.buffer).equals(Buffer.from(b.samples.buffer))).toBe(false);
  });

  it('peaks at VOICE_PEAK (≤ 1) and is finite', () => {
    const { samples } = synthesize('Peak level check, with several words. And sentences!');
    expect(peak(samples)).toBeLessThanOrEqual(1);
    expect(peak(samples)).toBeCloseTo(VOICE_PEAK, 5);
    expect(samples.every(Number.isFinite)).toBe(true);
  });

  it('is continuous: no sample-to-sample jump (click) anywhere, silent at both ends', () => {
    for (const text of ['Hello, world. How are you today?', 'Sss shh fff! Papa tikka kept packing.', '你好世界', '😀😀 wow']) {
      const { samples } = synthesize(text);
      expect(maxStep(samples), text).toBeLessThan(0.2);
      expect(Math.abs(samples[0])).toBeLessThan(1e-6);
      expect(Math.abs(samples[samples.length - 1])).toBeLessThan(1e-6);
    }
  });

  it('has no abrupt loudness changes (5 ms RMS windows change smoothly)', () => {
    const { samples } = synthesize('Smooth envelopes, please. Thank you!');
    const w = SR / 200;
    let prev = 0;
    for (let i = 0; i + w <= samples.length; i += w) {
      const r = rms(samples, i, i + w);
      expect(Math.abs(r - prev)).toBeLessThan(0.12);
      prev = r;
    }
  });

  it('returns monotonic word timings inside the audio', () => {
    const { samples, words } = synthesize('one two, three. four? five; six: seven');
    expect(words.map((w) => w.text)).toEqual(['one', 'two', 'three', 'four', 'five', 'six', 'seven']);
    let prevEnd = 0;
    for (const w of words) {
      expect(w.startSample).toBeGreaterThanOrEqual(prevEnd);
      expect(w.endSample).toBeGreaterThan(w.startSample);
      expect(w.endSample).toBeLessThanOrEqual(samples.length);
      prevEnd = w.endSample;
    }
  });

  it('speaks syllables of 150–250 ms', () => {
    for (const text of ['ba', 'do', 'mi', 'the', 'cat']) {
      const [w] = synthesize(text).words;
      const ms = ((w.endSample - w.startSample) / SR) * 1000;
      expect(ms, text).toBeGreaterThanOrEqual(150);
      expect(ms, text).toBeLessThanOrEqual(250);
    }
    const [long] = synthesize('banana').words; // three syllables
    const ms = ((long.endSample - long.startSample) / SR) * 1000;
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThanOrEqual(750);
  });

  it('pauses between words, longer at , ; : and longest at . ! ?', () => {
    const { samples, words } = synthesize('alpha beta, gamma. delta; epsilon! zeta');
    const gapMs = (i: number) => ((words[i + 1].startSample - words[i].endSample) / SR) * 1000;
    expect(gapMs(0)).toBeGreaterThanOrEqual(50); // alpha beta
    expect(gapMs(0)).toBeLessThan(120);
    expect(gapMs(1)).toBeCloseTo(150, -1); // beta, gamma
    expect(gapMs(2)).toBeCloseTo(350, -1); // gamma. delta
    expect(gapMs(3)).toBeCloseTo(150, -1); // delta; epsilon
    expect(gapMs(4)).toBeCloseTo(350, -1); // epsilon! zeta
    // The pauses are really silent (past a short filter ring-out).
    for (const i of [1, 2, 3, 4]) {
      const from = words[i].endSample + Math.round(0.03 * SR);
      const to = words[i + 1].startSample;
      expect(peak(samples, from, to)).toBeLessThan(0.005);
    }
  });

  it('sounds voiced: the pitch of a vowel is within 100–180 Hz', () => {
    const { samples, words } = synthesize('aaa');
    const mid = (words[0].startSample + words[0].endSample) >> 1;
    const frame = samples.subarray(mid - 1024, mid + 1024);
    let best = 0;
    let bestLag = 0;
    for (let lag = Math.floor(SR / 200); lag <= Math.ceil(SR / 90); lag++) {
      let c = 0;
      for (let i = 0; i + lag < frame.length; i++) c += frame[i] * frame[i + lag];
      if (c > best) {
        best = c;
        bestLag = lag;
      }
    }
    const f0 = SR / bestLag;
    expect(f0).toBeGreaterThanOrEqual(100);
    expect(f0).toBeLessThanOrEqual(180);
  });

  it('handles any Unicode and special characters without crashing', () => {
    for (const text of NASTY) {
      const r = synthesize(text);
      expect(r.samples.length, JSON.stringify(text)).toBeGreaterThan(0);
      expect(r.samples.every(Number.isFinite), JSON.stringify(text)).toBe(true);
      expect(peak(r.samples)).toBeLessThanOrEqual(VOICE_PEAK + 1e-6);
      for (const w of r.words) expect(w.text.length).toBeGreaterThan(0);
    }
  });

  it('returns short silence and no words for text without words', () => {
    for (const text of ['', '   ', '...', '\u0000\u0001', '“”()[]{}']) {
      const r = synthesize(text);
      expect(r.words).toEqual([]);
      expect(r.samples.length).toBe((SILENCE_MS / 1000) * SR);
      expect(peak(r.samples)).toBe(0);
    }
  });

  it('makes each CJK ideograph a word, and keeps emoji sequences whole', () => {
    expect(synthesize('你好世界').words.map((w) => w.text)).toEqual(['你', '好', '世', '界']);
    expect(synthesize('hi 👨‍👩‍👧 there').words.map((w) => w.text)).toEqual(['hi', '👨‍👩‍👧', 'there']);
    expect(synthesize("don't stop").words.map((w) => w.text)).toEqual(["don't", 'stop']);
  });

  it('caps very long text at MAX_AUDIO_SECONDS and MAX_TEXT_CHARS', () => {
    const long = 'The quick brown fox jumps over the lazy dog. '.repeat(500);
    const r = synthesize(long);
    expect(r.truncated).toBe(true);
    expect(r.samples.length).toBeLessThanOrEqual(MAX_AUDIO_SECONDS * SR);
    expect(r.samples.length).toBeGreaterThan((MAX_AUDIO_SECONDS - 5) * SR);
    const last = r.words[r.words.length - 1];
    expect(last.endSample).toBeLessThanOrEqual(r.samples.length);

    const huge = synthesize('x'.repeat(MAX_TEXT_CHARS * 10));
    expect(huge.truncated).toBe(true);
    expect(huge.words[0].text.length).toBe(MAX_TEXT_CHARS);
    expect(synthesize('short').truncated).toBe(false);
  });

  it('honours the sample rate', () => {
    const a = synthesize('rate test', 24000);
    const b = synthesize('rate test', 16000);
    expect(b.samples.length / a.samples.length).toBeCloseTo(16000 / 24000, 2);
    expect(synthesize('rate test', Number.NaN).samples.length).toBe(a.samples.length);
  });
});
