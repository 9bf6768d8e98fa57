/**
 * `npm run bench:echo` (= `npx tsx bench/echo.ts`): the echo-aware barge-in detector (issue 23)
 * side by side with what apps do today, in the simulated room of test/support/echo-room.ts. Node
 * only, one core, deterministic (seeded) apart from the cost figure; about 3 minutes. It is
 * not part of `npm run bench`, which drives a browser.
 *
 *   npx tsx bench/echo.ts                     # everything; prints markdown, writes bench/results/echo.{md,json}
 *   ECHO_BENCH_QUICK=1 npx tsx bench/echo.ts  # about a sixth of the audio; prints only
 *
 * Contenders, each fed 16 ms blocks (256 samples at 16 kHz) of microphone and reference:
 * - `energy VAD`: RMS of the raw microphone against a threshold 12 dB over the noise floor (the
 *   floor is the simulated noise's, as if calibrated in silence); onset after 2 blocks over it,
 *   and the app interrupts at the onset; speech ends after 320 ms under it.
 * - `energy VAD + 0.5 s`: the same VAD behind LiveKit's rule (`min_interruption_duration` 0.5 s):
 *   a barge-in once its speech has lasted 0.5 s.
 * - `EchoDetector` (src/echo/echo-detector.ts), default options, fresh for every stream.
 *
 * Scenarios:
 * - (a) False barge-ins: voice A alone through every room, 5 streams of 60 s each (30 min), echo
 *   0 to +10 dB over the nominal near-end level (−26 dBFS active), with an echo-path change and a
 *   player-volume change mid-stream in some; then the same 30 min with voice A darker (a one-pole
 *   low-pass at `DARK_HZ`, 1.5 kHz; `ECHO_BENCH_DARK_HZ=400` for one as dark as the demo's mock
 *   voice): the path-change defence once held on voice A alone. Every barge-in is false.
 * - (b) Recall and latency: voice B's utterances (0.32–1.39 s) at random times from 2 s on, 3–5 s
 *   apart, over voice A, at SER −15 … +5 dB (active near-end power over active echo power). A hit
 *   is a `bargein` between the onset and 1000 ms after it; latencies run from the onset to the end
 *   of the block whose `process()` returned the event (for the energy VAD its onset counts as both
 *   `speechstart` and `bargein`). Barge-ins outside [onset, utterance end + 1 s] are false.
 * - (c) The canceller: voice A alone at 60 dB SNR (at 30 dB the noise caps a measurable ERLE near
 *   30 dB; the 30 dB figure is also given, from scenario (a)), the room's RIR replaced at 30 s.
 *   ERLE = 10·log10(Σmic²/Σout²) over the blocks where the echo is active, from 2 s to the change.
 *   Convergence: seconds of far-end speech (active blocks only) until the ERLE over the last 16
 *   active blocks (256 ms) first reaches 20 dB ("reach"), and until it stays there up to the change
 *   or the end ("stays"); the same from the change for re-convergence.
 * - (d) The demo's loudspeaker room (demo/loudspeaker-room.ts): the mock server's voice, a room
 *   like the demo's, and "Wait a second." talked over it as test/browser/demo.test.ts does (up to
 *   three talks 2.3 s apart; the first barge-in ends the run): how many are heard at which talk.
 * - Cost: CPU time of one EchoDetector over 60 s of one room, median of 5, as × real time.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EchoDetector, ECHO_BLOCK, ECHO_RATE } from '../src/echo/echo-detector.ts';
import {
  activeThreshold,
  blockPowers,
  convolve,
  DARK_HZ,
  darken,
  FAR_FIXTURE,
  loadFixture,
  loadNearIndex,
  makeRir,
  NEAR_FIXTURE,
  rirOf,
  ROOMS,
  rotate,
  simulateRoom,
  type Room,
  type RoomOptions,
} from '../test/support/echo-room.ts';
import { mulberry32 } from '../test/unit/prng.ts';
import { synthesize } from '../demo/server/voice.ts';

const QUICK = !!process.env.ECHO_BENCH_QUICK;
const RATE = ECHO_RATE;
const BLOCK = ECHO_BLOCK;
const BLOCK_MS = (BLOCK / RATE) * 1000;
/** EchoDetector writes `out` one block late: the out of mic block b comes from process() call b + 1. */
const OUT_LAG_BLOCKS = 1;
/** Active level of a near-end talker at the microphone, dBFS: the "nominal" level echo is compared to. */
const NEAR_NOMINAL_DBFS = -26;
const SERS_DB = [-15, -10, -5, 0, 5];
const STREAM_S = 60;

type DetectorEvent = 'speechstart' | 'bargein' | 'rejected';
interface BlockDetector {
  process(mic: Float32Array, ref: Float32Array, out: Float32Array): DetectorEvent | null;
}

