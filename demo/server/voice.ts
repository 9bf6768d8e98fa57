/**
 * A model-free "voice" for the mock TTS server: turns any text into audible, speech-like
 * mono audio plus word timings. Pure (no I/O), deterministic (same text and sample rate →
 * bit-identical output), and total: every string, including empty, emoji, CJK, RTL,
 * control characters and lone surrogates, produces audio without throwing.
 *
 * How it sounds: a Rosenberg glottal-pulse source at a gently moving pitch (100–180 Hz,
 * declining through each sentence, stressed syllables a little higher, questions rising)
 * goes through a cascade of three resonant formant filters (F1–F3) whose frequencies glide
 * between vowel targets; consonant onsets/codas add short filtered-noise bursts (fricative
 * hiss or plosive burst). Each syllable lasts 150–250 ms, words are separated by ~70 ms of
 * silence, `, ; :` (and their CJK/Arabic forms, dashes) by ~150 ms, `. ! ?` (and forms) by
 * ~350 ms. Every gain change is a raised-cosine ramp and formant/pitch targets are smoothed,
 * so the signal has no clicks; the result is normalized to a peak of {@link VOICE_PEAK}.
 *
 * Limits (documented, never an error): only the first {@link MAX_TEXT_CHARS} UTF-16 code
 * units of the text are read, at most {@link MAX_SYLLABLES_PER_WORD} syllables are spoken
 * per word, and words that would push the audio past {@link MAX_AUDIO_SECONDS} are dropped
 * (`truncated` is then true). Text with no speakable word yields {@link SILENCE_MS} ms of
 * silence and no words.
 */
import { mulberry32 } from './prng';

/** Default output rate (what the mock server streams). */
export const VOICE_SAMPLE_RATE = 24000;
/** Peak absolute amplitude of any non-silent synthesis. */
export const VOICE_PEAK = 0.5;
/** Text beyond this many UTF-16 code units is ignored. */
export const MAX_TEXT_CHARS = 4000;
/** Audio is capped at this length; whole words past it are dropped. */
export const MAX_AUDIO_SECONDS = 60;
/** A word longer than this (a URL, a 40-digit number) is spoken with this many syllables. */
export const MAX_SYLLABLES_PER_WORD = 10;
/** Length of the silence returned for text without any word. */
export const SILENCE_MS = 100;

/** Lowest and highest sample rates accepted; others are clamped into this range. */
const MIN_RATE = 8000;
const MAX_RATE = 192000;

export interface WordTiming {
  /** The word as it appears in the text (a single character for CJK ideographs/kana). */
  text: string;
  /** First sample of the word's first syllable. */
  startSample: number;
  /** One past the last sample of the word's last syllable. */
  endSample: number;
}

export interface Synthesis {
  samples: Float32Array;
  /** In order, non-overlapping: `words[i].endSample <= words[i + 1].startSample`. */
  words: WordTiming[];
  /** True when text or audio hit one of the documented caps. */
  truncated: boolean;
}

// ---------------------------------------------------------------------------------------
// Text analysis

type Gap = 'none' | 'word' | 'comma' | 'stop';
const GAP_RANK: Record<Gap, number> = { none: 0, word: 1, comma: 2, stop: 3 };
const GAP_MS: Record<Gap, number> = { none: 0, word: 70, comma: 150, stop: 350 };
const LEAD_MS = 40;
const TRAIL_MS = 60;

type Consonant = 'none' | 'fric' | 'plos';

interface Syllable {
  v1: number;
  /** Second vowel of a written diphthong ("ai", "ou"), or -1. */
  v2: number;
  onset: Consonant;
  coda: Consonant;
  hash: number;
}

interface Word {
  text: string;
  gapBefore: Gap;
  syllables: Syllable[];
  /** The sentence this word ends is a question. */
  question: boolean;
}

/** Formant targets [F1, F2, F3] in Hz. */
const VOWELS: readonly (readonly [number, number, number])[] = [
  [730, 1090, 2440], // 0 a
  [530, 1840, 2480], // 1 e
  [290, 2250, 2950], // 2 i
  [570, 840, 2410], // 3 o
  [320, 870, 2240], // 4 u
  [500, 1500, 2500], // 5 schwa
  [660, 1720, 2410], // 6 æ
];
const SCHWA = 5;

