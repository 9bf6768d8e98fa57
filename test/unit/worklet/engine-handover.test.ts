import { describe, expect, it } from 'vitest';
import { decodeEvents, type EngineOptions, type EngineReport, type EngineState } from '../../../src/worklet/messages';
import { EngineHost } from '../../../src/worklet/engine-host';
import { SampleRing } from '../../../src/ring/sample-ring';
import { mulberry32 } from '../prng';

const QUANTUM = 128;
const FADE = 120;

function noise(n: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * 0.5);
}

/** Renders `quanta` quanta from context frame `from`; returns the output and the decoded events. */
function render(host: EngineHost, quanta: number, from = 0) {
  const out: number[] = [];
  const events: ReturnType<typeof decodeEvents> = [];
  const buf = new Float32Array(QUANTUM);
  for (let q = 0; q < quanta; q++) {
    buf.fill(0);
    const report: EngineReport | null = host.render(buf, from + q * QUANTUM);
    out.push(...buf);
    if (report) events.push(...decodeEvents(report));
  }
  return { out: Float32Array.from(out), events };
}

function options(rate: number, shared?: SharedArrayBuffer): EngineOptions {
  return { capacity: 96000, fadeFrames: FADE, reportIntervalFrames: 1200, rates: [rate], ...(shared ? { shared } : {}) };
}

/** A host playing `input` at `rate` as utterance 1 (ended), with marks 7 and 8 at `marks`. */
function playing(input: Float32Array, rate: number, outRate: number, marks: number[], shared?: SharedArrayBuffer): EngineHost {
  const host = new EngineHost(options(rate, shared), outRate);
  if (shared) new SampleRing(shared, 96000).write(input, 0, input.length);
  else host.receive({ type: 'samples', data: input.slice() });
  host.receive({ type: 'begin', serial: 1, rate, at: 0, prebuffer: 0, prebufferStep: 0, prebufferMax: 0 });
  marks.forEach((offset, k) => host.receive({ type: 'mark', serial: 1, offset, id: 7 + k }));
  host.receive({ type: 'end', serial: 1, at: input.length });
  return host;
}

function handOver(host: EngineHost): EngineState {
  const reply = host.receive({ type: 'handover' });
  if (!reply) throw new Error('no reply');
  // The reply crosses threads as a structured clone.
  return structuredClone(reply.state);
}

