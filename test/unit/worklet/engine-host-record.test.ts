import { describe, expect, it } from 'vitest';
import { RECORD_BLOCK, type EngineReport } from '../../../src/worklet/messages';
import { EngineHost } from '../../../src/worklet/engine-host';
import { mulberry32 } from '../prng';

const QUANTUM = 128;

describe('EngineHost recording (player.record())', () => {
  it('sends the output after the volume in blocks of RECORD_BLOCK frames inside its reports, then a last partial one when stopped', () => {
    const rnd = mulberry32(5);
    const input = Float32Array.from({ length: 24000 }, () => rnd() - 0.5);
    const host = new EngineHost({ capacity: 48000, fadeFrames: 120, reportIntervalFrames: 1_000_000, rates: [24000] }, 24000);
    host.receive({ type: 'samples', data: input });
    host.receive({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0, prebufferStep: 0, prebufferMax: 0 });
    host.receive({ type: 'end', serial: 1, at: input.length });
    host.receive({ type: 'volume', gain: 0.5 });
    host.receive({ type: 'record', on: true });
    const out: number[] = [];
    const blocks: { frame: number; samples: number[]; final: boolean }[] = [];
    const buf = new Float32Array(QUANTUM);
    let reports = 0;
    const quanta = 100;
    for (let q = 0; q < quanta; q++) {
      if (q === quanta - 1) host.receive({ type: 'record', on: false });
      const report: EngineReport | null = host.render(buf, 5000 + q * QUANTUM);
      out.push(...buf);
      if (!report) continue;
      reports++;
      // Copied as the port's structured clone would: the host reuses its block.
      if (report.recordedCount > 0 || report.recordedFinal)
        blocks.push({ frame: report.recordedFrame, samples: Array.from(report.recorded!.subarray(0, report.recordedCount)), final: report.recordedFinal });
    }
    // Full blocks, then the partial last one; no report per quantum (one per block, plus events).
    expect(blocks.map((b) => b.samples.length)).toEqual([RECORD_BLOCK, RECORD_BLOCK, RECORD_BLOCK, (quanta - 1) * QUANTUM - 3 * RECORD_BLOCK]);
    expect(blocks.map((b) => b.final)).toEqual([false, false, false, true]);
    expect(reports).toBeLessThan(10);
    // The blocks are the output, frame for frame, from the frame the engine rendered them at.
    expect(blocks[0].frame).toBe(5000);
    const recorded = blocks.flatMap((b) => b.samples);
    expect(recorded).toEqual(out.slice(0, recorded.length));
    for (let k = 1; k < blocks.length; k++) expect(blocks[k].frame).toBe(blocks[k - 1].frame + blocks[k - 1].samples.length);
    // After the volume: half the input once the ramp is done.
    expect(recorded[1000]).toBeCloseTo(0.5 * input[1000], 6);
  });
});
