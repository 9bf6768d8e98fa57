import { describe, expect, it } from 'vitest';
import { PlaybackEngine } from '../../../src/worklet/playback-engine';
import { EngineEvent, EVENT_RECORD, MAX_MARKS } from '../../../src/worklet/messages';
import { SampleRing } from '../../../src/ring/sample-ring';
import { mulberry32 } from '../prng';

/** The engine holds no mark: all MAX_MARKS slots take a new one, and one more is refused. */
function expectNoPendingMarks(engine: PlaybackEngine): void {
  for (let k = 0; k < MAX_MARKS; k++) if (!engine.addMark(99, k, k)) expect.fail(`slot ${k} was still taken`);
  expect(engine.addMark(99, 0, 0)).toBe(false);
}

const QUANTUM = 128;

function makeEngine(capacity: number, outRate: number, fadeFrames: number) {
  const ring = new SampleRing(new ArrayBuffer(SampleRing.bytesFor(capacity)), capacity);
  const engine = new PlaybackEngine(ring, outRate, fadeFrames);
  let written = 0;
  let frame = 0;
  const out: number[] = [];
  const events: { kind: number; serial: number; frame: number; a: number; b: number; c: number }[] = [];
  const block = new Float32Array(QUANTUM);
  return {
    engine,
    out,
    events,
    write(samples: Float32Array) {
      const n = ring.write(samples, 0, samples.length);
      expect(n).toBe(samples.length);
      written += n;
    },
    get written() {
      return written;
    },
    render(quanta = 1) {
      for (let q = 0; q < quanta; q++) this.renderAt(frame);
    },
    /** Renders one quantum with `contextFrame` as the context's frame of its first sample. */
    renderAt(contextFrame: number) {
      {
        engine.render(block, contextFrame);
        for (let i = 0; i < QUANTUM; i++) out.push(block[i]);
        for (let k = 0; k < engine.logCount; k++) {
          const o = k * EVENT_RECORD;
          const l = engine.log;
          events.push({ kind: l[o], serial: l[o + 1], frame: l[o + 2], a: l[o + 3], b: l[o + 4], c: l[o + 5] });
        }
        engine.takeEvents();
        frame = contextFrame + QUANTUM;
      }
    },
  };
}

function ramp(n: number, start = 0): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin((start + i) * 0.05) * 0.5;
  return x;
}

