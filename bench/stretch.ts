/**
 * `npm run bench:stretch` (= `npx tsx bench/stretch.ts`): issue 24's measurement table for the
 * time-stretcher (src/dsp/time-stretch.ts) at 24 kHz, and its cost. Node only, one core,
 * deterministic apart from the cost figures; a few seconds. Prints markdown and writes
 * bench/results/stretch.md.
 *
 * The measurements are exported: test/unit/dsp/time-stretch.test.ts checks the same figures
 * against the issue's floors. Importing this module runs nothing.
 *
 * Figures (speeds 0.5, 0.75, 1.25, 1.5, 2):
 * - Duration: |output length − input length ÷ speed| after `finish()`, for 10 s and 60 s of speech
 *   (the fixture looped); goal ≤ one longest pitch period (370 samples at 24 kHz) at both lengths.
 * - Live changes: speed 1 → 2 → 0.5 → 1 … every 200 ms of output; over each window from one
 *   longest period after a change to the next change, Δsource ÷ Δoutput through the map pieces,
 *   within 2 % of the target; and the source position of the last sample read never goes back.
 * - Pitch: YIN F0 (test/support/pitch-track.ts) of the output of 100 / 150 / 200 / 300 Hz tones
 *   and a 120 Hz harmonic complex: median error < 1 %, ≥ 95 % of frames within 2 %. Speech (two
 *   espeak-ng voices, 26 s: {@link voices}):
 *   the output's F0 track against the input's, each output frame time-mapped through the map
 *   pieces, leaving out frames whose source span holds a voicing change ({@link mappedReference}):
 *   median error < 3 %, voicing agreement > 90 %.
 * - Clicks: energy outside the tone (per-frame least-squares fit, 50 ms left out at each end):
 *   integer-period tones ≤ −40 dB; non-integer periods (110, 170 Hz) and speed ramps ≤ −30 dB.
 * - Level: output RMS ÷ input RMS within ±1 dB (speech and tones).
 * - Cost: CPU time over 60 s of speech in 128-sample reads, median of 5, as × real time, beside a
 *   plain copy loop driven the same way.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { StreamingResampler } from '../src/dsp/resampler.ts';
import { Fft } from '../src/echo/fft.ts';
import { TimeStretcher, type StretchMapSink } from '../src/dsp/time-stretch.ts';
import { loadFixture } from '../test/support/echo-room.ts';
import { compareF0, median, rmsDb, toneResidual, yinTrack, type PitchTrack } from '../test/support/pitch-track.ts';

export const RATE = 24000;
export const SPEEDS = [0.5, 0.75, 1.25, 1.5, 2];
/** The longest pitch period the stretcher splices at 24 kHz (370 samples): the duration goal. */
export const MAX_PERIOD = new TimeStretcher(RATE).maxPeriod;
/** Tones whose period is a whole number of samples at 24 kHz (240, 160, 120, 80). */
export const INTEGER_TONES = [100, 150, 200, 300];
/** Tones whose period is not (218.18 and 141.18 samples). */
export const FRACTIONAL_TONES = [110, 170];
/** F0 of the harmonic complex. */
export const COMPLEX_F0 = 120;

/** The issue's goals. */
export const GOALS = {
  durationSamples: MAX_PERIOD,
  windowSpeedError: 0.02,
  toneF0Median: 0.01,
  toneF0Within: 0.95,
  speechF0Median: 0.03,
  speechVoicing: 0.9,
  clickIntegerDb: -40,
  clickOtherDb: -30,
  levelDb: 1,
} as const;

/** Logs the stretcher's map pieces and checks that a settle never moves an output sample back. */
export class MapLog implements StretchMapSink {
  /** Output and input lengths of each piece, and the forward jump in input after it (a cut cycle, see StretchMapSink.settle). */
  readonly stretched: number[] = [];
  readonly source: number[] = [];
  readonly jump: number[] = [];
  /** What went wrong, if anything (negative lengths, a settle mapping a sample earlier, a settle with no piece). */
  readonly problems: string[] = [];
  settles = 0;

  plan(stretched: number, source: number): void {
    if (!(stretched >= 0 && source >= 0)) this.problems.push(`plan(${stretched}, ${source}): negative or NaN`);
    this.stretched.push(stretched);
    this.source.push(source);
    this.jump.push(0);
  }

  settle(stretched: number, source: number): void {
    this.settles++;
    const i = this.stretched.length - 1;
    if (i < 0) {
      this.problems.push(`settle(${stretched}, ${source}) with no piece`);
      return;
    }
    const s0 = this.stretched[i];
    const u0 = this.source[i];
    if (!(stretched >= 0 && source >= 0)) this.problems.push(`settle(${stretched}, ${source}): negative or NaN`);
    // Output sample j of the piece was at source j·u0/s0: the plan's slope is kept over what
    // was made, and the input after it jumps forward; a settle below the slope is a bug.
    const along = s0 > 0 ? (stretched * u0) / s0 : 0;
    if (stretched > 0 && s0 > 0 && source < along - 1e-9 * along) {
      this.problems.push(`settle(${stretched}, ${source}) after plan(${s0}, ${u0}) maps output earlier`);
    }
    this.stretched[i] = stretched;
    this.source[i] = Math.min(along, source);
    this.jump[i] = source - this.source[i];
  }

