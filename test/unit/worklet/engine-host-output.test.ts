import { describe, expect, it } from 'vitest';
import type { EngineReport } from '../../../src/worklet/messages';
import { EngineHost } from '../../../src/worklet/engine-host';

const QUANTUM = 128;

/** A host at 24 kHz (no resampling) playing `samples` of constant 0.5 as one utterance. */
function hostPlaying(samples: number, fadeFrames = 120): EngineHost {
  const host = new EngineHost({ capacity: 48000, fadeFrames, reportIntervalFrames: 1200, rates: [24000] }, 24000);
  host.receive({ type: 'samples', data: new Float32Array(samples).fill(0.5) });
  host.receive({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0, prebufferStep: 0, prebufferMax: 0 });
  host.receive({ type: 'end', serial: 1, at: samples });
  return host;
}

/** Renders `quanta` quanta; returns the output and the reports. */
function render(host: EngineHost, quanta: number, from = 0): { out: number[]; reports: EngineReport[] } {
  const out: number[] = [];
  const reports: EngineReport[] = [];
  const buf = new Float32Array(QUANTUM);
  for (let q = 0; q < quanta; q++) {
    buf.fill(0);
    const report = host.render(buf, from + q * QUANTUM);
    out.push(...buf);
    if (report) reports.push({ ...report });
  }
  return { out, reports };
}

describe('EngineHost output gain (volume, mute) and level', () => {
  it('ramps to a new volume over the fade length with no step larger than the ramp allows, and the accounting still counts every sample played', () => {
    const host = hostPlaying(24000);
    render(host, 10);
    host.receive({ type: 'volume', gain: 0.25 });
    const { out } = render(host, 10, 10 * QUANTUM);
    expect(out[0]).toBeLessThan(0.5);
    expect(out.slice(120)).toEqual(new Array(out.length - 120).fill(0.125));
    let step = 0;
    for (let i = 1; i < out.length; i++) step = Math.max(step, Math.abs(out[i] - out[i - 1]));
    // A raised-cosine ramp of 120 frames from 0.5 to 0.125: its steepest step is about π/2 · 0.375 / 120.
    expect(step).toBeLessThan(0.006);
    expect(host.engine.currentPlayed).toBe(20 * QUANTUM);
  });

  it('mute (gain 0) is digital silence after the ramp, while playback and its counts go on', () => {
    const host = hostPlaying(24000);
    host.receive({ type: 'volume', gain: 0 });
    const { out } = render(host, 5);
    expect(out.slice(120).every((x) => x === 0)).toBe(true);
    expect(host.engine.currentPlayed).toBe(5 * QUANTUM);
  });

  it('reports the RMS and peak of the output since the previous report, with the frames and the end frame measured', () => {
    const host = hostPlaying(24000);
    const { reports } = render(host, 20);
    const r = reports.at(-1)!;
    expect(r.levelFrames).toBeGreaterThan(0);
    expect(r.levelEndFrame % QUANTUM).toBe(0);
    expect(r.levelPeak).toBe(0.5);
    expect(Math.sqrt(r.levelSumSquares / r.levelFrames)).toBeCloseTo(0.5, 6);
    // The windows tile the output: every frame is measured once.
    expect(reports.reduce((n, x) => n + x.levelFrames, 0)).toBe(r.levelEndFrame);
  });
});

describe('EngineHost pause and resume', () => {
  it('fades out within the fade length, holds (nothing read, no underrun), and resumes from the very next sample: nothing lost', () => {
    const fade = 120;
    const total = 24000;
    const input = Float32Array.from({ length: total }, (_, i) => 0.1 + (i % 1000) / 5000);
    const host = new EngineHost({ capacity: 48000, fadeFrames: fade, reportIntervalFrames: 1200, rates: [24000] }, 24000);
    host.receive({ type: 'samples', data: input.slice() });
    host.receive({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0, prebufferStep: 0, prebufferMax: 0 });
    host.receive({ type: 'end', serial: 1, at: total });
    const played = render(host, 10).out;
    host.receive({ type: 'pause' });
    const paused = render(host, 20, 10 * QUANTUM);
    const heldAt = host.engine.currentPlayed;
    expect(paused.out.slice(fade).every((x) => x === 0)).toBe(true); // silent after the fade
    const held = render(host, 20, 30 * QUANTUM);
    expect(host.engine.currentPlayed).toBe(heldAt); // nothing read while paused
    expect(held.out.every((x) => x === 0)).toBe(true);
    host.receive({ type: 'resume' });
    const rest = render(host, Math.ceil((total - heldAt) / QUANTUM) + 2, 50 * QUANTUM);
    // Without the silence, the output is the input sample for sample, except inside the two fades.
    const out = [...played, ...paused.out.slice(0, fade), ...rest.out].slice(0, total);
    const pauseAt = played.length;
    const resumeAt = pauseAt + fade;
    for (let k = 0; k < total; k++) {
      if ((k >= pauseAt && k < pauseAt + fade) || (k >= resumeAt && k < resumeAt + fade)) continue;
      if (out[k] !== input[k]) throw new Error(`sample ${k}: ${out[k]} !== ${input[k]}`);
    }
    const events = [...paused.reports, ...held.reports, ...rest.reports].flatMap((r) => (r.events ? Array.from(r.events) : []));
    expect(events.filter((_, i) => i % 6 === 0)).not.toContain(3); // no UnderrunStart
  });
});