/** Energy VAD on the raw microphone; `minSpeechMs` > 0 adds LiveKit's minimum interruption duration. */
class EnergyVad implements BlockDetector {
  private speaking = false;
  private confirmed = false;
  private run = 0;
  private elapsed = 0;
  private silent = 0;
  private readonly minBlocks: number;
  private static readonly ONSET_BLOCKS = 2;
  private static readonly HANGOVER_BLOCKS = 20; // 320 ms

  constructor(
    private readonly threshold: number,
    minSpeechMs: number,
  ) {
    this.minBlocks = Math.ceil(minSpeechMs / BLOCK_MS);
  }

  process(mic: Float32Array, _ref: Float32Array, out: Float32Array): DetectorEvent | null {
    out.set(mic);
    let e = 0;
    for (let i = 0; i < mic.length; i++) e += mic[i] * mic[i];
    const active = e / mic.length >= this.threshold;
    if (!this.speaking) {
      this.run = active ? this.run + 1 : 0;
      if (this.run < EnergyVad.ONSET_BLOCKS) return null;
      this.speaking = true;
      this.elapsed = this.run;
      this.silent = 0;
      this.confirmed = this.minBlocks === 0;
      return this.confirmed ? 'bargein' : 'speechstart';
    }
    this.elapsed++;
    this.silent = active ? 0 : this.silent + 1;
    if (this.silent >= EnergyVad.HANGOVER_BLOCKS) {
      this.speaking = false;
      this.run = 0;
      return this.confirmed ? null : 'rejected';
    }
    if (!this.confirmed && this.elapsed >= this.minBlocks) {
      this.confirmed = true;
      return 'bargein';
    }
    return null;
  }
}

interface Contender {
  name: string;
  /** Its onset is its barge-in (no `speechstart` first): counted as both. */
  onsetIsBargein?: boolean;
  /** `noisePower`: mean square of the room's noise (the energy VAD's calibration). */
  make(noisePower: number): BlockDetector;
}

const VAD_OVER_FLOOR_DB = 12;
const CONTENDERS: Contender[] = [
  { name: 'energy VAD', onsetIsBargein: true, make: (noise) => new EnergyVad(noise * 10 ** (VAD_OVER_FLOOR_DB / 10), 0) },
  { name: 'energy VAD + 0.5 s (LiveKit)', make: (noise) => new EnergyVad(noise * 10 ** (VAD_OVER_FLOOR_DB / 10), 500) },
  { name: 'EchoDetector', make: () => new EchoDetector() },
];
const OURS = CONTENDERS.length - 1;

interface StreamRun {
  /** Per contender: [block index, event] in order. */
  events: [number, DetectorEvent][][];
  /** EchoDetector's output, as written (OUT_LAG_BLOCKS late). */
  out: Float32Array;
  /** EchoDetector's report, sampled every block (delayMs only) at the blocks asked for. */
  delayAt: Map<number, number>;
  mode: string;
}

function meanSquare(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s / x.length;
}

function runStream(room: Room, delayProbes: number[] = []): StreamRun {
  const noise = meanSquare(room.noise);
  const detectors = CONTENDERS.map((c) => c.make(noise));
  const ours = detectors[OURS] as EchoDetector;
  const blocks = Math.floor(room.mic.length / BLOCK);
  const events: [number, DetectorEvent][][] = detectors.map(() => []);
  const out = new Float32Array(blocks * BLOCK);
  const scratch = new Float32Array(BLOCK);
  const delayAt = new Map<number, number>();
  const probes = new Set(delayProbes);
  for (let b = 0; b < blocks; b++) {
    const mic = room.mic.subarray(b * BLOCK, (b + 1) * BLOCK);
    const ref = room.ref.subarray(b * BLOCK, (b + 1) * BLOCK);
    for (let d = 0; d < detectors.length; d++) {
      const e = detectors[d].process(mic, ref, d === OURS ? out.subarray(b * BLOCK, (b + 1) * BLOCK) : scratch);
      if (e) events[d].push([b, e]);
    }
    if (probes.has(b)) delayAt.set(b, ours.report.delayMs);
  }
  return { events, out, delayAt, mode: ours.report.mode };
}

// ---------------------------------------------------------------------------------------------
// Statistics.

const sortNum = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => (xs.length ? sortNum(xs)[(xs.length - 1) >> 1] : NaN);
/** Nearest-rank percentile. */
const percentile = (xs: number[], p: number) => (xs.length ? sortNum(xs)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)] : NaN);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
const fmt = (x: number | null | undefined, digits = 0) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits));