  /** Sum of the output and input lengths. */
  totals(): { stretched: number; source: number } {
    let s = 0;
    let u = 0;
    for (let i = 0; i < this.stretched.length; i++) {
      s += this.stretched[i];
      u += this.source[i] + this.jump[i];
    }
    return { stretched: s, source: u };
  }

  /** Source position (input samples, fractional) of output position `o`, through the pieces as they are now. */
  sourceAt(o: number): number {
    let s = 0;
    let u = 0;
    for (let i = 0; i < this.stretched.length; i++) {
      const ds = this.stretched[i];
      if (o < s + ds) return u + ((o - s) * this.source[i]) / ds;
      s += ds;
      u += this.source[i] + this.jump[i];
    }
    return o <= s ? u : NaN;
  }
}

/** How {@link stretch} drives the stretcher. */
export interface DriveOptions {
  /** Speed set before the first write (1 is never set, so a speed-1 run never calls setSpeed). */
  speed?: number;
  /** Speed changes at output positions (samples read), in order. */
  changes?: { at: number; speed: number }[];
  /** Size of each write offered (default: everything left; the stretcher takes what fits). */
  writeSize?: () => number;
  /** Size of each read (default 128, a render quantum). */
  readSize?: () => number;
  /** Called after every read with the output position reached. */
  onRead?: (stretcher: TimeStretcher, position: number, map: MapLog) => void;
}

/** The output of one {@link stretch} run and its map. */
export interface StretchRun {
  out: Float32Array;
  map: MapLog;
  /** Output positions where the speed changes were applied, and the speeds. */
  changes: { at: number; speed: number }[];
  stretcher: TimeStretcher;
}

/**
 * Runs `x` through a fresh stretcher as a player would: offers writes, reads blocks, applies
 * speed changes at exact output positions, then `finish()` and reads until nothing is left.
 */
export function stretch(x: Float32Array, options: DriveOptions = {}): StretchRun {
  const map = new MapLog();
  const st = new TimeStretcher(RATE, map);
  if (options.speed !== undefined && options.speed !== 1) st.setSpeed(options.speed);
  const changes = options.changes ?? [];
  const applied: { at: number; speed: number }[] = [];
  let next = 0;
  const writeSize = options.writeSize ?? (() => x.length);
  const readSize = options.readSize ?? (() => 128);
  let out = new Float32Array(2 * x.length + 8 * MAX_PERIOD);
  let w = 0;
  let o = 0;
  let finished = false;
  let stalls = 0;
  for (;;) {
    while (next < changes.length && changes[next].at <= o) {
      st.setSpeed(changes[next].speed);
      applied.push({ at: o, speed: changes[next].speed });
      next++;
    }
    if (w < x.length) w += st.write(x, w, Math.max(1, Math.min(writeSize(), x.length - w)));
    else if (!finished) {
      st.finish();
      finished = true;
    }
    if (out.length - o < 4 * MAX_PERIOD) {
      const grown = new Float32Array(2 * out.length);
      grown.set(out);
      out = grown;
    }
    let want = Math.min(Math.max(1, readSize()), out.length - o);
    if (next < changes.length) want = Math.min(want, changes[next].at - o);
    const got = st.read(out, o, want);
    o += got;
    options.onRead?.(st, o, map);
    if (got === 0 && finished) break;
    // Guard against a stretcher that neither takes input nor makes output.
    stalls = got === 0 && st.space === 0 ? stalls + 1 : 0;
    if (stalls > 4) throw new Error(`stretcher stalled at input ${w}, output ${o}`);
  }
  return { out: out.slice(0, o), map, changes: applied, stretcher: st };
}

/** A sine of `n` samples at `freq` Hz, amplitude `amp`. */
export function tone(freq: number, n: number, amp = 0.5): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / RATE);
  return x;
}

/** Harmonics 1 … `count` of `f0` with amplitudes 1/k and fixed phases, peak about 0.5. */
export function harmonicComplex(f0: number, n: number, count = 12): Float32Array {
  const x = new Float32Array(n);
  let peak = 0;
  const sums = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 1; k <= count; k++) s += Math.sin((2 * Math.PI * k * f0 * i) / RATE + 0.7 * k * k) / k;
    sums[i] = s;
    peak = Math.max(peak, Math.abs(s));
  }
  for (let i = 0; i < n; i++) x[i] = (0.5 * sums[i]) / peak;
  return x;
}

let speechCache: Float32Array | null = null;
/** test/fixtures/speech-24k.s16le: 2.5 s of espeak-ng speech at 24 kHz. */
export function speech(): Float32Array {
  speechCache ??= loadFixture('speech-24k.s16le');
  return speechCache;
}

