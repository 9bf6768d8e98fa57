/**
 * A simulated loudspeaker room for the echo canceller and the barge-in detector (issue 23): pure
 * TypeScript, Node only (reads the fixtures with node:fs), deterministic (seeded PRNG), no deps.
 *
 * The microphone is `mic = h ∗ NL(x) · a + s + n`, all at 16 kHz:
 * - `x`: the far end (the agent's voice), after the player's volume: that is also `ref`, the
 *   reference the detector gets (voxplay taps it after volume and mute);
 * - `NL`: the loudspeaker, a soft clip `tanh(clip·u)/clip` (unity gain for small signals), or
 *   linear when `clip` is 0 or absent;
 * - `h`: a room impulse response from {@link makeRir} (energy 1) after a bulk delay, and `a` the
 *   acoustic gain (`echoGainDb`, or `echoLevelDb` for an absolute level);
 * - `s`: the near end (the user), scaled to the signal-to-echo ratio `serDb`;
 * - `n`: white noise at `snrDb` below the echo (below the near end when there is no echo).
 *
 * Levels are *active* levels ({@link activePower}): the mean square over the 16 ms blocks whose
 * energy is at most {@link ACTIVE_RANGE_DB} below the loudest blocks (their 95th percentile), so
 * pauses and silence between utterances do not dilute them. SER = active near-end power over
 * active echo power, each over its own active blocks.
 */
import { Fft } from '../../src/echo/fft';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../unit/prng';

export const ROOM_RATE = 16000;
/** Blocks of the active-level measure (16 ms at 16 kHz). */
export const LEVEL_BLOCK = 256;
/** A block is active when its energy is within this many dB of the 95th-percentile block. */
export const ACTIVE_RANGE_DB = 30;

// (Not `new URL('../fixtures/', import.meta.url)`: under vitest's happy-dom environment URL is happy-dom's.)
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', '/');

/** Reads a signed 16-bit little-endian mono fixture from test/fixtures/ as floats in [−1, 1). */
export function loadFixture(name: string): Float32Array {
  const bytes = readFileSync(FIXTURES + name);
  const n = bytes.length >> 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes.readInt16LE(2 * i) / 32768;
  return out;
}

export interface Utterance {
  text: string;
  /** First sample, in the fixture. */
  start: number;
  /** One past the last sample. */
  end: number;
}

/** Voice B's utterances, from test/fixtures/echo-near-b-16k.json (made with the audio, exact). */
export function loadNearIndex(): Utterance[] {
  return (JSON.parse(readFileSync(FIXTURES + 'echo-near-b-16k.json', 'utf8')) as { utterances: Utterance[] }).utterances;
}

/** Voice A, the agent: 60 s at 16 kHz. */
export const FAR_FIXTURE = 'echo-far-a-16k.s16le';
/** Voice B, the user: 12 utterances (see {@link loadNearIndex}) at 16 kHz. */
export const NEAR_FIXTURE = 'echo-near-b-16k.s16le';

/**
 * The corner of {@link darken} for a darker far end: voice A through it sits 2–5 dB under the
 * ANSI male speech spectrum (third-octave levels at 1, 2, 3.15 and 4 kHz against 500 Hz), where
 * voice A itself is within 3 dB of it; the demo's mock voice is about 10 dB under it at 2–3 kHz.
 * A darker voice gives the canceller less of the band to learn from (`npm run bench:echo`
 * runs its false-barge-in scenario on both).
 */
export const DARK_HZ = 1500;

/**
 * `x` through a one-pole low-pass at `cornerHz` (−6 dB an octave over it, unity at DC): a far end
 * with a darker spectrum, less of the band above 1 kHz for the canceller to learn from.
 */
export function darken(x: Float32Array, cornerHz: number, sampleRate = ROOM_RATE): Float32Array {
  const a = Math.exp((-2 * Math.PI * cornerHz) / sampleRate);
  const y = new Float32Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s = (1 - a) * x[i] + a * s;
    y[i] = s;
  }
  return y;
}