const far0 = loadFixture(FAR_FIXTURE);
/** The false-barge-in scenario's far ends: voice A, and voice A darker (ECHO_BENCH_DARK_HZ overrides the corner). */
const DARK_CORNER_HZ = Number(process.env.ECHO_BENCH_DARK_HZ ?? DARK_HZ);
const FAR_ENDS = [
  { name: 'voice A', samples: far0 },
  { name: `voice A darker (${DARK_CORNER_HZ} Hz low-pass)`, samples: darken(far0, DARK_CORNER_HZ) },
];
if (far0.length !== STREAM_S * RATE) throw new Error(`${FAR_FIXTURE}: expected ${STREAM_S} s`);
const nearVoice = loadFixture(NEAR_FIXTURE);
const nearIndex = loadNearIndex();

const t0 = performance.now();
const log = (line: string) => console.log(`[echo ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);

// ---------------------------------------------------------------------------------------------
// (a) False barge-ins during agent speech.

interface Variant {
  name: string;
  echoOverNearDb: number;
  change?: 'path' | 'path+delay' | 'volume down' | 'volume up';
}
const VARIANTS: Variant[] = [
  { name: '+10 dB', echoOverNearDb: 10 },
  { name: '+10 dB, path change at 30 s', echoOverNearDb: 10, change: 'path' },
  { name: '+5 dB, volume −6 dB at 20 s', echoOverNearDb: 5, change: 'volume down' },
  { name: '+10 dB, path and delay change at 30 s', echoOverNearDb: 10, change: 'path+delay' },
  { name: '0 dB, volume +6 dB at 20 s', echoOverNearDb: 0, change: 'volume up' },
];

interface FalseResult {
  minutes: number;
  perContender: {
    name: string;
    speechstarts: number;
    bargeins: number;
    speechstartsPerMin: number;
    bargeinsPerMin: number;
    /** How long a false duck lasts: `speechstart` to its `rejected` (or `bargein`), median and max ms. */
    duckMedianMs: number;
    duckMaxMs: number;
  }[];
  /** EchoDetector's false barge-ins, where. */
  oursAt: { room: string; variant: string; atS: number }[];
  /** EchoDetector's ERLE over the steady streams' far-end blocks after 2 s, 30 dB SNR, per room. */
  erleAt30dbSnr: { room: string; erleDb: number }[];
}

function scenarioFalse(): FalseResult {
  const variants = QUICK && process.env.ECHO_BENCH_ONLY !== 'false' ? VARIANTS.slice(0, 1) : VARIANTS;
  const counts = CONTENDERS.map(() => ({ speechstarts: 0, bargeins: 0, ducksMs: [] as number[] }));
  const oursAt: FalseResult['oursAt'] = [];
  const erleAt30dbSnr: FalseResult['erleAt30dbSnr'] = [];
  let seconds = 0;
  for (const [fi, farEnd] of FAR_ENDS.entries()) {
    for (const [ri, room] of ROOMS.entries()) {
      for (const [k, v] of variants.entries()) {
        const far = rotate(farEnd.samples, (12 * k + 5 * ri) * RATE);
        const options: RoomOptions = {
          far,
          rir: rirOf(room, k),
          delayMs: room.delayMs,
          clip: room.clip,
          echoLevelDb: NEAR_NOMINAL_DBFS + v.echoOverNearDb,
          seed: 100 * ri + k,
        };
        if (v.change === 'path' || v.change === 'path+delay') {
          const other = ROOMS[(ri + 2) % ROOMS.length];
          options.pathChange = { atSample: 30 * RATE, rir: rirOf(room, 50 + k), delayMs: v.change === 'path' ? room.delayMs : other.delayMs };
        } else if (v.change === 'volume down') {
          options.volumeChange = { atSample: 20 * RATE, gain: 0.5 };
        } else if (v.change === 'volume up') {
          options.far = far.map((s) => s * 0.5);
          options.volumeChange = { atSample: 20 * RATE, gain: 2 };
        }
        const r = simulateRoom(options);
        const run = runStream(r);
        seconds += far.length / RATE;
        run.events.forEach((evs, d) => {
          let duckFrom = -1;
          for (const [b, e] of evs) {
            if (e === 'speechstart' || (e === 'bargein' && CONTENDERS[d].onsetIsBargein)) counts[d].speechstarts++;
            if (e === 'speechstart') duckFrom = b;
            else if (duckFrom >= 0) {
              counts[d].ducksMs.push(((b - duckFrom) * BLOCK * 1000) / RATE);
              duckFrom = -1;
            }
            if (e === 'bargein') {
              counts[d].bargeins++;
              if (d === OURS) oursAt.push({ room: room.name, variant: `${farEnd.name}, ${v.name}`, atS: ((b + 1) * BLOCK) / RATE });
            }
          }
        });
        if (!v.change && fi === 0) erleAt30dbSnr.push({ room: room.name, erleDb: erle(r, run.out, 2 * RATE, r.mic.length) });
      }
      log(`(a) ${farEnd.name}, ${room.name}: ${CONTENDERS.map((c, d) => `${c.name} ${counts[d].bargeins}`).join(', ')} barge-ins so far`);
    }
  }
  const minutes = seconds / 60;
  return {
    minutes,
    perContender: CONTENDERS.map((c, d) => ({
      name: c.name,
      speechstarts: counts[d].speechstarts,
      bargeins: counts[d].bargeins,
      duckMedianMs: median(counts[d].ducksMs),
      duckMaxMs: max(counts[d].ducksMs),
      speechstartsPerMin: counts[d].speechstarts / minutes,
      bargeinsPerMin: counts[d].bargeins / minutes,
    })),
    oursAt,
    erleAt30dbSnr,
  };
}

// ---------------------------------------------------------------------------------------------
// (b) Recall and latency of near-end utterances over agent speech.

interface RecallRow {
  serDb: number;
  name: string;
  utterances: number;
  hits: number;
  recall: number;
  speechstartMedianMs: number;
  speechstartP95Ms: number;
  /** Utterances without a speechstart (or energy-VAD onset) in their first second. */
  speechstartMissing: number;
  bargeinMedianMs: number;
  bargeinP95Ms: number;
  bargeinMaxMs: number;
  /** Hits whose `bargein` came more than 400 ms after the onset. */
  bargeinOver400: number;
  falseBargeinsPerMin: number;
}

function scenarioRecall(): RecallRow[] {
  const rows: RecallRow[] = [];
  const rooms = QUICK ? ROOMS.filter((_, i) => i % 2 === 0) : ROOMS;
  for (const [si, serDb] of SERS_DB.entries()) {
    const acc = CONTENDERS.map(() => ({ utterances: 0, hits: 0, ss: [] as number[], ssMissing: 0, bi: [] as number[], falseBi: 0 }));
    let seconds = 0;
    for (const [ri, room] of rooms.entries()) {
      const seed = 1000 * si + ri;
      const rand = mulberry32(seed);
      const seconds0 = QUICK ? 20 : STREAM_S;
      const far = rotate(far0, (7 * ri + 3 * si) * RATE).subarray(0, seconds0 * RATE);
      const near = new Float32Array(far.length);
      const spans: [number, number][] = [];
      for (let t = Math.round((2 + rand()) * RATE); ;) {
        const u = nearIndex[Math.floor(rand() * nearIndex.length)];
        const len = u.end - u.start;
        if (t + len > far.length - 1.2 * RATE) break;
        near.set(nearVoice.subarray(u.start, u.end), t);
        spans.push([t, t + len]);
        t += len + Math.round((3 + 2 * rand()) * RATE);
      }
      const r = simulateRoom({
        far,
        near,
        rir: rirOf(room, 200 + si),
        delayMs: room.delayMs,
        clip: room.clip,
        serDb,
        echoLevelDb: NEAR_NOMINAL_DBFS,
        seed,
      });
      const run = runStream(r);
      seconds += far.length / RATE;
      run.events.forEach((evs, d) => {
        const a = acc[d];
        const endOf = (b: number) => (b + 1) * BLOCK; // the event is known at the end of its block
        for (const [onset] of spans) {
          a.utterances++;
          const inWindow = evs.filter(([b]) => endOf(b) > onset && endOf(b) <= onset + RATE);
          const ss = inWindow.find(([, e]) => e === 'speechstart' || e === 'bargein');
          const bi = inWindow.find(([, e]) => e === 'bargein');
          if (ss) a.ss.push(((endOf(ss[0]) - onset) / RATE) * 1000);
          else a.ssMissing++;
          if (bi) {
            a.hits++;
            a.bi.push(((endOf(bi[0]) - onset) / RATE) * 1000);
          }
        }
        for (const [b, e] of evs) {
          if (e !== 'bargein') continue;
          const t = endOf(b);
          if (!spans.some(([onset, end]) => t > onset && t <= end + RATE)) a.falseBi++;
        }
      });
    }
    CONTENDERS.forEach((c, d) => {
      const a = acc[d];
      rows.push({
        serDb,
        name: c.name,
        utterances: a.utterances,
        hits: a.hits,
        recall: a.hits / a.utterances,
        speechstartMedianMs: median(a.ss),
        speechstartP95Ms: percentile(a.ss, 95),
        speechstartMissing: a.ssMissing,
        bargeinMedianMs: median(a.bi),
        bargeinP95Ms: percentile(a.bi, 95),
        bargeinMaxMs: max(a.bi),
        bargeinOver400: a.bi.filter((ms) => ms > 400).length,
        falseBargeinsPerMin: a.falseBi / (seconds / 60),
      });
    });
    log(`(b) SER ${serDb} dB: EchoDetector recall ${(100 * rows[rows.length - 1].recall).toFixed(1)} %`);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// (c) The canceller.

/** Active blocks of the echo (its own activity threshold) in [from, to) samples. */
function activeBlocks(echo: Float32Array, from: number, to: number): number[] {
  const threshold = activeThreshold(echo);
  const p = blockPowers(echo);
  const out: number[] = [];
  for (let b = Math.ceil(from / BLOCK); b < Math.min(p.length, Math.floor(to / BLOCK)); b++) if (p[b] >= threshold) out.push(b);
  return out;
}

function blockEnergy(x: Float32Array, b: number): number {
  let s = 0;
  for (let i = b * BLOCK, e = Math.min(x.length, i + BLOCK); i < e; i++) s += x[i] * x[i];
  return s;
}

/** ERLE over the echo's active blocks in [from, to), mic against EchoDetector's output. */
function erle(room: Room, out: Float32Array, from: number, to: number): number {
  let m = 0;
  let o = 0;
  for (const b of activeBlocks(room.echo, from, to - OUT_LAG_BLOCKS * BLOCK)) {
    m += blockEnergy(room.mic, b);
    o += blockEnergy(out, b + OUT_LAG_BLOCKS);
  }
  return 10 * Math.log10(m / (o + 1e-30));
}

const WINDOW_BLOCKS = 16; // 256 ms of far-end speech
const TARGET_DB = 20;

/** Seconds of far-end speech from `from` until the smoothed ERLE reaches 20 dB, and until it stays there up to `to`. */
function convergence(room: Room, out: Float32Array, from: number, to: number): { reachS: number | null; staysS: number | null } {
  const blocks = activeBlocks(room.echo, from, to - OUT_LAG_BLOCKS * BLOCK);
  const m = blocks.map((b) => blockEnergy(room.mic, b));
  const o = blocks.map((b) => blockEnergy(out, b + OUT_LAG_BLOCKS));
  let reach: number | null = null;
  let lastBelow = -1;
  let sm = 0;
  let so = 0;
  for (let j = 0; j < blocks.length; j++) {
    sm += m[j];
    so += o[j];
    if (j >= WINDOW_BLOCKS) {
      sm -= m[j - WINDOW_BLOCKS];
      so -= o[j - WINDOW_BLOCKS];
    }
    if (j < WINDOW_BLOCKS - 1) continue;
    const ok = 10 * Math.log10(sm / (so + 1e-30)) >= TARGET_DB;
    if (ok && reach === null) reach = j + 1;
    if (!ok) lastBelow = j;
  }
  const stays = lastBelow === blocks.length - 1 ? null : Math.max(lastBelow + 1, WINDOW_BLOCKS - 1) + 1;
  const s = (k: number | null) => (k === null ? null : (k * BLOCK) / RATE);
  return { reachS: s(reach), staysS: s(stays) };
}

interface CancellerRow {
  room: string;
  rt60: number;
  delayMs: number;
  clip: number;
  erle2sDb: number;
  erleAfterChangeDb: number;
  reachS: number | null;
  staysS: number | null;
  reconvReachS: number | null;
  reconvStaysS: number | null;
  delayEstimateMs: number;
  mode: string;
}

const CHANGE_S = 30;

function scenarioCanceller(): CancellerRow[] {
  return ROOMS.map((room, ri) => {
    const r = simulateRoom({
      far: rotate(far0, 9 * ri * RATE),
      rir: rirOf(room, 300),
      delayMs: room.delayMs,
      clip: room.clip,
      echoLevelDb: NEAR_NOMINAL_DBFS + 10,
      snrDb: 60,
      seed: 300 + ri,
      pathChange: { atSample: CHANGE_S * RATE, rir: rirOf(room, 301), delayMs: room.delayMs },
    });
    const change = CHANGE_S * RATE;
    const probe = change / BLOCK - 1;
    const run = runStream(r, [probe]);
    const before = convergence(r, run.out, 0, change);
    const after = convergence(r, run.out, change, r.mic.length);
    const row: CancellerRow = {
      room: room.name,
      rt60: room.rt60,
      delayMs: room.delayMs,
      clip: room.clip,
      erle2sDb: erle(r, run.out, 2 * RATE, change),
      erleAfterChangeDb: erle(r, run.out, change + 2 * RATE, r.mic.length),
      reachS: before.reachS,
      staysS: before.staysS,
      reconvReachS: after.reachS,
      reconvStaysS: after.staysS,
      delayEstimateMs: run.delayAt.get(probe) ?? NaN,
      mode: run.mode,
    };
    log(`(c) ${room.name}: ERLE ${row.erle2sDb.toFixed(1)} dB`);
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// (d) The demo's loudspeaker room.

/** The demo's default text (demo/index.html), spoken by the mock server's voice (demo/server/voice.ts). */
const DEMO_TEXT =
  'Hello! This is streamed speech from a mock TTS server. Every chunk joins the next without a gap, and you can cut me off at any moment: press Escape, or just start talking.';
/** "Wait a second." in voice B, at the demo's level (demo/loudspeaker-room.ts, NEAR_CLIP × 0.9). */
const DEMO_CLIP = { start: 30764, end: 43884, gain: 0.9 };
/** The demo test's protocol (test/browser/demo.test.ts): a talk, 2 s for a barge-in, the next talk 2.3 s after the last. */
const DEMO_TALKS = 3;
const DEMO_TALK_GAP_S = 2.3;

interface DemoRoomResult {
  /** Placements tried (room × first talk). */
  placements: number;
  /** How many were heard at the first, second and third talk, and never. */
  heardAt: [number, number, number];
  never: number;
  falseBargeins: number;
  /** `bargein` after the onset of the talk that was heard, median / max ms. */
  bargeinMedianMs: number;
  bargeinMaxMs: number;
}

/**
 * The demo's "loudspeaker room" in Node: the mock voice through a 50 ms delay and a room of
 * RT60 0.35 s (exponentially decaying noise, no direct path, energy 0.49: the echo about 3 dB
 * under the output) plus uniform noise at ±0.003, and a voice that talks over it the way the
 * demo's browser test does. Three rooms, the first talk at 24 times 2.5–8.25 s after the start.
 */
function scenarioDemoRoom(): DemoRoomResult {
  const far = synthesize(DEMO_TEXT, RATE).samples;
  const clip = nearVoice.subarray(DEMO_CLIP.start, DEMO_CLIP.end);
  const result: DemoRoomResult = { placements: 0, heardAt: [0, 0, 0], never: 0, falseBargeins: 0, bargeinMedianMs: NaN, bargeinMaxMs: NaN };
  const latencies: number[] = [];
  for (const seed of [1, 2, 3]) {
    const rir = makeRir({ rt60: 0.35, seed: 9000 + seed, energy: 0.49, drrDb: null });
    const echo = convolve(far, rir, Math.round(0.05 * RATE));
    const rand = mulberry32(seed);
    const noise = Float32Array.from(far, () => (2 * rand() - 1) * 0.003);
    for (let first = 2.5; first + (DEMO_TALKS - 1) * DEMO_TALK_GAP_S + 2 <= far.length / RATE; first += 0.25) {
      const talks = Array.from({ length: DEMO_TALKS }, (_, i) => Math.round((first + i * DEMO_TALK_GAP_S) * RATE));
      const mic = new Float32Array(far.length);
      for (let i = 0; i < mic.length; i++) mic[i] = echo[i] + noise[i];
      for (const at of talks) for (let i = 0; i < clip.length && at + i < mic.length; i++) mic[at + i] += DEMO_CLIP.gain * clip[i];
      const detector = new EchoDetector();
      const out = new Float32Array(BLOCK);
      let heard = 0;
      for (let b = 0; (b + 1) * BLOCK <= mic.length; b++) {
        if (detector.process(mic.subarray(b * BLOCK, (b + 1) * BLOCK), far.subarray(b * BLOCK, (b + 1) * BLOCK), out) !== 'bargein') continue;
        // The demo interrupts at the first barge-in: nothing after it counts.
        const end = (b + 1) * BLOCK;
        const talk = talks.findIndex((at) => end > at && end <= at + 2 * RATE);
        if (talk < 0) result.falseBargeins++;
        else {
          heard = talk + 1;
          latencies.push(((end - talks[talk]) / RATE) * 1000);
        }
        break;
      }
      result.placements++;
      if (heard) result.heardAt[heard - 1]++;
      else result.never++;
    }
  }
  result.bargeinMedianMs = median(latencies);
  result.bargeinMaxMs = max(latencies);
  log(`(d) demo room: heard at the first talk ${result.heardAt[0]} of ${result.placements}, never ${result.never}`);
  return result;
}

function scenarioCost(): { xRealTime: number; runsS: number[] } {
  const room = ROOMS[3];
  const r = simulateRoom({ far: far0, rir: rirOf(room, 400), delayMs: room.delayMs, clip: room.clip, echoLevelDb: NEAR_NOMINAL_DBFS + 10, seed: 400 });
  const out = new Float32Array(BLOCK);
  const once = () => {
    const d = new EchoDetector();
    const t = process.cpuUsage();
    for (let i = 0; i + BLOCK <= r.mic.length; i += BLOCK) d.process(r.mic.subarray(i, i + BLOCK), r.ref.subarray(i, i + BLOCK), out);
    const u = process.cpuUsage(t);
    return (u.user + u.system) / 1e6;
  };
  once(); // warm-up
  const runsS = Array.from({ length: QUICK ? 2 : 5 }, once);
  return { xRealTime: r.mic.length / RATE / median(runsS), runsS };
}

// ---------------------------------------------------------------------------------------------
// Report.

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  log(`${QUICK ? 'quick run' : 'full run'}: ${ROOMS.length} rooms, Node ${process.version}, ${cpus()[0]?.model ?? '?'}`);
  const falses = scenarioFalse();
  if (process.env.ECHO_BENCH_ONLY === 'false') {
    // Tuning aid: the false-barge-in scenario alone, in full.
    console.log(JSON.stringify(falses.perContender), JSON.stringify(falses.oursAt));
    return;
  }
  const recall = scenarioRecall();
  const canceller = scenarioCanceller();
  const demoRoom = scenarioDemoRoom();
  const cost = scenarioCost();
  log(`cost: ${cost.xRealTime.toFixed(1)}× real time`);

  const oursRecall = recall.filter((r) => r.name === CONTENDERS[OURS].name);
  const linear = canceller.filter((c) => c.clip === 0);
  const clipped = canceller.filter((c) => c.clip > 0);
  const worst = (xs: (number | null)[]) => (xs.some((x) => x === null) ? null : Math.max(...(xs as number[])));
  const atLeastMinus5 = oursRecall.filter((r) => r.serDb >= -5);
  const summary: [string, string, string][] = [
    ['ERLE after 2 s, linear path (worst room)', '≥ 30 dB', `${fmt(Math.min(...linear.map((c) => c.erle2sDb)), 1)} dB`],
    ['ERLE after 2 s, soft clipping (worst room)', '≥ 20 dB', `${fmt(Math.min(...clipped.map((c) => c.erle2sDb)), 1)} dB`],
    [
      'convergence to 20 dB (worst room: reach / stays)',
      '≤ 1 s',
      `${fmt(worst(canceller.map((c) => c.reachS)), 2)} / ${fmt(worst(canceller.map((c) => c.staysS)), 2)} s`,
    ],
    [
      're-convergence after a path change (reach / stays)',
      '≤ 1 s',
      `${fmt(worst(canceller.map((c) => c.reconvReachS)), 2)} / ${fmt(worst(canceller.map((c) => c.reconvStaysS)), 2)} s`,
    ],
    ['false barge-ins', `0 in ≥ 30 min`, `${falses.perContender[OURS].bargeins} in ${falses.minutes.toFixed(0)} min`],
    [
      'recall, SER ≥ −5 dB',
      '≥ 95 %',
      `${fmt((100 * atLeastMinus5.reduce((s, r) => s + r.hits, 0)) / atLeastMinus5.reduce((s, r) => s + r.utterances, 0), 1)} %`,
    ],
    [
      '`speechstart` after the onset, SER ≥ −5 dB (worst SER: median / p95)',
      '≤ 150 / ≤ 300 ms',
      `${fmt(Math.max(...atLeastMinus5.map((r) => r.speechstartMedianMs)))} / ${fmt(Math.max(...atLeastMinus5.map((r) => r.speechstartP95Ms)))} ms`,
    ],
    [
      '`bargein` after the onset, SER ≥ −5 dB (worst SER: median / p95; max; hits over 400 ms)',
      '≤ 400 ms',
      `${fmt(Math.max(...atLeastMinus5.map((r) => r.bargeinMedianMs)))} / ${fmt(Math.max(...atLeastMinus5.map((r) => r.bargeinP95Ms)))} ms; ` +
        `${fmt(Math.max(...atLeastMinus5.map((r) => r.bargeinMaxMs)))} ms; ` +
        `${atLeastMinus5.reduce((s, r) => s + r.bargeinOver400, 0)} of ${atLeastMinus5.reduce((s, r) => s + r.hits, 0)}`,
    ],
    ['cost of one canceller', '≥ 10× real time', `${cost.xRealTime.toFixed(1)}×`],
  ];

  const md = [
    `# Echo-aware barge-in bench${QUICK ? ' (quick run)' : ''}`,
    '',
    `\`npx tsx bench/echo.ts\` — Node ${process.version}, ${cpus()[0]?.model ?? '?'}, ${new Date().toISOString().slice(0, 10)}. Simulated rooms: test/support/echo-room.ts.`,
    '',
    '## Against the issue-23 goals (EchoDetector)',
    '',
    table(['figure', 'goal', 'measured'], summary),
    '',
    `## (a) False barge-ins in ${falses.minutes.toFixed(0)} min of agent speech (${FAR_ENDS.map((f) => f.name).join(' and ')}; echo 0 to +10 dB over a −26 dBFS near end)`,
    '',
    table(
      ['detector', 'barge-ins', 'per min', 'speech starts (ducks) per min', 'duck length median / max ms'],
      falses.perContender.map((c) => [
        c.name,
        c.bargeins,
        fmt(c.bargeinsPerMin, 2),
        fmt(c.speechstartsPerMin, 2),
        `${fmt(c.duckMedianMs)} / ${fmt(c.duckMaxMs)}`,
      ]),
    ),
    '',
    falses.oursAt.length
      ? `EchoDetector's false barge-ins: ${falses.oursAt.map((f) => `${f.room} (${f.variant}) at ${f.atS.toFixed(2)} s`).join('; ')}.`
      : "EchoDetector's false barge-ins: none.",
    '',
    'Duck length: from a `speechstart` to the `rejected` or `bargein` that ends it. The energy VAD has no duck (its onset is its barge-in); behind LiveKit’s rule the duck lasts until its barge-in, 0.5 s later.',
    '',
    '## (b) Recall and latency (utterances 0.32–1.39 s; hit = `bargein` within 1 s of the onset)',
    '',
    table(
      ['SER dB', 'detector', 'recall', 'speechstart median / p95 ms (none)', 'bargein median / p95 / max ms', 'false barge-ins / min'],
      recall.map((r) => [
        r.serDb,
        r.name,
        `${fmt(100 * r.recall, 1)} % (${r.hits}/${r.utterances})`,
        `${fmt(r.speechstartMedianMs)} / ${fmt(r.speechstartP95Ms)} (${r.speechstartMissing})`,
        `${fmt(r.bargeinMedianMs)} / ${fmt(r.bargeinP95Ms)} / ${fmt(r.bargeinMaxMs)}`,
        fmt(r.falseBargeinsPerMin, 2),
      ]),
    ),
    '',
    `## (c) The canceller (60 dB SNR; RIR replaced at ${CHANGE_S} s; times in seconds of far-end speech)`,
    '',
    table(
      [
        'room',
        'RT60 s',
        'delay ms',
        'clip',
        'ERLE 2 s dB',
        'reach / stays 20 dB s',
        'after change: reach / stays s',
        'ERLE after change dB',
        'delay est. ms',
        'ERLE @ 30 dB SNR',
      ],
      canceller.map((c) => [
        c.room,
        c.rt60,
        c.delayMs,
        c.clip,
        fmt(c.erle2sDb, 1),
        `${fmt(c.reachS, 2)} / ${fmt(c.staysS, 2)}`,
        `${fmt(c.reconvReachS, 2)} / ${fmt(c.reconvStaysS, 2)}`,
        fmt(c.erleAfterChangeDb, 1),
        fmt(c.delayEstimateMs, 1),
        fmt(falses.erleAt30dbSnr.find((e) => e.room === c.room)?.erleDb, 1),
      ]),
    ),
    '',
    "## (d) The demo's loudspeaker room (the mock server's voice, a voice talking over it as the demo's browser test does)",
    '',
    table(
      ['placements', 'heard at talk 1 / 2 / 3', 'never (3 talks)', 'false barge-ins', 'bargein median / max ms'],
      [
        [
          demoRoom.placements,
          demoRoom.heardAt.join(' / '),
          demoRoom.never,
          demoRoom.falseBargeins,
          `${fmt(demoRoom.bargeinMedianMs)} / ${fmt(demoRoom.bargeinMaxMs)}`,
        ],
      ],
    ),
    '',
    `Cost: one EchoDetector processes 60 s in ${fmt(median(cost.runsS) * 1000)} ms of CPU: ${cost.xRealTime.toFixed(1)}× real time (median of ${cost.runsS.length}).`,
    '',
  ].join('\n');

  const json = {
    date: new Date().toISOString(),
    quick: QUICK,
    env: { node: process.version, cpuModel: cpus()[0]?.model ?? '?' },
    config: {
      nearNominalDbfs: NEAR_NOMINAL_DBFS,
      vadOverFloorDb: VAD_OVER_FLOOR_DB,
      sersDb: SERS_DB,
      rooms: ROOMS,
      variants: VARIANTS,
      falseFarEnds: FAR_ENDS.map((f) => f.name),
    },
    summary: summary.map(([figure, goal, measured]) => ({ figure, goal, measured })),
    falseBargeIns: falses,
    recall,
    canceller,
    demoRoom,
    cost,
    durationS: (performance.now() - t0) / 1000,
  };
  console.log('\n' + md);
  if (QUICK) return;
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(resolve(dir, 'echo.md'), md);
  await writeFile(resolve(dir, 'echo.json'), JSON.stringify(json, null, 1) + '\n');
  log('wrote bench/results/echo.md and echo.json');
}

await main();