let voicesCache: Float32Array | null = null;
/**
 * Two espeak-ng voices for the pitch figures: the first 20 s of voice A
 * (test/fixtures/echo-far-a-16k.s16le) and voice B's twelve utterances
 * (echo-near-b-16k.s16le), taken from 16 kHz to 24 kHz by the player's own resampler. The
 * 2.5 s fixture alone has 48 output frames at 2×, 8 of them voiced and unambiguous: too few
 * for a percentage.
 */
export function voices(): Float32Array {
  if (!voicesCache) {
    const a = loadFixture('echo-far-a-16k.s16le').subarray(0, 20 * 16000);
    const b = loadFixture('echo-near-b-16k.s16le');
    const x = new Float32Array(a.length + b.length);
    x.set(a, 0);
    x.set(b, a.length);
    const rs = new StreamingResampler(16000, RATE);
    const out = new Float32Array(Math.ceil((x.length * RATE) / 16000) + 64);
    const n = rs.process(x, 0, x.length, out, 0, out.length);
    voicesCache = out.slice(0, n + rs.drain(out, n, out.length - n));
  }
  return voicesCache;
}

/** The speech fixture repeated to `n` samples. */
export function loopedSpeech(n: number): Float32Array {
  const s = speech();
  const x = new Float32Array(n);
  for (let i = 0; i < n; i += s.length) x.set(s.subarray(0, Math.min(s.length, n - i)), i);
  return x;
}

// ---------------------------------------------------------------------------------------------
// The figures

/** Duration error (samples) of `seconds` of looped speech at `speed`, and whether the map sums to the input. */
export function durationError(speed: number, seconds: number): { error: number; mapExact: boolean; problems: string[] } {
  const x = loopedSpeech(Math.round(seconds * RATE));
  const r = stretch(x, { speed });
  const t = r.map.totals();
  return { error: r.out.length - x.length / speed, mapExact: t.source === x.length && t.stretched === r.out.length, problems: r.map.problems };
}

/** One window of {@link liveChanges}. */
export interface SpeedWindow {
  from: number;
  to: number;
  target: number;
  measured: number;
}

/**
 * Live speed changes: `sequence` repeated, one step every `stepMs` of output, over `seconds` of
 * looped speech. Each window runs from one longest period after a change to the next change
 * (the last, cut by the end of the input, is left out).
 */
export function liveChanges(
  sequence = [1, 2, 0.5],
  stepMs = 200,
  seconds = 6,
): { windows: SpeedWindow[]; worst: number; backSteps: number; worstBack: number; problems: string[]; mapExact: boolean } {
  const x = loopedSpeech(Math.round(seconds * RATE));
  const step = Math.round((stepMs / 1000) * RATE);
  const changes: { at: number; speed: number }[] = [];
  for (let k = 1; k * step < 4 * x.length; k++) changes.push({ at: k * step, speed: sequence[k % sequence.length] });
  let last = -Infinity;
  let backSteps = 0;
  let worstBack = 0;
  const r = stretch(x, {
    speed: sequence[0],
    changes,
    onRead: (_st, o, map) => {
      if (o === 0) return;
      const s = map.sourceAt(o);
      if (s < last - 1e-6) {
        backSteps++;
        worstBack = Math.max(worstBack, last - s);
      }
      last = Math.max(last, s);
    },
  });
  const marks = [{ at: 0, speed: sequence[0] }, ...r.changes];
  const windows: SpeedWindow[] = [];
  for (let i = 0; i + 1 < marks.length; i++) {
    const from = marks[i].at + MAX_PERIOD;
    const to = marks[i + 1].at;
    if (to > r.out.length || to <= from) continue;
    const measured = (r.map.sourceAt(to) - r.map.sourceAt(from)) / (to - from);
    windows.push({ from, to, target: marks[i].speed, measured });
  }
  const worst = Math.max(...windows.map((w) => Math.abs(w.measured / w.target - 1)));
  const t = r.map.totals();
  return { windows, worst, backSteps, worstBack, problems: r.map.problems, mapExact: t.source === x.length && t.stretched === r.out.length };
}

/** F0 agreement of a stretched steady signal with its known F0. */
export function toneF0(x: Float32Array, f0: number, speed: number): { medianError: number; within: number } {
  const out = stretch(x, { speed }).out;
  const track = yinTrack(out, RATE);
  const a = compareF0(track.f0, new Float64Array(track.f0.length).fill(f0));
  return { medianError: a.medianError, within: a.within };
}