/** `x` rotated left by `by` samples (wrapping): the same voice, starting elsewhere. */
export function rotate(x: Float32Array, by: number): Float32Array {
  const n = x.length;
  const s = ((by % n) + n) % n;
  const y = new Float32Array(n);
  y.set(x.subarray(s));
  y.set(x.subarray(0, s), n - s);
  return y;
}

/** Standard normal deviates from a uniform PRNG (Box–Muller). */
export function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - rand(); // (0, 1]
    const r = Math.sqrt(-2 * Math.log(u));
    const phi = 2 * Math.PI * rand();
    spare = r * Math.sin(phi);
    return r * Math.cos(phi);
  };
}

export interface RirOptions {
  /** Time for the energy to fall by 60 dB, in seconds. */
  rt60: number;
  sampleRate?: number;
  seed: number;
  /** Length of the response; default the RT60 (where it is 60 dB down), at most 600 ms. */
  lengthMs?: number;
  /** Sum of squares of the response; default 1 (so `echoGainDb` is the gain for white noise). */
  energy?: number;
  /**
   * Direct-to-reverberant ratio: a direct-path impulse at sample 0 with this much energy relative
   * to the decaying tail. Default 0 dB; `null` for the tail alone (pure exponentially decaying noise).
   */
  drrDb?: number | null;
}

/**
 * A synthetic room impulse response: white Gaussian noise under an exponential envelope whose
 * energy falls 60 dB in `rt60` (amplitude `10^(−3t/rt60)`), plus a direct-path impulse at sample 0,
 * normalised to `energy`. The bulk delay is not part of it ({@link simulateRoom} adds it).
 */
export function makeRir({ rt60, sampleRate = ROOM_RATE, seed, lengthMs, energy = 1, drrDb = 0 }: RirOptions): Float32Array {
  const ms = lengthMs ?? Math.min(1000 * rt60, 600);
  const n = Math.max(1, Math.round((ms * sampleRate) / 1000));
  const h = new Float64Array(n);
  const g = gaussian(mulberry32(seed));
  const k = (-3 * Math.LN10) / (rt60 * sampleRate); // ln of the amplitude decay per sample
  let tail = 0;
  for (let i = 0; i < n; i++) {
    h[i] = g() * Math.exp(k * i);
    tail += h[i] * h[i];
  }
  if (drrDb !== null) {
    // h[0] is part of the tail; replace it by the direct path.
    tail -= h[0] * h[0];
    h[0] = Math.sqrt(tail * 10 ** (drrDb / 10));
  }
  let e = 0;
  for (let i = 0; i < n; i++) e += h[i] * h[i];
  const scale = Math.sqrt(energy / e);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = h[i] * scale;
  return out;
}

// ---------------------------------------------------------------------------------------------
// FFT convolution (radix-2, in place, complex) for the room: RIRs up to ~0.6 s over minutes.

const transforms = new Map<number, Fft>();

/** In-place FFT of (re, im), length a power of two; `inverse` scales by 1/n. The library's own {@link Fft}. */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n & (n - 1) || im.length !== n) throw new Error(`fft: length ${n} is not a power of two`);
  let transform = transforms.get(n);
  if (!transform) {
    transform = new Fft(n);
    transforms.set(n, transform);
  }
  if (inverse) transform.inverse(re, im);
  else transform.forward(re, im);
}

/**
 * `y = h ∗ x` truncated to x's length, by overlap-add. h is real, so two consecutive input blocks
 * ride in one complex FFT (one as the real part, one as the imaginary) and come out apart.
 * `delay` shifts the result later by that many samples.
 */
