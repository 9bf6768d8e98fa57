/**
 * Measurements of the streaming resampler (src/dsp/resampler.ts) against an ideal
 * reference, shared by `npm run fidelity` (scripts/fidelity.ts, which writes
 * docs/fidelity.md) and the fidelity unit tests (test/unit/dsp/fidelity.test.ts).
 * Node only; the reference is float64.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { besselI0, gcd, StreamingResampler, type ResamplerOptions } from '../src/dsp/resampler';

export const PAIRS: [number, number][] = [
  [24000, 48000],
  [24000, 44100],
  [22050, 48000],
  [16000, 48000],
  [16000, 44100],
  [48000, 44100],
];
export const REF_HALF_TAPS = 64; // per side at the lower rate: 129 taps
export const REF_BETA = 12;
export const EDGE = 512; // output samples left out at each end (start-up and drain)

/** The resampler under test over a whole signal, pulled in 128-frame blocks as the worklet does. */
export function resample(x: Float64Array, inRate: number, outRate: number, options?: ResamplerOptions): Float64Array {
  const rs = new StreamingResampler(inRate, outRate, options);
  const input = Float32Array.from(x);
  const total = Math.ceil((x.length * outRate) / inRate);
  const out = new Float32Array(total);
  let pos = 0;
  let made = 0;
  while (made < total) {
    const n = rs.process(input, pos, x.length - pos, out, made, Math.min(128, total - made));
    pos += rs.consumed;
    made += n;
    if (n === 0) made += rs.drain(out, made, total - made);
    if (n === 0 && rs.pendingDrain() === 0) break;
  }
  return Float64Array.from(out);
}

/** The ideal reference: a long Kaiser-windowed sinc at the lower Nyquist, in float64, one exact row per phase. */
export function reference(x: Float64Array, inRate: number, outRate: number): Float64Array {
  const g = gcd(inRate, outRate);
  const L = outRate / g;
  const M = inRate / g;
  const H = Math.ceil(REF_HALF_TAPS * Math.max(1, inRate / outRate));
  const fc = Math.min(inRate, outRate) / (2 * inRate); // cycles per input sample
  const i0 = besselI0(REF_BETA);
  const rows: Float64Array[] = [];
  for (let r = 0; r < L; r++) {
    const frac = r / L;
    const row = new Float64Array(2 * H);
    for (let m = 0; m < 2 * H; m++) {
      const d = frac + (H - 1 - m);
      const u = d / H;
      const w = Math.abs(u) >= 1 ? 0 : besselI0(REF_BETA * Math.sqrt(1 - u * u)) / i0;
      const a = 2 * Math.PI * fc * d;
      row[m] = 2 * fc * (d === 0 ? 1 : Math.sin(a) / a) * w;
    }
    rows.push(row);
  }
  const total = Math.ceil((x.length * outRate) / inRate);
  const out = new Float64Array(total);
  for (let k = 0; k < total; k++) {
    const num = k * M;
    const base = Math.floor(num / L);
    const row = rows[num % L];
    let acc = 0;
    for (let m = 0; m < 2 * H; m++) {
      const n = base - (H - 1) + m;
      if (n >= 0 && n < x.length) acc += x[n] * row[m];
    }
    out[k] = acc;
  }
  return out;
}

/**
 * Amplitudes of the frequencies `fs` (Hz) in `y` at `rate`, fitted jointly by least squares
 * over the middle: fitting the loud tone together with its faint image keeps the tone's
 * leakage out of the image's estimate when the two are close (near the Nyquist frequency).
 */
export function amplitudes(y: Float64Array, rate: number, fs: number[]): number[] {
  const n = 2 * fs.length;
  const A = Array.from({ length: n }, () => new Float64Array(n + 1));
  const basis = new Float64Array(n);
  for (let k = EDGE; k < y.length - EDGE; k++) {
    for (let j = 0; j < fs.length; j++) {
      const ph = (2 * Math.PI * fs[j] * k) / rate;
      basis[2 * j] = Math.sin(ph);
      basis[2 * j + 1] = Math.cos(ph);
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) A[i][j] += basis[i] * basis[j];
      A[i][n] += basis[i] * y[k];
    }
  }
  // Gauss-Jordan with partial pivoting on the normal equations.
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let j = c; j <= n; j++) A[r][j] -= f * A[c][j];
    }
  }
  return fs.map((_, j) => Math.hypot(A[2 * j][n] / A[2 * j][2 * j], A[2 * j + 1][n] / A[2 * j + 1][2 * j + 1]));
}

export const db = (x: number) => 20 * Math.log10(Math.max(x, 1e-12));

export function sine(rate: number, f: number, seconds: number): Float64Array {
  const x = new Float64Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * f * i) / rate);
  return x;
}

export function snr(out: Float64Array, ref: Float64Array): number {
  let s = 0;
  let e = 0;
  for (let k = EDGE; k < Math.min(out.length, ref.length) - EDGE; k++) {
    s += ref[k] * ref[k];
    e += (out[k] - ref[k]) ** 2;
  }
  return 10 * Math.log10(s / e);
}

/** Deterministic white noise at `rate`, low-passed to `edge` cycles per sample. */
export function bandLimitedNoise(rate: number, seconds: number, edge: number): Float64Array {
  let state = 12345;
  const raw = new Float64Array(Math.round(rate * seconds));
  for (let i = 0; i < raw.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    raw[i] = state / 0x1_0000_0000 - 0.5;
  }
  return lowpass(raw, edge);
}