/**
 * The reference F0 of each frame of `output`: the input's F0 at the frame centre's source
 * position (the nearest input frame), through the map; NaN (no reference: {@link compareF0}
 * leaves the frame out) where the input's voicing changes within the frame's source span.
 *
 * Why: an output frame of length L at speed s is made from about L·s of input, so at 2× a
 * 40 ms frame covers 80 ms of speech. Where that span holds a voicing change, the frame is
 * part voiced and part not, and whether YIN calls it voiced depends on the mix, not on how well
 * the stretcher kept the pitch; at 2× twice as many frames straddle a change as at 1×, so
 * counting them measures the speed, not the stretcher (sox's WSOLA `tempo -s` scores 76 % at 2×
 * on the fixture that way, 96 % on the unambiguous frames). So the reference is defined only
 * where every input frame centred in the span [source(frame start), source(frame end)] agrees
 * on voicing; the frames left out are the ones whose right answer is ambiguous, at any speed.
 */
export function mappedReference(input: PitchTrack, output: PitchTrack, map: MapLog): Float64Array {
  const ref = new Float64Array(output.f0.length);
  const last = input.f0.length - 1;
  const half = input.frameLength / 2;
  for (let k = 0; k < ref.length; k++) {
    const s = map.sourceAt(output.centre[k]);
    const j = Math.round((s - half) / input.hop);
    ref[k] = input.f0[Math.max(0, Math.min(last, j))];
    // Input frames centred within the source span of this output frame.
    const a = map.sourceAt(output.centre[k] - output.frameLength / 2);
    const b = map.sourceAt(output.centre[k] + output.frameLength / 2);
    const j0 = Math.max(0, Math.ceil((a - half) / input.hop));
    const j1 = Math.min(last, Math.floor((b - half) / input.hop));
    for (let i = j0; i <= j1; i++) {
      if (input.f0[i] > 0 !== ref[k] > 0) {
        ref[k] = NaN;
        break;
      }
    }
  }
  return ref;
}

/**
 * Marks against the audio itself: for a mark every 0.25 s of the two voices, the output index
 * the map gives (the first output sample whose source position reaches the mark, as the
 * engine fires it) against where the marked 5 ms of source is found in the output by
 * normalised cross-correlation (within ±800 samples): the nearest lag whose correlation is
 * within 3 % of the best. Only windows with speech in them (RMS ≥ 0.01) and a clear match
 * (correlation ≥ 0.9) are compared; goal: within one longest period. `misplace` moves every
 * mark that many samples later (to check that the figure sees a wrong mark).
 */
export function markPlacement(speed: number, misplace = 0): { compared: number; worst: number; median: number } {
  const x = voices();
  const r = stretch(x, { speed });
  const out = r.out;
  const W = 120;
  const errors: number[] = [];
  for (let offset = 2400; offset + 4800 < x.length; offset += 6000) {
    let e = 0;
    for (let i = 0; i < W; i++) e += x[offset + i] * x[offset + i];
    if (Math.sqrt(e / W) < 0.01) continue;
    // The mark's output index: the first output sample mapped at or past the offset.
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r.map.sourceAt(mid) >= offset) hi = mid;
      else lo = mid + 1;
    }
    const mark = lo + misplace; // misplace: the metric's own check, a mark fired that late
    const from = Math.max(0, mark - 800);
    const to = Math.min(out.length - W, mark + 800);
    const corr = new Float64Array(to - from + 1);
    let bestCorr = -Infinity;
    for (let at = from; at <= to; at++) {
      let xy = 0;
      let yy = 0;
      for (let i = 0; i < W; i++) {
        xy += x[offset + i] * out[at + i];
        yy += out[at + i] * out[at + i];
      }
      corr[at - from] = yy > 0 ? xy / Math.sqrt(e * yy) : 0;
      if (corr[at - from] > bestCorr) bestCorr = corr[at - from];
    }
    if (bestCorr < 0.9) continue;
    // Voiced speech repeats every period, and slower playback repeats periods outright: every
    // lag that matches nearly as well as the best is an occurrence of the marked audio. The
    // error is the distance to the nearest one.
    let nearest = Infinity;
    for (let k = 0; k < corr.length; k++) if (corr[k] >= 0.97 * bestCorr && Math.abs(from + k - mark) < Math.abs(nearest)) nearest = from + k - mark;
    errors.push(nearest);
  }
  const abs = errors.map(Math.abs).sort((a, b) => a - b);
  return { compared: errors.length, worst: abs.length ? abs[abs.length - 1] : NaN, median: abs.length ? abs[abs.length >> 1] : NaN };
}