const VOWEL_OF: Record<string, number> = {
  a: 0,
  e: 1,
  i: 2,
  o: 3,
  u: 4,
  y: 2,
  æ: 6,
  ø: 1,
  œ: 1,
  å: 3,
  α: 0,
  ε: 1,
  η: 2,
  ι: 2,
  ο: 3,
  υ: 2,
  ω: 3,
  а: 0,
  е: 1,
  ё: 3,
  и: 2,
  о: 3,
  у: 4,
  ы: 2,
  э: 1,
  ю: 4,
  я: 0,
  і: 2,
  ї: 2,
  є: 1,
};
const FRICATIVES = new Set('szfvhcxjßşšžçþðʃʒсзфвхшщжчцσςζφθχψξ');
const PLOSIVES = new Set('pbtdkgqпбтдкгπβτδκγ');

const CJK_CLASS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}';
const WORD_CHAR = `(?:(?![${CJK_CLASS}])[\\p{L}\\p{N}\\p{M}\\p{S}\\u200D])`;
/**
 * One token per match: 1 a CJK ideograph/kana (each is its own word), 2 a word (letters,
 * digits, marks, symbols incl. emoji, with inner apostrophes/hyphens), 3 sentence-final
 * punctuation, 4 clause punctuation. Anything else (spaces, quotes, brackets, control
 * characters, lone surrogates) is a plain word separator.
 */
const TOKEN_RE = new RegExp(`([${CJK_CLASS}])|(${WORD_CHAR}+(?:['’\\-]${WORD_CHAR}+)*)|([.!?。！？…؟‼⁇⁈⁉।۔])|([,;:،、，；：؛—–])|[^]`, 'gu');
const SYLLABIC_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Nd}\p{Extended_Pictographic}]/u;
const MARK_RE = /\p{M}|\u200D|\uFE0F/u;