/**
 * `raw` low-passed to `edge` cycles per sample: a 401-tap Kaiser-windowed sinc (β 10) cut
 * off a little below the edge, so the edge itself is down ~100 dB.
 */
export function lowpass(raw: Float64Array, edge: number): Float64Array {
  const H = 200;
  const fc = edge - 0.012;
  const h = new Float64Array(2 * H + 1);
  const i0 = besselI0(10);
  for (let m = -H; m <= H; m++) {
    const a = 2 * Math.PI * fc * m;
    h[m + H] = 2 * fc * (m === 0 ? 1 : Math.sin(a) / a) * (besselI0(10 * Math.sqrt(1 - (m / (H + 1)) ** 2)) / i0);
  }
  const x = new Float64Array(raw.length);
  for (let i = 0; i < x.length; i++) {
    let acc = 0;
    for (let m = -H; m <= H; m++) if (i - m >= 0 && i - m < raw.length) acc += raw[i - m] * h[m + H];
    x[i] = acc;
  }
  return x;
}

/** Exponential sweep from 50 Hz to `top` Hz. */
export function logSweep(rate: number, seconds: number, top: number): Float64Array {
  const n = Math.round(rate * seconds);
  const f0 = 50;
  const f1 = top;
  const k = Math.log(f1 / f0);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    x[i] = 0.5 * Math.sin(((2 * Math.PI * f0 * seconds) / k) * (Math.exp((t / seconds) * k) - 1));
  }
  return x;
}

/**
 * Real speech at `rate` (espeak-ng, then sox at its very-high quality), low-passed to 0.9
 * of `bandRate`'s Nyquist; null without the tools.
 */
export function speech(rate: number, bandRate: number): Float64Array | null {
  const dir = mkdtempSync(join(tmpdir(), 'voxplay-fidelity-'));
  try {
    const raw = join(dir, 'speech.wav');
    const pcm = join(dir, 'speech.f64');
    execFileSync(
      'espeak-ng',
      ['-v', 'en-us', '-s', '160', '-w', raw, 'Sixty-six sassy sisters sell seashells, and the quick brown fox jumps over the lazy dog.'],
      {
        stdio: 'ignore',
      },
    );
    execFileSync('sox', [raw, '-t', 'f64', '-c', '1', pcm, 'rate', '-v', String(rate)], { stdio: 'ignore' });
    const bytes = readFileSync(pcm);
    return lowpass(new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), (0.45 * bandRate) / rate);
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface PairResult {
  inRate: number;
  outRate: number;
  /** [fraction of the lower Nyquist, gain dB, image/alias dB or null]. */
  response: [number, number, number | null][];
  flatTo: number;
  gainAt09: number;
  worstImage: number;
  snr: { noise: number; sweep: number; speech: number | null };
}

export function measure(inRate: number, outRate: number, options?: ResamplerOptions, signals = true): PairResult {
  const nyq = Math.min(inRate, outRate) / 2;
  const response: [number, number, number | null][] = [];
  // In band: gain. Upsampling: the image of f lands at inRate − f. Downsampling: input above
  // the output's Nyquist (up to the input's) aliases to outRate − f.
  const top = inRate > outRate ? inRate / 2 / nyq : 1;
  for (let r = 0.02; r <= top + 1e-9; r += r < 0.8 ? 0.02 : 0.005) {
    const f = Math.min(r, 0.999 * top) * nyq;
    const y = resample(sine(inRate, f, 0.4), inRate, outRate, options);
    const inBand = f < nyq;
    // A least-squares fit needs its frequencies clear of 0 and of the output's Nyquist.
    const measurable = (g: number) => g > 0.005 * outRate && g < 0.495 * outRate;
    const target = inRate < outRate ? inRate - f : outRate - f;
    const withImage = (inRate < outRate || !inBand) && measurable(target) && Math.abs(target - f) > 1;
    const fit = inBand ? amplitudes(y, outRate, withImage ? [f, target] : [f]) : withImage ? amplitudes(y, outRate, [target]) : [];
    const gain = inBand ? db(fit[0] / 0.5) : NaN;
    const image = withImage ? db(fit[fit.length - 1] / 0.5) : null;
    response.push([f / nyq, gain, image]);
  }
  let flatTo = 0;
  for (const [r, g] of response) {
    if (Number.isNaN(g)) break;
    if (Math.abs(g) > 0.1) break;
    flatTo = r;
  }
  const near09 = response.reduce((best, p) => (Math.abs(p[0] - 0.9) < Math.abs(best[0] - 0.9) ? p : best));
  const worstImage = Math.max(...response.map((p) => p[2] ?? -Infinity));
  // Test signals fill the band the goals ask to keep: up to 0.9 of the lower Nyquist.
  const lower = Math.min(inRate, outRate);
  const noise = bandLimitedNoise(inRate, 1, (0.45 * lower) / inRate);
  const sweep = logSweep(inRate, 1.5, 0.45 * lower);
  const talk = signals ? speech(inRate, lower) : null;
  return {
    inRate,
    outRate,
    response,
    flatTo,
    gainAt09: near09[1],
    worstImage,
    snr: {
      noise: snr(resample(noise, inRate, outRate, options), reference(noise, inRate, outRate)),
      sweep: snr(resample(sweep, inRate, outRate, options), reference(sweep, inRate, outRate)),
      speech: talk ? snr(resample(talk, inRate, outRate, options), reference(talk, inRate, outRate)) : null,
    },
  };
}