/** Mel-cepstra (c1…c13 of 40 mel bands, 25 ms Hann frames every 10 ms) of `x` at 24 kHz. */
export function melCepstra(x: Float32Array): Float64Array[] {
  const N = 1024;
  const frame = 600;
  const hop = 240;
  const bands = 40;
  const coeffs = 13;
  const fft = new Fft(N);
  const re = new Float64Array(N);
  const im = new Float64Array(N);
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const hz = (m: number) => 700 * (10 ** (m / 2595) - 1);
  const edges = Array.from({ length: bands + 2 }, (_, k) => (hz((k * mel(12000)) / (bands + 1)) * N) / RATE);
  const out: Float64Array[] = [];
  const logMel = new Float64Array(bands);
  for (let at = 0; at + frame <= x.length; at += hop) {
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < frame; i++) re[i] = x[at + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (frame - 1)));
    fft.forward(re, im);
    for (let b = 0; b < bands; b++) {
      let e = 1e-3; // a floor about 80 dB below a full-scale tone: digital silence would dominate the distance
      for (let k = Math.floor(edges[b]); k <= Math.ceil(edges[b + 2]) && k <= N / 2; k++) {
        const w = k < edges[b + 1] ? (k - edges[b]) / (edges[b + 1] - edges[b]) : (edges[b + 2] - k) / (edges[b + 2] - edges[b + 1]);
        if (w > 0) e += w * (re[k] * re[k] + im[k] * im[k]);
      }
      logMel[b] = Math.log(e);
    }
    const c = new Float64Array(coeffs);
    for (let d = 1; d <= coeffs; d++) {
      let sum = 0;
      for (let b = 0; b < bands; b++) sum += logMel[b] * Math.cos((Math.PI * d * (b + 0.5)) / bands);
      c[d - 1] = sum * Math.sqrt(2 / bands);
    }
    out.push(c);
  }
  return out;
}

/**
 * Mel-cepstral distance (dB) between `a` and `b` along their DTW alignment: the mean over the
 * path of (10 / ln 10)·√(2·Σ(cₐ − c_b)²), the usual MCD. Frames of silence in `b` (the
 * reference) count like any other.
 */
export function mcdAfterDtw(a: Float64Array[], b: Float64Array[]): number {
  const n = a.length;
  const m = b.length;
  const dist = (i: number, j: number) => {
    let sum = 0;
    for (let d = 0; d < a[i].length; d++) {
      const e = a[i][d] - b[j][d];
      sum += e * e;
    }
    return (10 / Math.LN10) * Math.sqrt(2 * sum);
  };
  // Cumulative cost and path length, row by row.
  let prevCost = new Float64Array(m).fill(Infinity);
  let prevLen = new Float64Array(m);
  let cost = new Float64Array(m);
  let len = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const d = dist(i, j);
      if (i === 0 && j === 0) {
        cost[j] = d;
        len[j] = 1;
        continue;
      }
      let best = Infinity;
      let bestLen = 0;
      if (i > 0 && prevCost[j] < best) [best, bestLen] = [prevCost[j], prevLen[j]];
      if (j > 0 && cost[j - 1] < best) [best, bestLen] = [cost[j - 1], len[j - 1]];
      if (i > 0 && j > 0 && prevCost[j - 1] < best) [best, bestLen] = [prevCost[j - 1], prevLen[j - 1]];
      cost[j] = best + d;
      len[j] = bestLen + 1;
    }
    [prevCost, cost] = [cost, prevCost];
    [prevLen, len] = [len, prevLen];
  }
  return prevCost[m - 1] / prevLen[m - 1];
}

/** `sox tempo -s` (WSOLA tuned for speech) of `x` at `speed`, or null without sox. Bench only: sox is never shipped. */
export function soxTempo(x: Float32Array, speed: number): Float32Array | null {
  const raw = ['-t', 'raw', '-r', String(RATE), '-e', 'floating-point', '-b', '32', '-c', '1', '-L'];
  const run = spawnSync('sox', [...raw, '-', ...raw, '-', 'tempo', '-s', String(speed)], {
    input: Buffer.from(x.buffer, x.byteOffset, x.byteLength),
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0 || !run.stdout) return null;
  const bytes = run.stdout as Buffer;
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~3)));
}

/** Mel-cepstral distance to the input after DTW, ours and sox's, over the first 10 s of the two voices. */
export function againstSox(speed: number): { ours: number; sox: number | null } {
  const x = voices().subarray(0, 10 * RATE);
  const reference = melCepstra(x);
  const ours = mcdAfterDtw(melCepstra(stretch(x, { speed }).out), reference);
  const theirs = soxTempo(x, speed);
  return { ours, sox: theirs ? mcdAfterDtw(melCepstra(theirs), reference) : null };
}

/** The two voices ({@link voices}) at `speed`: F0 against the time-mapped input, voicing agreement (over the `frames` with a reference), level. */
export function speechPitch(speed: number): { medianError: number; voicing: number; within: number; frames: number; levelDb: number } {
  const x = voices();
  const r = stretch(x, { speed });
  const input = yinTrack(x, RATE);
  const output = yinTrack(r.out, RATE);
  const a = compareF0(output.f0, mappedReference(input, output, r.map));
  return { medianError: a.medianError, voicing: a.voicing, within: a.within, frames: a.frames, levelDb: rmsDb(r.out) - rmsDb(x) };
}