function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function mix(h: number, n: number): number {
  let x = (h ^ Math.imul(n + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const HASH_ONSETS: readonly Consonant[] = ['none', 'fric', 'plos', 'none', 'plos', 'none'];

/** Splits one word into syllables: vowel groups for alphabetic scripts, one per CJK/Hangul character, digit or emoji, one per two letters of other scripts. */
function syllabify(word: string): Syllable[] {
  const out: Syllable[] = [];
  const wordHash = fnv1a(word);
  let pendingOnset: Consonant | null = null;
  let inVowel = false;
  let others = 0;
  const push = (v1: number, onset: Consonant): Syllable => {
    const s: Syllable = { v1, v2: -1, onset, coda: 'none', hash: mix(wordHash, out.length) };
    out.push(s);
    return s;
  };
  for (const ch of word) {
    if (MARK_RE.test(ch)) continue;
    const base = (ch.normalize('NFD')[0] ?? ch).toLowerCase();
    const vowel = VOWEL_OF[base];
    if (vowel !== undefined) {
      if (inVowel) {
        const last = out[out.length - 1];
        if (last.v2 < 0 && vowel !== last.v1) last.v2 = vowel;
      } else {
        push(vowel, pendingOnset ?? 'none');
        pendingOnset = null;
        inVowel = true;
      }
      continue;
    }
    inVowel = false;
    if (FRICATIVES.has(base) || PLOSIVES.has(base) || /^[a-zß-ÿ\u0100-\u024f\u0370-\u03ff\u0400-\u04ff]$/u.test(base)) {
      // A consonant of an alphabetic script: the first one before a vowel shapes the onset.
      const cls: Consonant = FRICATIVES.has(base) ? 'fric' : PLOSIVES.has(base) ? 'plos' : 'none';
      if (pendingOnset === null || pendingOnset === 'none') pendingOnset = cls;
      continue;
    }
    const h = mix(fnv1a(ch), 7);
    if (SYLLABIC_RE.test(ch)) {
      const s = push(h % 5, pendingOnset ?? HASH_ONSETS[(h >>> 5) % HASH_ONSETS.length]);
      if ((h >>> 9) % 3 === 0) s.v2 = (h >>> 12) % 7;
      pendingOnset = null;
      continue;
    }
    // Any other letter or symbol (Arabic, Hebrew, Devanagari, Thai, $, %, …).
    if (others % 2 === 0) push(h % 7, pendingOnset ?? HASH_ONSETS[(h >>> 5) % HASH_ONSETS.length]);
    else if (out[out.length - 1].v2 < 0) out[out.length - 1].v2 = h % 7;
    pendingOnset = null;
    others++;
  }
  if (out.length === 0) push(SCHWA, pendingOnset ?? 'none');
  else if (pendingOnset !== null && pendingOnset !== 'none') out[out.length - 1].coda = pendingOnset;
  if (out.length > MAX_SYLLABLES_PER_WORD) out.length = MAX_SYLLABLES_PER_WORD;
  return out;
}

function tokenize(text: string): Word[] {
  const words: Word[] = [];
  let pending: Gap = 'none';
  const widen = (g: Gap) => {
    if (GAP_RANK[g] > GAP_RANK[pending]) pending = g;
  };
  for (const m of text.matchAll(TOKEN_RE)) {
    const wordText = m[1] ?? m[2];
    if (wordText !== undefined) {
      words.push({ text: wordText, gapBefore: words.length === 0 ? 'none' : pending, syllables: syllabify(wordText), question: false });
      pending = 'none';
    } else if (m[3] !== undefined) {
      widen('stop');
      if (words.length > 0 && /[?？؟⁇⁈]/u.test(m[3])) words[words.length - 1].question = true;
    } else if (m[4] !== undefined) widen('comma');
    else widen('word');
  }
  return words;
}

// ---------------------------------------------------------------------------------------
// Rendering

type Points = [number, number][];

interface Seg {
  start: number;
  len: number;
  syl: Syllable;
  /** Voice level at the syllable's edges: 0 next to silence, a dip inside a word. */
  startLevel: number;
  endLevel: number;
  f0: number;
  /** Formant targets at the start and end of the syllable. */
  fA: readonly number[];
  fB: readonly number[];
  /** Centre frequencies of the onset/coda noise. */
  onsetHz: number;
  codaHz: number;
  voiceEnv: Points;
  noiseEnv: Points;
}

/** Raised-cosine interpolation through [time, value] keypoints (times ascending). */
function envelopeAt(points: Points, t: number): number {
  if (t <= points[0][0]) return points[0][1];
  for (let i = 1; i < points.length; i++) {
    const p = points[i];
    if (t < p[0]) {
      const q = points[i - 1];
      const x = (t - q[0]) / (p[0] - q[0]);
      return q[1] + (p[1] - q[1]) * (0.5 - 0.5 * Math.cos(Math.PI * x));
    }
  }
  return points[points.length - 1][1];
}

function smooth01(x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return x * x * (3 - 2 * x);
}

/** Two-pole resonator (Klatt) with unity gain at DC, for the formant cascade. */
class Resonator {
  private a = 1;
  private b = 0;
  private c = 0;
  private y1 = 0;
  private y2 = 0;
  set(freq: number, bw: number, rate: number): void {
    const r = Math.exp((-Math.PI * bw) / rate);
    this.c = -r * r;
    this.b = 2 * r * Math.cos((2 * Math.PI * freq) / rate);
    this.a = 1 - this.b - this.c;
  }
  step(x: number): number {
    const y = this.a * x + this.b * this.y1 + this.c * this.y2;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

/** Band-pass biquad (RBJ, 0 dB peak) for consonant noise. */
class BandPass {
  private b0 = 0;
  private a1 = 0;
  private a2 = 0;
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  set(freq: number, q: number, rate: number): void {
    const w = (2 * Math.PI * freq) / rate;
    const alpha = Math.sin(w) / (2 * q);
    const a0 = 1 + alpha;
    this.b0 = alpha / a0;
    this.a1 = (-2 * Math.cos(w)) / a0;
    this.a2 = (1 - alpha) / a0;
  }
  step(x: number): number {
    const y = this.b0 * (x - this.x2) - this.a1 * this.y1 - this.a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

const ms = (rate: number, t: number) => Math.round((t * rate) / 1000);

/** Builds the voice and noise envelopes of one syllable (sample offsets from its start). */
function envelopes(seg: Seg, rate: number): void {
  const L = seg.len;
  const s = seg.startLevel;
  const e = seg.endLevel;
  const A = ms(rate, 22);
  const R = ms(rate, 30);
  const o = seg.syl.onset;
  const at = (t: number) => ms(rate, t);
  let voice: Points =
    o === 'fric'
      ? [
          [0, s],
          [at(12), 0],
          [at(40), 0],
          [at(40) + A, 1],
          [L - R, 1],
          [L, e],
        ]
      : o === 'plos'
        ? [
            [0, s],
            [at(8), 0],
            [at(24), 0],
            [at(24) + A, 1],
            [L - R, 1],
            [L, e],
          ]
        : [
            [0, s],
            [A, 1],
            [L - R, 1],
            [L, e],
          ];
  let noise: Points =
    o === 'fric'
      ? [
          [at(4), 0],
          [at(16), 0.8],
          [at(34), 0.8],
          [at(48), 0],
        ]
      : o === 'plos'
        ? [
            [at(22), 0],
            [at(25), 1],
            [at(40), 0],
          ]
        : [[0, 0]];
  if (seg.syl.coda !== 'none') {
    // Shorten the vowel a little and let a hiss or burst close the syllable.
    voice = voice.slice(0, -2).concat([
      [L - R - at(40), 1],
      [L - at(40), Math.min(e, 0.1)],
      [L, e],
    ]);
    const peak = seg.syl.coda === 'fric' ? 0.7 : 0.9;
    noise = noise.concat([
      [L - at(44), 0],
      [L - at(32), peak],
      [L - at(14), peak * 0.6],
      [L - at(2), 0],
    ]);
  }
  seg.voiceEnv = voice;
  seg.noiseEnv = noise;
}

/** Samples between updates of pitch, formant targets and filter coefficients. */
const CONTROL_BLOCK = 16;
/** Gain of the voiced path and of the consonant noise before normalization. */
const VOICE_GAIN = 0.08;
const NOISE_GAIN = 0.05;

/**
 * Synthesizes `text` at `sampleRate` (clamped to 8–192 kHz, rounded to an integer).
 * Deterministic and total; see the module comment for the voice, pauses and caps.
 */
export function synthesize(text: string, sampleRate: number = VOICE_SAMPLE_RATE): Synthesis {
  const rate = Number.isFinite(sampleRate) ? Math.min(MAX_RATE, Math.max(MIN_RATE, Math.round(sampleRate))) : VOICE_SAMPLE_RATE;
  const input = typeof text === 'string' ? text : String(text ?? '');
  let truncated = input.length > MAX_TEXT_CHARS;
  const source = truncated ? input.slice(0, MAX_TEXT_CHARS) : input;
  const words = tokenize(source);
  const silence = (): Synthesis => ({ samples: new Float32Array(ms(rate, SILENCE_MS)), words: [], truncated });
  if (words.length === 0) return silence();

  // Lay out syllables on the timeline.
  const maxSamples = Math.floor(MAX_AUDIO_SECONDS * rate);
  const trail = ms(rate, TRAIL_MS);
  const segs: Seg[] = [];
  const timings: WordTiming[] = [];
  let cursor = ms(rate, LEAD_MS);
  let sentenceSyllable = 0;
  for (let w = 0; w < words.length; w++) {
    const word = words[w];
    const gap = w === 0 ? 0 : ms(rate, GAP_MS[word.gapBefore]);
    const last = word.syllables.length - 1;
    const durs = word.syllables.map((s, i) => ms(rate, 150 + (s.hash % 71) + (i === last ? 29 : 0)));
    const wordLen = durs.reduce((a, b) => a + b, 0);
    if (cursor + gap + wordLen + trail > maxSamples) {
      truncated = true;
      break;
    }
    cursor += gap;
    if (word.gapBefore === 'stop') sentenceSyllable = 0;
    const joined = w > 0 && word.gapBefore === 'none';
    const start = cursor;
    const stressedIndex = word.syllables[0].hash % Math.min(2, word.syllables.length);
    word.syllables.forEach((syl, i) => {
      let f0 = Math.max(108, 150 - 3 * sentenceSyllable) + (i === stressedIndex ? 10 : 0);
      if (word.question) f0 += 8 + 10 * i;
      segs.push({
        start: cursor,
        len: durs[i],
        syl,
        startLevel: i > 0 || joined ? 0.35 : 0,
        endLevel: 0, // fixed below once the next syllable is known
        f0: Math.min(172, f0),
        fA: VOWELS[syl.v1],
        fB: VOWELS[SCHWA],
        onsetHz: syl.onset === 'fric' ? 2800 + ((syl.hash >>> 3) % 5) * 600 : 1200 + ((syl.hash >>> 3) % 5) * 450,
        codaHz: syl.coda === 'fric' ? 3000 + ((syl.hash >>> 7) % 4) * 700 : 1500 + ((syl.hash >>> 7) % 4) * 400,
        voiceEnv: [],
        noiseEnv: [],
      });
      cursor += durs[i];
      sentenceSyllable++;
    });
    timings.push({ text: word.text, startSample: start, endSample: cursor });
  }
  if (segs.length === 0) return silence();
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const next = segs[i + 1];
    const contiguous = next !== undefined && next.start === seg.start + seg.len;
    seg.endLevel = contiguous ? next.startLevel : 0;
    // Diphthongs glide to their second vowel; other vowels lean towards what follows.
    const toward = seg.syl.v2 >= 0 ? VOWELS[seg.syl.v2] : VOWELS[contiguous ? next.syl.v1 : SCHWA];
    const amount = seg.syl.v2 >= 0 ? 1 : 0.45;
    seg.fB = seg.fA.map((f, k) => f + (toward[k] - f) * amount);
    envelopes(seg, rate);
  }
  const total = cursor + trail;
  const samples = new Float32Array(total);

  // Render with continuous oscillator and filter state across the whole utterance.
  const rand = mulberry32(fnv1a(source, 0x9747b28c));
  const formants = [new Resonator(), new Resonator(), new Resonator()];
  const bandwidths = [90, 110, 170];
  const noiseFilter = new BandPass();
  const perBlock = (tauMs: number) => 1 - Math.exp(-(1000 * CONTROL_BLOCK) / (tauMs * rate));
  const kFormant = perBlock(12);
  const kPitch = perBlock(35);
  const kLp = 1 - Math.exp((-2 * Math.PI * 5500) / rate);
  const fm = [...segs[0].fA];
  const fTarget = [...segs[0].fA];
  let pitch = segs[0].f0;
  let f0 = pitch;
  let noiseHz = 0;
  let phase = 0;
  let prevFlow = 0;
  let lp = 0;
  let segIndex = 0;
  const Tp = 0.4;
  const Tn = 0.16;

  for (let n = 0; n < total; n++) {
    while (segIndex < segs.length - 1 && n >= segs[segIndex].start + segs[segIndex].len) segIndex++;
    const seg = segs[segIndex];
    const t = n - seg.start;
    const inSeg = t >= 0 && t < seg.len;

    if (n % CONTROL_BLOCK === 0) {
      // Control rate: pitch contour, formant glide, filter coefficients.
      let f0Target = pitch;
      if (inSeg) {
        const x = t / seg.len;
        const g = smooth01((x - 0.35) / 0.55);
        for (let k = 0; k < 3; k++) fTarget[k] = seg.fA[k] + (seg.fB[k] - seg.fA[k]) * g;
        f0Target = seg.f0 + 6 * Math.sin(Math.PI * x);
        const hz = x < 0.5 ? seg.onsetHz : seg.codaHz;
        if (hz !== noiseHz) noiseFilter.set((noiseHz = hz), 1.6, rate);
      } else if (t < 0) {
        for (let k = 0; k < 3; k++) fTarget[k] = seg.fA[k];
        f0Target = seg.f0;
      }
      for (let k = 0; k < 3; k++) {
        fm[k] += (fTarget[k] - fm[k]) * kFormant;
        formants[k].set(fm[k], bandwidths[k], rate);
      }
      pitch += (f0Target - pitch) * kPitch;
      f0 = Math.min(180, Math.max(100, pitch + 1.2 * Math.sin((2 * Math.PI * 4.7 * n) / rate)));
    }

    const voice = inSeg ? envelopeAt(seg.voiceEnv, t) : 0;
    const noise = inSeg ? envelopeAt(seg.noiseEnv, t) : 0;
    // Glottal source: derivative of a Rosenberg flow pulse, plus a breath of aspiration.
    phase += f0 / rate;
    if (phase >= 1) phase -= 1;
    const flow = phase < Tp ? 0.5 - 0.5 * Math.cos((Math.PI * phase) / Tp) : phase < Tp + Tn ? Math.cos(((Math.PI / 2) * (phase - Tp)) / Tn) : 0;
    const white = rand() * 2 - 1;
    const excitation = voice * (((flow - prevFlow) * rate) / 2000 + 0.004 * white);
    prevFlow = flow;
    const v = formants[2].step(formants[1].step(formants[0].step(excitation)));
    const hiss = noise > 0 ? noiseFilter.step(white * noise) : noiseFilter.step(0);
    lp += (VOICE_GAIN * v + NOISE_GAIN * hiss - lp) * kLp;
    samples[n] = lp;
  }

  // Normalize to the target peak, then make the very ends exactly silent.
  let peak = 0;
  for (let i = 0; i < total; i++) peak = Math.max(peak, Math.abs(samples[i]));
  if (peak > 0) {
    const gain = VOICE_PEAK / peak;
    for (let i = 0; i < total; i++) samples[i] *= gain;
  }
  const fade = Math.min(ms(rate, 5), total >> 1);
  for (let i = 0; i < fade; i++) {
    const g = 0.5 - 0.5 * Math.cos((Math.PI * i) / fade);
    samples[i] *= g;
    samples[total - 1 - i] *= g;
  }
  return { samples, words: timings, truncated };
}
