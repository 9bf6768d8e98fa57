import { beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineEvent, EVENT_RECORD, PROCESSOR_NAME } from '../../../src/worklet/messages';
import type { EngineOptions, EngineReport, ToEngine } from '../../../src/worklet/messages';
import { SampleRing } from '../../../src/ring/sample-ring';
import { mulberry32 } from '../prng';
import { HEAP_GROWTH_LIMIT, medianHeapGrowth } from '../../support/heap-growth';

// ---------------------------------------------------------------------------------------
// Stubbed AudioWorkletGlobalScope. The worklet module reads `sampleRate` and
// `currentFrame` as globals and calls `registerProcessor` at import, so the stubs must be
// in place before the dynamic import in beforeAll.
// ---------------------------------------------------------------------------------------

const QUANTUM = 128;
const OUT_RATE = 24000;
const FADE = 120;
const INTERVAL = 480;

interface Ev {
  kind: number;
  serial: number;
  frame: number;
  a: number;
  b: number;
  c: number;
}

/** A report as the main thread would receive it (structured clone → a snapshot). */
interface Posted {
  frame: number;
  absRead: number;
  serial: number;
  played: number;
  consumed: number;
  n: number;
  events: Ev[];
}

interface FakePort {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage: (msg: unknown) => void;
  posted: Posted[];
}

type Msg = ToEngine | { type: string };

interface ProcessorLike {
  port: unknown;
  process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: Record<string, Float32Array>): boolean;
}

type ProcessorCtor = new (options: { processorOptions: EngineOptions }) => ProcessorLike;

const g = globalThis as unknown as Record<string, unknown>;
const registerCalls: { name: string; ctor: unknown }[] = [];
let Processor: ProcessorCtor;
let moduleExport: unknown;

/** Copies a report at post time: the worklet reuses one report object and one log array. */
function snapshot(msg: unknown): Posted {
  const r = msg as EngineReport;
  expect(r.type).toBe('report');
  const events: Ev[] = [];
  for (let k = 0; k < r.eventCount; k++) {
    const o = k * EVENT_RECORD;
    const l = r.events!; // non-null whenever eventCount > 0
    events.push({ kind: l[o], serial: l[o + 1], frame: l[o + 2], a: l[o + 3], b: l[o + 4], c: l[o + 5] });
  }
  // The report is posted at the end of the quantum that starts at currentFrame.
  const frame = (g.currentFrame as number) + QUANTUM;
  return { frame, absRead: r.absRead, serial: r.serial, played: r.played, consumed: r.played + r.inFlight, n: r.eventCount, events };
}

class FakeAudioWorkletProcessor {
  readonly port: FakePort;
  constructor() {
    const posted: Posted[] = [];
    this.port = {
      onmessage: null,
      postMessage: vi.fn((msg: unknown) => {
        posted.push(snapshot(msg));
      }),
      posted,
    };
  }
}

beforeAll(async () => {
  g.sampleRate = OUT_RATE;
  g.currentFrame = 0;
  g.currentTime = 0;
  g.AudioWorkletProcessor = FakeAudioWorkletProcessor;
  g.registerProcessor = vi.fn((name: string, ctor: unknown) => {
    registerCalls.push({ name, ctor });
  });
  const mod = await import('../../../src/worklet/processor');
  await import('../../../src/worklet/register');
  moduleExport = mod.PlaybackProcessor;
  Processor = mod.PlaybackProcessor as unknown as ProcessorCtor;
});

/** Test driver around one processor instance. */
function harness(opts: Partial<EngineOptions> = {}, startFrame = 0) {
  const options: EngineOptions = {
    capacity: 48000,
    fadeFrames: FADE,
    reportIntervalFrames: INTERVAL,
    rates: [24000],
    ...opts,
  };
  g.currentFrame = startFrame;
  const proc = new Processor({ processorOptions: options });
  const port = proc.port as FakePort;
  const out: number[] = [];
  const returns: boolean[] = [];
  let frame = startFrame;
  return {
    proc,
    port,
    out,
    returns,
    get frame() {
      return frame;
    },
    send(msg: Msg) {
      expect(typeof port.onmessage).toBe('function');
      port.onmessage!({ data: msg });
    },
    /** Runs `quanta` render quanta with `channels` output channels pre-filled with garbage. */
    run(quanta: number, channels = 1, beforeEach?: () => void) {
      for (let q = 0; q < quanta; q++) {
        beforeEach?.();
        const chans: Float32Array[] = [];
        for (let c = 0; c < channels; c++) chans.push(new Float32Array(QUANTUM).fill(7 + c));
        g.currentFrame = frame;
        returns.push(proc.process([], [chans], {}));
        for (let i = 0; i < QUANTUM; i++) out.push(chans[0][i]);
        for (let c = 1; c < channels; c++) {
          for (let i = 0; i < QUANTUM; i++) {
            if (!Object.is(chans[c][i], chans[0][i])) {
              expect.fail(`channel ${c} differs from channel 0 at frame ${frame + i}: ${chans[c][i]} vs ${chans[0][i]}`);
            }
          }
        }
        frame += QUANTUM;
      }
    },
    events(): Ev[] {
      return port.posted.flatMap((p) => p.events);
    },
  };
}