/** Energy outside the tone (dB, overall and worst 20 ms frame) of a tone stretched at `speed`. */
export function toneClicks(freq: number, speed: number, seconds = 1.5): { db: number; worstFrameDb: number; levelDb: number } {
  const x = tone(freq, Math.round(seconds * RATE));
  const out = stretch(x, { speed }).out;
  const r = toneResidual(out, freq, RATE);
  return { db: r.db, worstFrameDb: r.worstFrameDb, levelDb: rmsDb(out, 1200, out.length - 1200) - rmsDb(x, 1200, x.length - 1200) };
}

/** Speed steps of 0.1 every `stepMs` of output: 1 → 2 → 0.5 → 1, repeated. */
export function rampChanges(totalOutput: number, stepMs = 20): { at: number; speed: number }[] {
  const steps: number[] = [];
  for (let k = 1; k <= 10; k++) steps.push(1 + k / 10);
  for (let k = 1; k <= 15; k++) steps.push(2 - k / 10);
  for (let k = 1; k <= 5; k++) steps.push(0.5 + k / 10);
  const step = Math.round((stepMs / 1000) * RATE);
  const changes: { at: number; speed: number }[] = [];
  for (let k = 1; k * step < totalOutput; k++) changes.push({ at: k * step, speed: Math.round(steps[(k - 1) % steps.length] * 10) / 10 });
  return changes;
}

/**
 * A tone through a speed ramp ({@link rampChanges}): energy outside the tone, and, for
 * information (no goal: a 20 ms step is shorter than most cycles), how far the speed measured
 * over each whole step strays from its target, and how far the source position has drifted
 * from Σ speed × output at the last whole step (positive: ahead).
 */
export function rampClicks(freq: number, seconds = 3): { db: number; worstFrameDb: number; levelDb: number; worstStepSpeedError: number; drift: number } {
  const x = tone(freq, Math.round(seconds * RATE));
  const r = stretch(x, { changes: rampChanges(4 * x.length) });
  const res = toneResidual(r.out, freq, RATE);
  const marks = [{ at: 0, speed: 1 }, ...r.changes];
  let worst = 0;
  let expected = 0;
  let drift = 0;
  for (let i = 0; i + 1 < marks.length; i++) {
    const from = marks[i].at;
    const to = marks[i + 1].at;
    if (to > r.out.length) break;
    const measured = (r.map.sourceAt(to) - r.map.sourceAt(from)) / (to - from);
    worst = Math.max(worst, Math.abs(measured / marks[i].speed - 1));
    expected += marks[i].speed * (to - from);
    drift = r.map.sourceAt(to) / expected - 1;
  }
  return {
    db: res.db,
    worstFrameDb: res.worstFrameDb,
    levelDb: rmsDb(r.out, 1200, r.out.length - 1200) - rmsDb(x, 1200, x.length - 1200),
    worstStepSpeedError: worst,
    drift,
  };
}

/** CPU cost over 60 s of speech at `speed` (or the plain copy loop), median of `runs`, as × real time. */
export function cost(speed: number | 'copy', runs = 5, seconds = 60): { xRealTime: number; runsMs: number[] } {
  const x = loopedSpeech(seconds * RATE);
  const out = new Float32Array(2 * x.length + 8 * MAX_PERIOD);
  const block = 128;
  const runsMs: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    if (speed === 'copy') {
      // The same shape of loop: a bounded input buffer written as it has room, 128-sample reads.
      const buf = new Float32Array(6 * MAX_PERIOD);
      let w = 0;
      let o = 0;
      let held = 0;
      while (w < x.length || held > 0) {
        const n = Math.min(buf.length - held, x.length - w);
        buf.set(x.subarray(w, w + n), held);
        w += n;
        held += n;
        const m = Math.min(block, held);
        out.set(buf.subarray(0, m), o);
        buf.copyWithin(0, m, held);
        held -= m;
        o += m;
      }
    } else {
      const st = new TimeStretcher(RATE);
      if (speed !== 1) st.setSpeed(speed);
      let w = 0;
      let o = 0;
      for (;;) {
        if (w < x.length) w += st.write(x, w, x.length - w);
        else st.finish();
        const got = st.read(out, o, block);
        o += got;
        if (got === 0 && w >= x.length) break;
      }
    }
    runsMs.push(performance.now() - t0);
  }
  return { xRealTime: (seconds * 1000) / median(runsMs), runsMs };
}

// ---------------------------------------------------------------------------------------------
// The bench

const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
const db = (v: number) => `${v.toFixed(1)} dB`;
const mark = (ok: boolean) => (ok ? 'met' : '**not met**');