export function convolve(x: Float32Array, h: Float32Array, delay = 0): Float32Array {
  const y = new Float32Array(x.length);
  const m = h.length;
  let n = 1;
  while (n < 2 * m) n <<= 1;
  n = Math.max(n, 4096);
  const l = n - m + 1; // input samples per block
  const hr = new Float64Array(n);
  const hi = new Float64Array(n);
  hr.set(h);
  fft(hr, hi);
  const br = new Float64Array(n);
  const bi = new Float64Array(n);
  const add = (out: Float64Array, start: number) => {
    const end = Math.min(n, y.length - start - delay);
    for (let i = 0; i < end; i++) y[start + delay + i] += out[i];
  };
  for (let start = 0; start < x.length - delay; start += 2 * l) {
    br.fill(0);
    bi.fill(0);
    for (let i = 0, e = Math.min(l, x.length - start); i < e; i++) br[i] = x[start + i];
    for (let i = 0, e = Math.min(l, x.length - start - l); i < e; i++) bi[i] = x[start + l + i];
    fft(br, bi);
    for (let k = 0; k < n; k++) {
      const r = br[k] * hr[k] - bi[k] * hi[k];
      bi[k] = br[k] * hi[k] + bi[k] * hr[k];
      br[k] = r;
    }
    fft(br, bi, true);
    add(br, start);
    if (start + l < x.length - delay) add(bi, start + l);
  }
  return y;
}

// ---------------------------------------------------------------------------------------------
// Levels.

/** Mean squares of consecutive {@link LEVEL_BLOCK}-sample blocks (a last partial block is dropped). */
export function blockPowers(x: Float32Array, from = 0, to = x.length): Float64Array {
  const blocks = Math.floor((to - from) / LEVEL_BLOCK);
  const p = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) {
    let s = 0;
    for (let i = from + b * LEVEL_BLOCK, e = i + LEVEL_BLOCK; i < e; i++) s += x[i] * x[i];
    p[b] = s / LEVEL_BLOCK;
  }
  return p;
}

/** The energy threshold above which a block of x counts as active (see the module comment). */
export function activeThreshold(x: Float32Array): number {
  const p = blockPowers(x);
  const sorted = Float64Array.from(p).sort();
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? 0;
  return p95 * 10 ** (-ACTIVE_RANGE_DB / 10);
}

/** Active power of x: the mean square over its active blocks (0 for silence). */
export function activePower(x: Float32Array): number {
  const threshold = activeThreshold(x);
  let sum = 0;
  let count = 0;
  for (const p of blockPowers(x)) {
    if (p > 0 && p >= threshold) {
      sum += p;
      count++;
    }
  }
  return count ? sum / count : 0;
}

export const dB = (power: number) => 10 * Math.log10(power);

// ---------------------------------------------------------------------------------------------
// The room.

export interface PathChange {
  /** The first microphone sample that hears the new path (the old room's tail is cut there). */
  atSample: number;
  rir: Float32Array;
  delayMs: number;
}

export interface RoomOptions {
  /** The far end before the player's volume, 16 kHz. Its length sets every output's. */
  far: Float32Array;
  /** The near end (already placed in time), zero-padded or cut to far's length. */
  near?: Float32Array;
  rir: Float32Array;
  /** Bulk delay between the reference and the echo's direct path (output latency + input latency + flight). */
  delayMs: number;
  /** Loudspeaker soft clip `tanh(clip·u)/clip`; 0 or absent: linear. */
  clip?: number;
  /** Active near-end power over active echo power, dB. Without it the near end is added as given. */
  serDb?: number;
  /** Noise: white, this many dB below the active echo (or near end when there is no echo). Default 30. */
  snrDb?: number;
  /** The room changes (someone moves the laptop): another RIR and delay from a sample on. */
  pathChange?: PathChange;
  /** The player's volume changes: x (and so ref) is multiplied by `gain` from `atSample` on. */
  volumeChange?: { atSample: number; gain: number };
  /** Acoustic gain applied after the loudspeaker, dB (default 0: the RIR's energy is 1). */
  echoGainDb?: number;
  /** Instead of echoGainDb: scale the echo to this active level, dBFS (10·log10 of mean square). */
  echoLevelDb?: number;
  /** Seed of the noise. Default 1. */
  seed?: number;
}

export interface Room {
  /** What the microphone captures: echo + nearScaled + noise. */
  mic: Float32Array;
  /** What the player output (x after the volume change), at the same instants as mic. */
  ref: Float32Array;
  echo: Float32Array;
  nearScaled: Float32Array;
  noise: Float32Array;
  /** The linear gain applied to `near`. */
  nearGain: number;
  /** The acoustic gain `a` applied to the echo. */
  echoGain: number;
}

