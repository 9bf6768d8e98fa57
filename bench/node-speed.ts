/**
 * Diagnostic for the audio-thread figure: the same code the worklet runs, timed in Node on
 * this process's CPU time (no Web Audio around it) — the resampler alone (as in
 * bench/resampler-speed.ts) and the whole PlaybackEngine render loop (ring read, resampler,
 * fades, event log) — so the offline-render figure can be split into "voxplay's own work"
 * and "Chromium's per-quantum AudioWorklet overhead". Imports src/ directly (built by tsx).
 */
import { StreamingResampler, type ResamplerOptions } from '../src/dsp/resampler';
import { PlaybackEngine } from '../src/worklet/playback-engine';
import { SampleRing } from '../src/ring/sample-ring';

const BLOCK = 128;

function input(rate: number, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 0.4 * Math.sin((2 * Math.PI * 220 * i) / rate) + 0.2 * Math.sin((2 * Math.PI * 3100 * i) / rate);
  return x;
}

function cpuSeconds(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** × real time of the resampler alone (of a given design), pulled in 128-frame output blocks. */
export function resamplerSpeed(inRate: number, outRate: number, seconds = 20, passes = 5, options?: ResamplerOptions): number {
  const n = Math.round(inRate * seconds);
  const x = input(inRate, n);
  const block = new Float32Array(BLOCK);
  const rs = new StreamingResampler(inRate, outRate, options);
  const pass = () => {
    rs.reset();
    let pos = 0;
    for (;;) {
      const got = rs.process(x, pos, n - pos, block, 0, BLOCK);
      pos += rs.consumed;
      if (got === 0) break;
    }
    rs.drain(block, 0, BLOCK);
  };
  pass();
  const speeds: number[] = [];
  for (let p = 0; p < passes; p++) speeds.push(seconds / cpuSeconds(pass));
  return median(speeds);
}

/** × real time of PlaybackEngine.render over a ring holding the whole utterance. */
export function engineSpeed(inRate: number, outRate: number, seconds = 20, passes = 5): number {
  const n = Math.round(inRate * seconds);
  const x = input(inRate, n);
  const outFrames = Math.ceil((n * outRate) / inRate);
  const block = new Float32Array(BLOCK);
  const speeds: number[] = [];
  for (let p = -1; p < passes; p++) {
    const ring = new SampleRing(new ArrayBuffer(SampleRing.bytesFor(n + 1)), n + 1);
    ring.write(x, 0, n);
    const engine = new PlaybackEngine(ring, outRate, Math.round(0.005 * outRate), [inRate]);
    engine.begin(1, inRate, 0, 0);
    engine.end(1, n);
    const t = cpuSeconds(() => {
      for (let f = 0; f < outFrames + BLOCK; f += BLOCK) {
        engine.render(block, f);
        engine.takeEvents();
      }
    });
    if (p >= 0) speeds.push(seconds / t);
  }
  return median(speeds);
}
