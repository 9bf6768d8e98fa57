/**
 * Rough throughput of StreamingResampler, pulled in 128-frame output blocks the
 * way the playback worklet pulls it. Prints how many times faster than real
 * time each conversion runs. Not a test: the numbers depend on the machine.
 * Speeds are computed from this process's CPU time (process.cpuUsage), which
 * is steadier than wall time on a shared box; several passes, best and median.
 *
 *   npx tsx bench/resampler-speed.ts [seconds-of-audio] [halfTaps]
 */
import { StreamingResampler } from '../src/dsp/resampler';

const BLOCK = 128;
const PASSES = 7;
const seconds = Number(process.argv[2] ?? 30);
const halfTaps = process.argv[3] === undefined ? undefined : Number(process.argv[3]);

function makeInput(rate: number, n: number): Float32Array {
  const input = new Float32Array(n);
  // Content does not affect speed, but keep it audio-like (no denormals, no NaN).
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    input[i] = 0.4 * Math.sin((2 * Math.PI * 220 * i) / rate) + 0.2 * Math.sin((2 * Math.PI * 3100 * i) / rate) + 0.01 * (seed / 2 ** 32 - 0.5);
  }
  return input;
}

function run(inRate: number, outRate: number): { best: number; median: number } {
  const n = Math.round(inRate * seconds);
  const input = makeInput(inRate, n);
  const block = new Float32Array(BLOCK);
  const rs = new StreamingResampler(inRate, outRate, halfTaps === undefined ? undefined : { halfTaps });
  let sink = 0;
  const pass = (): number => {
    rs.reset();
    let readPos = 0;
    let outFrames = 0;
    for (;;) {
      const got = rs.process(input, readPos, n - readPos, block, 0, BLOCK);
      readPos += rs.consumed;
      if (got === 0) break;
      outFrames += got;
      sink += block[0];
    }
    outFrames += rs.drain(block, 0, BLOCK);
    return outFrames;
  };
  pass(); // warm-up: let the JIT settle on the hot loops
  const speeds: number[] = [];
  for (let p = 0; p < PASSES; p++) {
    const t0 = process.cpuUsage();
    const frames = pass();
    const t = process.cpuUsage(t0);
    speeds.push(frames / outRate / ((t.user + t.system) / 1e6));
  }
  if (Number.isNaN(sink)) console.log('NaN in output');
  speeds.sort((a, b) => a - b);
  return { best: speeds[speeds.length - 1], median: speeds[speeds.length >> 1] };
}

for (const [a, b] of [
  [24000, 48000],
  [24000, 44100],
  [22050, 48000],
  [24000, 47999], // coprime rates: the interpolated-table path
] as const) {
  const { best, median } = run(a, b);
  console.log(
    `${a} -> ${b} Hz: ${median.toFixed(0)}x real time median, ${best.toFixed(0)}x best ` +
      `(${PASSES} passes over ${seconds} s of audio, ${BLOCK}-frame output blocks)`,
  );
}