/** Simulates the room; see the module comment. */
export function simulateRoom(o: RoomOptions): Room {
  const n = o.far.length;
  const ref = Float32Array.from(o.far);
  if (o.volumeChange) for (let i = Math.max(0, o.volumeChange.atSample); i < n; i++) ref[i] *= o.volumeChange.gain;

  const clip = o.clip ?? 0;
  const driven = clip > 0 ? ref.map((u) => Math.tanh(clip * u) / clip) : ref;
  const samples = (ms: number) => Math.round((ms * ROOM_RATE) / 1000);
  const echo = convolve(driven, o.rir, samples(o.delayMs));
  if (o.pathChange) {
    const at = Math.max(0, Math.min(n, o.pathChange.atSample));
    const after = convolve(driven, o.pathChange.rir, samples(o.pathChange.delayMs));
    echo.set(after.subarray(at), at);
  }
  let echoGain = 10 ** ((o.echoGainDb ?? 0) / 20);
  if (o.echoLevelDb !== undefined) {
    const p = activePower(echo);
    echoGain = p > 0 ? Math.sqrt(10 ** (o.echoLevelDb / 10) / p) : 0;
  }
  for (let i = 0; i < n; i++) echo[i] *= echoGain;
  const echoPower = activePower(echo);

  const nearScaled = new Float32Array(n);
  let nearGain = 0;
  if (o.near) {
    nearScaled.set(o.near.subarray(0, n));
    nearGain = 1;
    if (o.serDb !== undefined) {
      const p = activePower(nearScaled);
      if (p > 0 && echoPower > 0) nearGain = Math.sqrt((echoPower * 10 ** (o.serDb / 10)) / p);
    }
    for (let i = 0; i < n; i++) nearScaled[i] *= nearGain;
  }

  const noise = new Float32Array(n);
  const signalPower = echoPower > 0 ? echoPower : activePower(nearScaled);
  const sigma = Math.sqrt(signalPower * 10 ** (-(o.snrDb ?? 30) / 10));
  const g = gaussian(mulberry32(o.seed ?? 1));
  for (let i = 0; i < n; i++) noise[i] = sigma * g();

  const mic = new Float32Array(n);
  for (let i = 0; i < n; i++) mic[i] = echo[i] + nearScaled[i] + noise[i];
  return { mic, ref, echo, nearScaled, noise, nearGain, echoGain };
}

export interface RoomConfig {
  name: string;
  rt60: number;
  delayMs: number;
  /** Loudspeaker soft clip drive (0: linear). */
  clip: number;
  /** Seed of the RIR (the bench adds its own per run). */
  seed: number;
}

/**
 * The rooms of the bench and the tests: RT60 0.2–0.6 s, bulk delays 10–400 ms (a wired laptop's
 * few ms up to a Bluetooth speaker's), two with a soft-clipping loudspeaker. On voice A at full
 * volume (peaks at −3 dBFS) a drive of 3 leaves the clipped signal 17 dB above its distortion (the
 * part no linear filter of x explains), a small speaker pushed hard; 1.5 leaves 26 dB.
 */
export const ROOMS: readonly RoomConfig[] = [
  { name: 'booth-10ms', rt60: 0.2, delayMs: 10, clip: 0, seed: 101 },
  { name: 'laptop-40ms-clip', rt60: 0.25, delayMs: 40, clip: 3, seed: 102 },
  { name: 'office-80ms', rt60: 0.35, delayMs: 80, clip: 0, seed: 103 },
  { name: 'kitchen-150ms', rt60: 0.45, delayMs: 150, clip: 0, seed: 104 },
  { name: 'lounge-250ms-clip', rt60: 0.5, delayMs: 250, clip: 1.5, seed: 105 },
  { name: 'hall-400ms', rt60: 0.6, delayMs: 400, clip: 0, seed: 106 },
];

/** The RIR the bench and the tests draw for `room` with a per-run `seed`. */
export const rirOf = (room: RoomConfig, seed: number): Float32Array => makeRir({ rt60: room.rt60, seed: room.seed * 1000 + seed });