describe('PlaybackEngine', () => {
  it('plays randomly chunked audio of one utterance sample-exactly, tail included', () => {
    const rng = mulberry32(7);
    const t = makeEngine(48000, 24000, 120);
    const signal = ramp(10_001);
    t.engine.begin(1, 24000, 0, 0);
    let pos = 0;
    while (pos < signal.length) {
      const n = Math.min(signal.length - pos, 1 + Math.floor(rng() * 700));
      t.write(signal.subarray(pos, pos + n));
      pos += n;
    }
    t.engine.end(1, signal.length);
    t.render(Math.ceil(signal.length / QUANTUM) + 2);
    const first = t.out.findIndex((x) => x !== 0);
    expect(first).toBe(1); // signal[0] is exactly 0
    for (let i = 0; i < signal.length; i++) expect(t.out[i]).toBe(signal[i]);
    const kinds = t.events.map((e) => e.kind);
    expect(kinds).toEqual([EngineEvent.Playing, EngineEvent.Ended]);
    expect(t.events[1].frame).toBe(signal.length - 1);
    expect(t.events[1].a).toBe(signal.length);
  });

  it('waits for the prebuffer, then starts without waiting once the end is known', () => {
    const t = makeEngine(48000, 24000, 120);
    t.engine.begin(1, 24000, 0, 1000);
    t.write(ramp(500, 1));
    t.render(4);
    expect(t.out.every((x) => x === 0)).toBe(true);
    t.engine.end(1, 500);
    t.render(5);
    expect(t.events.map((e) => e.kind)).toEqual([EngineEvent.Playing, EngineEvent.Ended]);
    expect(t.events[0].frame).toBe(4 * QUANTUM);
  });

  it('fades out over the last buffered samples on underrun, stays silent, fades back in and plays every sample', () => {
    const fade = 64;
    const t = makeEngine(48000, 24000, fade);
    const signal = new Float32Array(3000).fill(0.5);
    t.engine.begin(1, 24000, 0, 0);
    t.write(signal.subarray(0, 1000));
    t.render(12); // 1536 frames: data runs out
    const underrunStart = t.events.find((e) => e.kind === EngineEvent.UnderrunStart)!;
    expect(underrunStart.frame).toBe(1000);
    // The last `fade` played samples ramp down to exactly 0, monotonically.
    for (let i = 1000 - fade + 1; i < 1000; i++) expect(t.out[i]).toBeLessThanOrEqual(t.out[i - 1]);
    expect(t.out[999]).toBe(0);
    expect(t.out[1000 - fade - 1]).toBe(0.5);
    t.write(signal.subarray(1000));
    t.engine.end(1, 3000);
    t.render(20);
    const resume = t.events.find((e) => e.kind === EngineEvent.UnderrunEnd)!;
    expect(resume.a).toBe(12 * QUANTUM - 1000);
    const ended = t.events.find((e) => e.kind === EngineEvent.Ended)!;
    expect(ended.a).toBe(3000);
    // Every sample was played: output frames that are non-zero = all samples (fades included).
    const played = t.out.slice(resume.frame, ended.frame + 1);
    expect(played.length).toBe(2000);
    for (let i = 1; i < fade; i++) expect(played[i]).toBeGreaterThanOrEqual(played[i - 1]);
  });

  it('interrupt fades to silence within the fade length and reports played + dropped exactly', () => {
    const fade = 100;
    const t = makeEngine(48000, 24000, fade);
    const a = new Float32Array(20_000).fill(0.25);
    t.engine.begin(1, 24000, 0, 0);
    t.write(a);
    t.render(10);
    t.engine.begin(2, 24000, 20_000, 0); // queued behind: flushed without sounding
    t.write(new Float32Array(500).fill(0.25));
    t.engine.interrupt(t.written);
    t.render(3);
    const cut = t.events.find((e) => e.kind === EngineEvent.Interrupted)!;
    expect(cut.serial).toBe(1);
    expect(cut.c).toBe(fade);
    expect(cut.a).toBe(10 * QUANTUM + fade);
    expect(cut.a + cut.b).toBe(20_000);
    const flushed = t.events.find((e) => e.kind === EngineEvent.Flushed)!;
    expect(flushed.serial).toBe(2);
    expect(flushed.b).toBe(500);
    expect(t.out[10 * QUANTUM + fade - 1]).toBe(0);
    expect(t.out.slice(10 * QUANTUM + fade).every((x) => x === 0)).toBe(true);
    expect(t.engine.absRead).toBe(20_500);
    // The next utterance plays normally.
    t.engine.begin(3, 24000, 20_500, 0);
    t.write(ramp(300, 1));
    t.engine.end(3, 20_800);
    t.render(4);
    expect(t.events.filter((e) => e.serial === 3).map((e) => e.kind)).toEqual([EngineEvent.Playing, EngineEvent.Ended]);
  });

  it('resamples 24 kHz into 48 kHz with exactly twice the samples and a continuous signal', () => {
    const t = makeEngine(48000, 48000, 120);
    const n = 4801;
    const signal = new Float32Array(n);
    for (let i = 0; i < n; i++) signal[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / 24000);
    t.engine.begin(1, 24000, 0, 0);
    t.write(signal);
    t.engine.end(1, n);
    t.render(80);
    const ended = t.events.find((e) => e.kind === EngineEvent.Ended)!;
    expect(ended.frame + 1).toBe(Math.ceil((n * 48000) / 24000));
    let maxStep = 0;
    for (let i = 1; i < 9000; i++) maxStep = Math.max(maxStep, Math.abs(t.out[i] - t.out[i - 1]));
    // The sine's own largest step, plus room for the band-limited onset's overshoot.
    expect(maxStep).toBeLessThan(((0.5 * 2 * Math.PI * 440) / 48000) * 1.25);
  });

  it('never allocates a segment beyond its pool and refuses the 65th queued utterance', () => {
    const t = makeEngine(1000, 24000, 10);
    for (let s = 0; s < 64; s++) expect(t.engine.begin(s, 24000, 0, 0)).toBe(true);
    expect(t.engine.begin(64, 24000, 0, 0)).toBe(false);
  });

  it('waits for more after each underrun of an utterance: prebuffer + step per underrun, up to the max', () => {
    const t = makeEngine(48000, 24000, 10);
    t.engine.begin(1, 24000, 0, 200, 100, 400);
    const count = (kind: number) => t.events.filter((e) => e.kind === kind).length;
    let at = 0;
    const feed = (n: number) => {
      t.write(new Float32Array(n).fill(0.25));
      at += n;
    };
    feed(200);
    t.render(4); // plays 200, runs dry
    expect(count(EngineEvent.UnderrunStart)).toBe(1);
    // The threshold is now 300 (200 + 100): 299 buffered is not enough.
    for (const [n, resumed] of [
      [299, 0],
      [1, 1],
    ] as const) {
      feed(n);
      t.render(1);
      expect(count(EngineEvent.UnderrunEnd)).toBe(resumed);
    }
    t.render(4); // runs dry again: 400 now
    expect(count(EngineEvent.UnderrunStart)).toBe(2);
    feed(399);
    t.render(2);
    expect(count(EngineEvent.UnderrunEnd)).toBe(1);
    feed(1);
    t.render(1);
    expect(count(EngineEvent.UnderrunEnd)).toBe(2);
    t.render(5); // and again: capped at 400
    expect(count(EngineEvent.UnderrunStart)).toBe(3);
    feed(399);
    t.render(2);
    expect(count(EngineEvent.UnderrunEnd)).toBe(2);
    feed(1);
    t.engine.end(1, at);
    t.render(6);
    expect(count(EngineEvent.UnderrunEnd)).toBe(3);
    const ended = t.events.find((e) => e.kind === EngineEvent.Ended)!;
    expect(ended.a).toBe(at); // every sample played
  });

  it('never raises the resume threshold past half the ring', () => {
    const t = makeEngine(1000, 24000, 10);
    t.engine.begin(1, 24000, 0, 100, 600, 2000);
    t.write(new Float32Array(200).fill(0.25)); // at least a quantum and a fade to start
    t.render(3);
    expect(t.events.filter((e) => e.kind === EngineEvent.UnderrunStart)).toHaveLength(1);
    t.write(new Float32Array(499).fill(0.25));
    t.render(1);
    expect(t.events.filter((e) => e.kind === EngineEvent.UnderrunEnd)).toHaveLength(0);
    t.write(new Float32Array(1).fill(0.25)); // 500 = capacity / 2, not 700
    t.render(1);
    expect(t.events.filter((e) => e.kind === EngineEvent.UnderrunEnd)).toHaveLength(1);
  });

  it('counts frames on when the context frame is stale (Chromium) and follows real jumps of the clock', () => {
    const t = makeEngine(48000, 24000, 64);
    t.engine.addMark(1, 300, 3);
    t.engine.addMark(1, 700, 7);
    t.engine.begin(1, 24000, 0, 0);
    t.write(ramp(1000, 1));
    t.engine.end(1, 1000);
    // Quanta 2 and 3 read quantum 1's frame (128), quantum 4 the true one again; then the
    // context skips 512 frames it never renders.
    for (const contextFrame of [0, 128, 128, 128, 512, 1152, 1280, 1408, 1536]) t.renderAt(contextFrame);
    const at = (kind: number) => t.events.filter((e) => e.kind === kind).map((e) => e.frame);
    expect(at(EngineEvent.Playing)).toEqual([0]);
    expect(at(EngineEvent.Mark)).toEqual([300, 1152 + (700 - 640)]);
    expect(at(EngineEvent.Ended)).toEqual([1152 + (999 - 640)]);
    expect(t.engine.nextFrame).toBe(1536 + QUANTUM);
  });

  describe('marks', () => {
    it('fire at the exact output frame of their sample, in order even when added out of order', () => {
      const t = makeEngine(48000, 24000, 64);
      t.engine.addMark(1, 1000, 11);
      t.engine.addMark(1, 10, 10);
      t.engine.addMark(1, 5000, 12); // past the end: sounds with the last sample
      t.engine.begin(1, 24000, 0, 0);
      t.write(ramp(3000, 1));
      t.engine.end(1, 3000);
      t.render(30);
      const marks = t.events.filter((e) => e.kind === EngineEvent.Mark);
      const playing = t.events.find((e) => e.kind === EngineEvent.Playing)!;
      const ended = t.events.find((e) => e.kind === EngineEvent.Ended)!;
      expect(marks.map((m) => [m.a, m.frame - playing.frame])).toEqual([
        [10, 10],
        [11, 1000],
        [12, ended.frame - playing.frame],
      ]);
      expectNoPendingMarks(t.engine);
    });

    it('map a 24 kHz offset to the resampled output frame', () => {
      const t = makeEngine(48000, 48000, 64);
      t.engine.addMark(1, 777, 1);
      t.engine.begin(1, 24000, 0, 0);
      t.write(ramp(3000, 1));
      t.engine.end(1, 3000);
      t.render(60);
      const mark = t.events.find((e) => e.kind === EngineEvent.Mark)!;
      const playing = t.events.find((e) => e.kind === EngineEvent.Playing)!;
      expect(mark.frame - playing.frame).toBe(1554);
    });

    it('that an interrupt cuts never fire; marks already heard did', () => {
      const t = makeEngine(48000, 24000, 64);
      t.engine.addMark(1, 100, 1);
      t.engine.addMark(1, 5000, 2);
      t.engine.addMark(2, 0, 3);
      t.engine.begin(1, 24000, 0, 0);
      t.write(new Float32Array(10_000).fill(0.3));
      t.render(8);
      t.engine.interrupt(10_000, 2);
      t.render(4);
      expect(t.events.filter((e) => e.kind === EngineEvent.Mark).map((e) => e.a)).toEqual([1]);
      expectNoPendingMarks(t.engine);
    });

    it('added after their utterance played out are reported at once with the frame their sample played at, not lost', () => {
      const t = makeEngine(48000, 24000, 64);
      t.engine.begin(1, 24000, 0, 0);
      t.write(ramp(500, 1));
      t.engine.end(1, 500);
      t.render(6);
      t.engine.addMark(1, 200, 9);
      t.render(1);
      const mark = t.events.find((e) => e.kind === EngineEvent.Mark)!;
      expect(mark.a).toBe(9);
      expect(mark.frame).toBe(200); // played from frame 0; it arrived at 6 * QUANTUM
      expect(mark.c).toBe(0); // not "passed": the engine knows the frame
    });
  });
});