async function main(): Promise<void> {
  const t0 = performance.now();
  const perSpeed = SPEEDS.map((speed) => {
    const d10 = durationError(speed, 10);
    const d60 = durationError(speed, 60);
    const tones = [...INTEGER_TONES.map((f) => ({ f, x: tone(f, 1.5 * RATE) })), { f: COMPLEX_F0, x: harmonicComplex(COMPLEX_F0, 1.5 * RATE) }].map(
      ({ f, x }) => toneF0(x, f, speed),
    );
    const sp = speechPitch(speed);
    const marks = markPlacement(speed);
    const mcd = againstSox(speed);
    const intClicks = INTEGER_TONES.map((f) => toneClicks(f, speed));
    const fracClicks = FRACTIONAL_TONES.map((f) => toneClicks(f, speed));
    return {
      speed,
      d10: d10.error,
      d60: d60.error,
      mapExact: d10.mapExact && d60.mapExact,
      toneMedian: Math.max(...tones.map((t) => t.medianError)),
      toneWithin: Math.min(...tones.map((t) => t.within)),
      speech: sp,
      marks,
      mcd,
      intDb: Math.max(...intClicks.map((c) => c.db)),
      intWorstFrame: Math.max(...intClicks.map((c) => c.worstFrameDb)),
      fracDb: Math.max(...fracClicks.map((c) => c.db)),
      fracWorstFrame: Math.max(...fracClicks.map((c) => c.worstFrameDb)),
      level: Math.max(Math.abs(sp.levelDb), ...intClicks.map((c) => Math.abs(c.levelDb)), ...fracClicks.map((c) => Math.abs(c.levelDb))),
    };
  });
  const live = liveChanges();
  const ramps = [100, 110, 170].map((f) => ({ f, ...rampClicks(f) }));
  const speed1 = stretch(speech());
  const bitExact = speed1.out.length === speech().length && speed1.out.every((v, i) => Object.is(v, speech()[i]));
  const costs = [...SPEEDS, 1].map((s) => ({ speed: s, ...cost(s) }));
  const copy = cost('copy');

  const worst = {
    duration: Math.max(...perSpeed.map((p) => Math.max(Math.abs(p.d10), Math.abs(p.d60)))),
    toneMedian: Math.max(...perSpeed.map((p) => p.toneMedian)),
    toneWithin: Math.min(...perSpeed.map((p) => p.toneWithin)),
    speechMedian: Math.max(...perSpeed.map((p) => p.speech.medianError)),
    speechVoicing: Math.min(...perSpeed.map((p) => p.speech.voicing)),
    intDb: Math.max(...perSpeed.map((p) => p.intDb)),
    otherDb: Math.max(...perSpeed.map((p) => p.fracDb), ...ramps.map((r) => r.db)),
    level: Math.max(...perSpeed.map((p) => p.level), ...ramps.map((r) => Math.abs(r.levelDb))),
    marks: Math.max(...perSpeed.map((p) => p.marks.worst)),
    /** Ours minus sox's mel-cepstral distance, worst speed (null without sox). */
    mcdMargin: perSpeed.some((p) => p.mcd.sox === null) ? null : Math.max(...perSpeed.map((p) => p.mcd.ours - p.mcd.sox!)),
  };
  const slowest = costs.filter((c) => c.speed !== 1).reduce((a, b) => (a.xRealTime < b.xRealTime ? a : b));
  const lines: string[] = [];
  lines.push('# Time-stretcher (issue 24)', '');
  lines.push(`\`npx tsx bench/stretch.ts\`, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, 24 kHz, speeds ${SPEEDS.join(', ')}.`, '');
  lines.push('| figure | goal | measured (worst over speeds) | |', '|---|---|---|---|');
  lines.push(
    `| duration error, 10 s and 60 s of speech | ≤ ${GOALS.durationSamples} samples | ${worst.duration.toFixed(1)} samples | ${mark(worst.duration <= GOALS.durationSamples)} |`,
  );
  lines.push(
    `| map pieces sum to the input after finish | exactly | ${perSpeed.every((p) => p.mapExact) && live.mapExact ? 'yes' : 'no'} | ${mark(perSpeed.every((p) => p.mapExact) && live.mapExact)} |`,
  );
  lines.push(
    `| live changes 1 → 2 → 0.5 / 200 ms: window speed error | ≤ 2 % | ${pct(live.worst)} over ${live.windows.length} windows | ${mark(live.worst <= GOALS.windowSpeedError)} |`,
  );
  lines.push(
    `| live changes: source map goes back | never | ${live.backSteps} times${live.problems.length ? `, ${live.problems.length} bad settles` : ''} | ${mark(live.backSteps === 0 && live.problems.length === 0)} |`,
  );
  lines.push(`| tones 100–300 Hz, complex 120 Hz: median F0 error | < 1 % | ${pct(worst.toneMedian)} | ${mark(worst.toneMedian < GOALS.toneF0Median)} |`);
  lines.push(`| tones: frames within 2 % | ≥ 95 % | ${pct(worst.toneWithin)} | ${mark(worst.toneWithin >= GOALS.toneF0Within)} |`);
  lines.push(`| speech: median F0 error (time-mapped) | < 3 % | ${pct(worst.speechMedian)} | ${mark(worst.speechMedian < GOALS.speechF0Median)} |`);
  lines.push(
    `| speech: voicing agreement (frames whose source span has one voicing) | > 90 % | ${pct(worst.speechVoicing)} | ${mark(worst.speechVoicing > GOALS.speechVoicing)} |`,
  );
  lines.push(`| clicks, integer-period tones: energy outside the tone | ≤ −40 dB | ${db(worst.intDb)} | ${mark(worst.intDb <= GOALS.clickIntegerDb)} |`);
  lines.push(`| clicks, 110 / 170 Hz and speed ramps | ≤ −30 dB | ${db(worst.otherDb)} | ${mark(worst.otherDb <= GOALS.clickOtherDb)} |`);
  lines.push(`| level: RMS out ÷ in | within ±1 dB | ${worst.level.toFixed(2)} dB | ${mark(worst.level <= GOALS.levelDb)} |`);
  lines.push(`| speed 1, never changed: output = input | bit for bit | ${bitExact ? 'yes' : 'no'} | ${mark(bitExact)} |`);
  lines.push(
    `| marks: mark frame against its audio found by cross-correlation (two voices) | within ${MAX_PERIOD} samples | ${worst.marks} samples | ${mark(worst.marks <= MAX_PERIOD)} |`,
  );
  lines.push(
    worst.mcdMargin === null
      ? '| mel-cepstral distance after DTW against `sox tempo -s` | ≤ sox + 1 dB | sox not installed | not measured |'
      : `| mel-cepstral distance to the input after DTW, ours − \`sox tempo -s\` (first 10 s of the two voices) | ≤ +1 dB | ${worst.mcdMargin >= 0 ? '+' : ''}${worst.mcdMargin.toFixed(2)} dB | ${mark(worst.mcdMargin <= 1)} |`,
  );
  lines.push(
    `| cost of the stretcher, slowest speed (${slowest.speed}×), share of the real-time budget on one core | ≤ 5 % | ${(100 / slowest.xRealTime).toFixed(2)} % (${slowest.xRealTime.toFixed(0)}× real time) | ${mark(100 / slowest.xRealTime <= 5)} |`,
  );
  lines.push('');
  lines.push('Mel-cepstral distance (dB) to the input after DTW alignment, ours and sox `tempo -s` (WSOLA for speech), by speed:', '');
  lines.push('| speed | ours | sox | marks: median / worst (samples, of n) |', '|---|---|---|---|');
  for (const p of perSpeed)
    lines.push(
      `| ${p.speed} | ${p.mcd.ours.toFixed(2)} | ${p.mcd.sox === null ? '—' : p.mcd.sox.toFixed(2)} | ${p.marks.median} / ${p.marks.worst} of ${p.marks.compared} |`,
    );
  lines.push('');
  lines.push('Per speed (duration error signed, output minus input ÷ speed; F0 and click figures are the worst over the tones):', '');
  lines.push(
    '| speed | duration 10 s / 60 s | tone F0 median / within 2 % | speech F0 median / voicing / within 2 % | clicks integer (worst 20 ms frame) | clicks 110, 170 Hz (worst frame) | level |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const p of perSpeed) {
    lines.push(
      `| ${p.speed} | ${p.d10.toFixed(1)} / ${p.d60.toFixed(1)} | ${pct(p.toneMedian)} / ${pct(p.toneWithin)} | ${pct(p.speech.medianError)} / ${pct(p.speech.voicing)} of ${p.speech.frames} frames / ${pct(p.speech.within)} | ${db(p.intDb)} (${db(p.intWorstFrame)}) | ${db(p.fracDb)} (${db(p.fracWorstFrame)}) | ${p.level.toFixed(2)} dB |`,
    );
  }
  lines.push('');
  lines.push('Speed ramps (steps of 0.1 every 20 ms of output, 1 → 2 → 0.5 → 1, 3 s of tone):', '');
  lines.push(
    '| tone | energy outside the tone (worst frame) | level | worst speed error over a 20 ms step (no goal) | source drift at the end (no goal) |',
    '|---|---|---|---|---|',
  );
  for (const r of ramps)
    lines.push(`| ${r.f} Hz | ${db(r.db)} (${db(r.worstFrameDb)}) | ${r.levelDb.toFixed(2)} dB | ${pct(r.worstStepSpeedError)} | ${pct(r.drift)} |`);
  lines.push('');
  lines.push('Cost over 60 s of speech, 128-sample reads, median of 5 (one core):', '');
  lines.push('| | ms | × real time |', '|---|---|---|');
  lines.push(`| plain copy loop (baseline) | ${median(copy.runsMs).toFixed(1)} | ${copy.xRealTime.toFixed(0)} |`);
  for (const c of costs)
    lines.push(`| stretcher at ${c.speed}${c.speed === 1 ? ' (copy path)' : ''} | ${median(c.runsMs).toFixed(1)} | ${c.xRealTime.toFixed(0)} |`);
  lines.push('', `Bench time ${((performance.now() - t0) / 1000).toFixed(1)} s.`, '');
  const md = lines.join('\n');
  console.log(md);
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(resolve(dir, 'stretch.md'), md);
  console.log('wrote bench/results/stretch.md');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