describe('engine handover to a new context (a context whose clock stopped is recreated)', () => {
  it('same rate: the successor plays on from the first unheard sample, bit-exact after its fade-in; marks and ended land on the right frames; the old engine goes silent', () => {
    const input = noise(24000, 1);
    const a = playing(input, 24000, 24000, [1000, 20000]);
    const before = render(a, 30);
    const heard = a.engine.currentPlayed;
    expect(heard).toBe(30 * QUANTUM);
    expect(Array.from(before.out)).toEqual(Array.from(input.subarray(0, heard)));
    const state = handOver(a);
    expect(state.absRead).toBe(heard);
    expect(state.lost).toBe(0);
    expect(render(a, 2).out.every((x) => x === 0)).toBe(true);

    const b = new EngineHost({ ...options(24000), restore: state }, 24000);
    const after = render(b, 200, 5000 * QUANTUM);
    const rest = input.subarray(heard);
    // The first FADE frames fade in; after them the input continues sample for sample.
    expect(Array.from(after.out.subarray(FADE, rest.length))).toEqual(Array.from(rest.subarray(FADE)));
    const ended = after.events.filter((e) => e.kind === 'ended');
    expect(ended).toEqual([{ kind: 'ended', serial: 1, frame: 5000 * QUANTUM + rest.length - 1, played: 24000 }]);
    expect(after.events.filter((e) => e.kind === 'playing')).toEqual([]);
    const marks = [...before.events, ...after.events].filter((e) => e.kind === 'mark');
    expect(marks).toEqual([
      { kind: 'mark', serial: 1, frame: 1000, markId: 7, offset: 1000, passed: false },
      { kind: 'mark', serial: 1, frame: 5000 * QUANTUM + 20000 - heard, markId: 8, offset: 20000, passed: false },
    ]);
  });

  it('resampling 16 → 24 kHz: the resampler’s lookahead travels as a prefix, twice over, and the output matches an uninterrupted engine once the new filter has filled', () => {
    const input = noise(16000, 2);
    const reference = render(playing(input, 16000, 24000, []), 200).out;
    // 30 quanta: 3840 output frames = exactly 2560 input samples, so the grids line up.
    const a = playing(input, 16000, 24000, []);
    const first = render(a, 30).out;
    const s1 = handOver(a);
    expect(s1.prefix.length).toBeGreaterThan(0);
    expect(s1.absRead + s1.prefix.length).toBe(a.engine.absRead);
    const b = new EngineHost({ ...options(16000), restore: s1 }, 24000);
    // Hand over again while the first prefix is still being played from.
    const second = render(b, 3, 100 * QUANTUM).out;
    const s2 = handOver(b);
    const c = new EngineHost({ ...options(16000), restore: s2 }, 24000);
    const third = render(c, 200, 200 * QUANTUM);
    const ended = third.events.filter((e) => e.kind === 'ended');
    expect(ended.map((e) => (e.kind === 'ended' ? e.played : 0))).toEqual([16000]);
    // Where each piece sits in the reference's output timeline: 3840 frames, then 384.
    const worst = (piece: Float32Array, at: number, skip: number) => {
      let max = 0;
      for (let i = skip; i < piece.length && at + i < reference.length; i++) max = Math.max(max, Math.abs(piece[i] - reference[at + i]));
      return max;
    };
    expect(worst(first, 0, 0)).toBe(0);
    expect(worst(second, 3840, FADE + 64)).toBeLessThan(1e-6);
    expect(worst(third.out.subarray(0, 24000 - 3840 - 384), 3840 + 384, FADE + 64)).toBeLessThan(1e-6);
  });

  it('shared ring: the successor reads on from the same SharedArrayBuffer, including samples written after the handover', () => {
    const buffer = new SharedArrayBuffer(SampleRing.bytesFor(96000));
    const input = noise(12000, 3);
    const a = new EngineHost(options(24000, buffer), 24000);
    const ring = new SampleRing(buffer, 96000);
    ring.write(input, 0, 6000);
    a.receive({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0, prebufferStep: 0, prebufferMax: 0 });
    render(a, 20);
    const state = handOver(a);
    expect(state.unread).toBeNull();
    ring.write(input, 6000, 6000);
    const b = new EngineHost({ ...options(24000, buffer), restore: state }, 24000);
    b.receive({ type: 'end', serial: 1, at: 12000 });
    const after = render(b, 100);
    expect(Array.from(after.out.subarray(FADE, 12000 - 20 * QUANTUM))).toEqual(Array.from(input.subarray(20 * QUANTUM + FADE)));
    expect(after.events.find((e) => e.kind === 'ended')).toMatchObject({ played: 12000 });
  });

  it('a pause, the volume and a pending interrupt carry over', () => {
    const input = noise(24000, 4);
    const a = playing(input, 24000, 24000, []);
    render(a, 10);
    a.receive({ type: 'volume', gain: 0.5 });
    a.receive({ type: 'pause' });
    render(a, 5);
    const state = handOver(a);
    expect(state).toMatchObject({ paused: true, gain: 0.5 });
    const b = new EngineHost({ ...options(24000), restore: state }, 24000);
    expect(render(b, 5).out.every((x) => x === 0)).toBe(true);
    b.receive({ type: 'interrupt', flushTo: 24000, lastSerial: 1 });
    const c = new EngineHost({ ...options(24000), restore: handOver(b) }, 24000);
    c.receive({ type: 'resume' });
    const cut = render(c, 10).events;
    expect(cut.map((e) => e.kind)).toEqual(['interrupted']);
  });
});
