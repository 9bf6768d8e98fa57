// Node-side helpers shared by the reliability suites: reading a rig's result
// (test/browser/pages/reliability-fixture.js) and checking it sample by sample.
import { expect } from 'vitest';
import { withoutSkips, type TestPage } from './harness';

export type Ev = { type: string; at: number; frame: number; detail: any };

export interface RigResult {
  capture: string;
  startFrame: number;
  skips: { frame: number; frames: number }[];
  /** Frames the recorder placed twice (stays 0 unless its clock handling is wrong). */
  overlappedFrames: number;
  /** Quanta whose stale currentFrame the recorder corrected (Chromium's frozen clock). */
  frozenQuanta: number;
  sampleRate: number;
  events: Ev[];
  errors: string[];
  violations: string[];
  checks: number;
  maxBuffered: number;
  maxBufferedMs: number;
  capacity: number;
  metrics: any;
  state: string;
  transport: string;
  /** The context's own time mapping (its output timestamp, or currentTime + latency where that is unusable). */
  outputTimestamp: { contextTime: number; performanceTime: number; source: 'timestamp' | 'currentTime' };
}

export function fromBase64F32(b64: string): Float32Array {
  const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
  return new Float32Array(bytes.buffer, 0, bytes.length >> 2);
}

export function captured(r: RigResult): Float32Array {
  return withoutSkips(fromBase64F32(r.capture), r.startFrame, r.skips);
}

/** Sample-exact comparison aligned on the first non-zero sample; `extra` = non-zero samples outside the reference. */
export function compareExact(ref: Float32Array, out: Float32Array): { offset: number; mismatches: number; firstMismatch: number; extra: number } {
  const offset = out.findIndex((x) => x !== 0) - ref.findIndex((x) => x !== 0);
  let mismatches = 0;
  let firstMismatch = -1;
  for (let i = 0; i < ref.length; i++) {
    const c = offset + i >= 0 && offset + i < out.length ? out[offset + i] : NaN;
    if (c !== ref[i]) {
      mismatches++;
      if (firstMismatch < 0) firstMismatch = i;
    }
  }
  let extra = 0;
  for (let i = 0; i < out.length; i++) if ((i < offset || i >= offset + ref.length) && out[i] !== 0) extra++;
  return { offset, mismatches, firstMismatch, extra };
}

export function expectAccounting(r: { violations: string[]; metrics: any }, buffered = 0): void {
  expect(r.violations).toEqual([]);
  const s = r.metrics.samples;
  expect(s.received).toBe(s.played + s.buffered + s.dropped);
  expect(s.buffered).toBe(buffered);
}

export function errorEvents(r: { events: Ev[] }): { code: string; message: string; utteranceId?: string }[] {
  return r.events.filter((e) => e.type === 'error').map((e) => ({ code: e.detail.code, message: e.detail.message, utteranceId: e.detail.utteranceId }));
}

/** The `dropped` events of a player, in order. */
export function droppedEvents(r: { events: Ev[] }): { reason: string; samples: number; message: string; utteranceId: string }[] {
  return r.events.filter((e) => e.type === 'dropped').map((e) => e.detail);
}

/** Samples named by `dropped` events (of `reasons`, or all). */
export function droppedSamples(r: { events: Ev[] }, ...reasons: string[]): number {
  return droppedEvents(r)
    .filter((d) => reasons.length === 0 || reasons.includes(d.reason))
    .reduce((n, d) => n + d.samples, 0);
}

/**
 * The page's JS heap after forced GCs, or null where the engine offers neither (only
 * Chromium has `performance.memory` and, with --expose-gc, `gc()`): there the memory bound
 * rests on the buffer-occupancy checks alone.
 */
export const pageHeap = (page: TestPage): Promise<number | null> =>
  page.evaluate(async () => {
    const g = globalThis as any;
    if (typeof g.gc !== 'function' || !(performance as any).memory) return null;
    for (let i = 0; i < 3; i++) {
      g.gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    return (performance as any).memory.usedJSHeapSize as number;
  });