function randomSignal(seed: number, n: number): Float32Array {
  const rng = mulberry32(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng() * 2 - 1;
  x[1] = 1;
  x[2] = -1;
  return x;
}

function sendInChunks(t: ReturnType<typeof harness>, signal: Float32Array, seed: number): void {
  const rng = mulberry32(seed);
  let pos = 0;
  while (pos < signal.length) {
    const n = Math.min(signal.length - pos, 1 + Math.floor(rng() * 900));
    // A fresh array per message, as a transferred buffer would arrive.
    t.send({ type: 'samples', data: signal.slice(pos, pos + n) });
    pos += n;
  }
}

function expectExactPlayback(out: readonly number[], signal: Float32Array, from = 0): void {
  for (let i = 0; i < signal.length; i++) {
    if (out[from + i] !== signal[i]) expect.fail(`output ${from + i}: got ${out[from + i]}, expected ${signal[i]}`);
  }
}

describe('playback-processor worklet shell', () => {
  it(`registers itself as '${PROCESSOR_NAME}' with the exported class`, () => {
    expect(registerCalls).toHaveLength(1);
    expect(registerCalls[0].name).toBe('voxplay-playback');
    expect(registerCalls[0].ctor).toBe(moduleExport);
    expect(g.registerProcessor).toHaveBeenCalledTimes(1);
  });

  it('installs a message handler on its port and posts nothing before rendering', () => {
    const t = harness();
    expect(typeof t.port.onmessage).toBe('function');
    expect(t.port.postMessage).not.toHaveBeenCalled();
  });

  it('plays samples received by message exactly (same rate), tail included, with Playing/Ended at the right frames', () => {
    const start = QUANTUM * 37;
    const t = harness({}, start);
    const signal = randomSignal(1, 10_001);
    t.send({ type: 'begin', serial: 5, rate: 24000, at: 0, prebuffer: 0 });
    sendInChunks(t, signal, 2);
    t.send({ type: 'end', serial: 5, at: signal.length });
    const quanta = Math.ceil(signal.length / QUANTUM) + 3;
    t.run(quanta);
    expectExactPlayback(t.out, signal);
    // After the tail: silence, not garbage left in the output buffer.
    expect(t.out.slice(signal.length).every((x) => x === 0)).toBe(true);
    expect(t.returns.every((r) => r === true)).toBe(true);

    const events = t.events();
    expect(events.map((e) => e.kind)).toEqual([EngineEvent.Playing, EngineEvent.Ended]);
    expect(events[0]).toMatchObject({ serial: 5, frame: start });
    expect(events[1]).toMatchObject({ serial: 5, frame: start + signal.length - 1, a: signal.length });

    // Each event arrives in the report of the quantum it happened in.
    const playingReport = t.port.posted.find((p) => p.events.some((e) => e.kind === EngineEvent.Playing))!;
    expect(playingReport.frame).toBe(start + QUANTUM);
    expect(playingReport.serial).toBe(5);
    const endedReport = t.port.posted.find((p) => p.events.some((e) => e.kind === EngineEvent.Ended))!;
    const endedQuantum = Math.floor((signal.length - 1) / QUANTUM);
    expect(endedReport.frame).toBe(start + (endedQuantum + 1) * QUANTUM);
    expect(endedReport.absRead).toBe(signal.length);
    // The final report shows an empty queue with everything consumed.
    const last = t.port.posted[t.port.posted.length - 1];
    expect(last.serial).toBe(-1);
    expect(last.absRead).toBe(signal.length);
  });

  it('reports mid-utterance progress (played/consumed) consistent with the output so far', () => {
    const t = harness();
    const signal = randomSignal(3, 5000);
    t.send({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0 });
    t.send({ type: 'samples', data: signal });
    t.run(20);
    const mid = t.port.posted.filter((p) => p.n === 0);
    expect(mid.length).toBeGreaterThan(0);
    for (const p of mid) {
      // Same rate: played input samples = output frames rendered so far.
      expect(p.serial).toBe(1);
      expect(p.played).toBe(p.frame);
      expect(p.consumed).toBeGreaterThanOrEqual(p.played);
      expect(p.absRead).toBe(p.consumed);
    }
  });

  it('posts one report per interval, not one per quantum, when nothing happens', () => {
    const t = harness();
    t.run(100);
    const posted = t.port.posted;
    const perInterval = (100 * QUANTUM) / INTERVAL; // ≈ 26.7
    expect(posted.length).toBeLessThanOrEqual(Math.ceil(perInterval));
    expect(posted.length).toBeGreaterThanOrEqual(Math.floor(perInterval * 0.9));
    expect(posted.length).toBeLessThan(100 / 2);
    expect(t.port.postMessage).toHaveBeenCalledTimes(posted.length);
    // Consecutive reports are at least one interval apart, and less than interval + quantum.
    let prev = 0;
    for (const p of posted) {
      expect(p.frame - prev).toBeGreaterThanOrEqual(INTERVAL);
      expect(p.frame - prev).toBeLessThan(INTERVAL + QUANTUM);
      expect(p.frame % QUANTUM).toBe(0);
      expect(p.n).toBe(0);
      expect(p.serial).toBe(-1);
      prev = p.frame;
    }
  });

  it('reports as soon as an event happens, between intervals, and restarts the interval there', () => {
    const t = harness();
    t.run(2); // 256 frames: no report yet
    expect(t.port.posted.length).toBe(0);
    t.send({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0 });
    t.send({ type: 'samples', data: new Float32Array(4000).fill(0.25) });
    t.run(1); // Playing happens in this quantum
    expect(t.port.posted.length).toBe(1);
    expect(t.port.posted[0].frame).toBe(3 * QUANTUM);
    expect(t.port.posted[0].events).toEqual([{ kind: EngineEvent.Playing, serial: 1, frame: 2 * QUANTUM, a: 0, b: 0, c: 0 }]);
    t.run(3); // 384 frames since the last report: still quiet
    expect(t.port.posted.length).toBe(1);
    t.run(1);
    expect(t.port.posted.length).toBe(2);
    expect(t.port.posted[1].frame - t.port.posted[0].frame).toBe(4 * QUANTUM);
    expect(t.port.posted[1].n).toBe(0);
  });

  it('a multi-channel output gets the same samples on every channel', () => {
    const t = harness();
    const signal = randomSignal(4, 3001);
    t.send({ type: 'begin', serial: 2, rate: 24000, at: 0, prebuffer: 0 });
    sendInChunks(t, signal, 5);
    t.send({ type: 'end', serial: 2, at: signal.length });
    t.run(Math.ceil(signal.length / QUANTUM) + 2, 3); // run() compares every channel to channel 0
    expectExactPlayback(t.out, signal);
    expect(t.out.slice(signal.length).every((x) => x === 0)).toBe(true);
  });

  it('interrupt fades out over fadeFrames, reports Interrupted with exact counts, then stays silent', () => {
    const start = QUANTUM * 3;
    const t = harness({}, start);
    const total = 20_000;
    t.send({ type: 'begin', serial: 9, rate: 24000, at: 0, prebuffer: 0 });
    t.send({ type: 'samples', data: new Float32Array(total).fill(0.5) });
    t.run(10);
    expect(t.out.every((x) => x === 0.5)).toBe(true);
    t.send({ type: 'interrupt', flushTo: total });
    t.run(6);
    const cutAt = 10 * QUANTUM;
    // Fade: non-increasing, below full level, and exactly 0 at its last frame.
    for (let i = cutAt; i < cutAt + FADE; i++) {
      expect(t.out[i]).toBeLessThanOrEqual(i === cutAt ? 0.5 : t.out[i - 1]);
    }
    expect(t.out[cutAt + FADE / 2]).toBeLessThan(0.5);
    expect(t.out[cutAt + FADE / 2]).toBeGreaterThan(0);
    expect(t.out[cutAt + FADE - 1]).toBe(0);
    expect(t.out.slice(cutAt + FADE).every((x) => x === 0)).toBe(true);

    const cut = t.events().filter((e) => e.kind === EngineEvent.Interrupted);
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatchObject({ serial: 9, frame: start + cutAt + FADE, a: cutAt + FADE, b: total - (cutAt + FADE), c: FADE });
    expect(t.events().some((e) => e.kind === EngineEvent.Ended)).toBe(false);
    const last = t.port.posted[t.port.posted.length - 1];
    expect(last.absRead).toBe(total);
    expect(last.serial).toBe(-1);

    // The next utterance plays normally after the flush.
    const next = randomSignal(6, 700);
    t.send({ type: 'begin', serial: 10, rate: 24000, at: total, prebuffer: 0 });
    t.send({ type: 'samples', data: next });
    t.send({ type: 'end', serial: 10, at: total + next.length });
    const from = t.out.length;
    t.run(8);
    expectExactPlayback(t.out, next, from);
    expect(
      t
        .events()
        .filter((e) => e.serial === 10)
        .map((e) => e.kind),
    ).toEqual([EngineEvent.Playing, EngineEvent.Ended]);
  });

  it('an interrupt also flushes queued utterances that never sounded', () => {
    const t = harness();
    t.send({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0 });
    t.send({ type: 'samples', data: new Float32Array(3000).fill(0.3) });
    t.send({ type: 'begin', serial: 2, rate: 24000, at: 3000, prebuffer: 0 });
    t.send({ type: 'samples', data: new Float32Array(500).fill(0.3) });
    t.run(4);
    t.send({ type: 'interrupt', flushTo: 3500 });
    t.run(4);
    const kinds = t.events().map((e) => [e.kind, e.serial]);
    expect(kinds).toEqual([
      [EngineEvent.Playing, 1],
      [EngineEvent.Interrupted, 1],
      [EngineEvent.Flushed, 2],
    ]);
    const flushed = t.events().find((e) => e.kind === EngineEvent.Flushed)!;
    expect(flushed.b).toBe(500);
    expect(t.port.posted[t.port.posted.length - 1].absRead).toBe(3500);
  });

  it('process() returns true until { t: "close" }, then false', () => {
    const t = harness();
    t.run(3);
    expect(t.returns).toEqual([true, true, true]);
    t.send({ type: 'close' });
    t.run(2);
    expect(t.returns).toEqual([true, true, true, false, false]);
  });

  it('never throws on odd input: empty queue, idle interrupt, unknown serial, 65 begins, unknown message', () => {
    const t = harness();
    expect(() => t.run(5)).not.toThrow();
    expect(t.out.every((x) => x === 0)).toBe(true);
    expect(() => {
      t.send({ type: 'interrupt', flushTo: 0 });
      t.send({ type: 'interrupt', flushTo: 1000 }); // nothing buffered: nothing to skip
      t.run(2);
      t.send({ type: 'end', serial: 12345, at: 10 });
      t.run(2);
      for (let s = 0; s < 65; s++) t.send({ type: 'begin', serial: s, rate: 24000, at: 0, prebuffer: 0 });
      t.run(20);
      t.send({ type: 'samples', data: new Float32Array(1000).fill(0.1) });
      t.send({ type: 'end', serial: 63, at: 1000 });
      t.send({ type: 'end', serial: 64, at: 1000 });
      t.run(12);
      t.send({ type: 'interrupt', flushTo: 1000 });
      t.send({ type: 'bogus' });
      t.run(3);
    }).not.toThrow();
    expect(t.out.every((x) => Number.isFinite(x) && Math.abs(x) <= 1)).toBe(true);
    expect(t.returns.every((r) => r)).toBe(true);
    const events = t.events();
    // The 65th begin was refused: serial 64 never appears; the 64 accepted ones all finish.
    expect(events.some((e) => e.serial === 64)).toBe(false);
    const ended = new Set(events.filter((e) => e.kind === EngineEvent.Ended).map((e) => e.serial));
    for (let s = 0; s < 64; s++) expect(ended.has(s)).toBe(true);
    // Serial 63 was the only one with samples: they were played exactly.
    expect(events.find((e) => e.kind === EngineEvent.Ended && e.serial === 63)!.a).toBe(1000);
    expect(t.out.filter((x) => x !== 0).length).toBe(1000);
  });
});

describe('playback-processor with the SharedArrayBuffer transport', () => {
  it('plays what the main thread writes through its own SampleRing view over the same buffer', () => {
    const cap = 48000;
    const shared = new SharedArrayBuffer(SampleRing.bytesFor(cap));
    const producer = new SampleRing(shared, cap);
    const t = harness({ capacity: cap, shared }, QUANTUM * 5);
    const signal = randomSignal(7, 10_001);
    t.send({ type: 'begin', serial: 3, rate: 24000, at: 0, prebuffer: 0 });
    expect(producer.write(signal, 0, 5000)).toBe(5000);
    t.run(10);
    expect(producer.availableRead()).toBe(5000 - 10 * QUANTUM); // the worklet consumed through the shared indices
    expect(producer.write(signal, 5000, signal.length - 5000)).toBe(signal.length - 5000);
    t.send({ type: 'end', serial: 3, at: signal.length });
    t.run(Math.ceil(signal.length / QUANTUM) - 10 + 2);
    expectExactPlayback(t.out, signal);
    expect(t.out.slice(signal.length).every((x) => x === 0)).toBe(true);
    expect(producer.availableRead()).toBe(0);
    const ended = t.events().find((e) => e.kind === EngineEvent.Ended)!;
    expect(ended).toMatchObject({ serial: 3, a: signal.length, frame: QUANTUM * 5 + signal.length - 1 });
    // 'samples' messages are not needed (and none were sent); the report tracks the shared read position.
    expect(t.port.posted[t.port.posted.length - 1].absRead).toBe(signal.length);
  });

  it('streams through a small shared ring many times over (wraparound) without losing a sample', () => {
    const cap = 1000;
    const shared = new SharedArrayBuffer(SampleRing.bytesFor(cap));
    const producer = new SampleRing(shared, cap);
    const t = harness({ capacity: cap, shared });
    const signal = randomSignal(8, 12_345);
    let written = 0;
    t.send({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0 });
    const quanta = Math.ceil(signal.length / QUANTUM) + 2;
    t.run(quanta, 2, () => {
      // Top the ring up before each quantum, as the main thread would between callbacks.
      if (written < signal.length) {
        written += producer.write(signal, written, signal.length - written);
        if (written === signal.length) t.send({ type: 'end', serial: 1, at: signal.length });
      }
    });
    expect(written).toBe(signal.length);
    expectExactPlayback(t.out, signal);
    expect(t.events().map((e) => e.kind)).toEqual([EngineEvent.Playing, EngineEvent.Ended]);
  });
});

describe('playback-processor allocation sanity check (soft)', () => {
  for (const speed of [1, 1.5, 0.75])
    it(`16,000 quanta of steady playback at speed ${speed} leave the heap essentially unchanged`, () => {
      const cap = 48000;
      const shared = new SharedArrayBuffer(SampleRing.bytesFor(cap));
      const producer = new SampleRing(shared, cap);
      const t = harness({ capacity: cap, shared });
      let posts = 0;
      // A non-recording port: the spy and the report snapshots would allocate themselves.
      t.port.postMessage = () => {
        posts++;
      };
      // A steady level at speed 1 (checked below); a wideband signal for the time-stretcher.
      const rnd = mulberry32(9);
      const src =
        speed === 1 ? new Float32Array(cap).fill(0.2) : Float32Array.from({ length: cap }, (_, i) => 0.3 * Math.sin(i * 0.047) + 0.05 * (rnd() * 2 - 1));
      const outputs = [[new Float32Array(QUANTUM), new Float32Array(QUANTUM)]];
      const inputs: Float32Array[][] = [];
      const params: Record<string, Float32Array> = {};
      let frame = 0;
      const proc = t.proc;
      const step = (n: number) => {
        for (let q = 0; q < n; q++) {
          // Top up rarely (SampleRing.write allocates two subarrays; that is main-thread work).
          if (producer.availableRead() < 4 * QUANTUM) producer.write(src, 0, producer.availableWrite());
          g.currentFrame = frame;
          proc.process(inputs, outputs, params);
          frame += QUANTUM;
        }
      };
      if (speed !== 1) t.send({ type: 'speed', speed });
      t.send({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0 });
      const { median, deltas } = medianHeapGrowth(step);
      expect(median, `heap growth per 1000 quanta: ${deltas.join(', ')}`).toBeLessThan(HEAP_GROWTH_LIMIT);
      expect(posts).toBeGreaterThan(3000);
      if (speed === 1) expect(outputs[0][1][0]).toBeCloseTo(0.2, 6);
    });
});
