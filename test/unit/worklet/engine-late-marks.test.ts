import { describe, expect, it } from 'vitest';
import { PlaybackEngine } from '../../../src/worklet/playback-engine';
import { RUN_HISTORY } from '../../../src/worklet/output-runs';
import { decodeEvents, type EngineEventRecord, type EngineReport } from '../../../src/worklet/messages';
import { EngineHost } from '../../../src/worklet/engine-host';
import { SampleRing } from '../../../src/ring/sample-ring';
import { mulberry32 } from '../prng';

// A mark can reach the worklet after its sample played: a service's timestamps message sent
// right after the first audio chunk (Cartesia's order) is posted after the samples, and the
// worklet may render a quantum or two in between. Such a mark must carry the frame at which
// its sample played, exactly the frame an on-time mark gets, never the frame it arrived at.

const QUANTUM = 128;
const FADE = 64;

/** Drives an engine quantum by quantum and keeps what it output, by context frame. */
function rig(outRate: number) {
  const ring = new SampleRing(new ArrayBuffer(SampleRing.bytesFor(96000)), 96000);
  const engine = new PlaybackEngine(ring, outRate, FADE, [24000]);
  const events: EngineEventRecord[] = [];
  const output = new Map<number, number>();
  const block = new Float32Array(QUANTUM);
  let frame = 50_000; // the context has been running a while
  return {
    engine,
    events,
    output,
    write(x: Float32Array) {
      expect(ring.write(x, 0, x.length)).toBe(x.length);
    },
    get frame() {
      return frame;
    },
    /** Renders `quanta` quanta; `jump` skips that many context frames first (a clock jump). */
    render(quanta = 1, jump = 0) {
      frame += jump;
      for (let q = 0; q < quanta; q++) {
        engine.render(block, frame);
        for (let i = 0; i < QUANTUM; i++) output.set(frame + i, block[i]);
        // The log as a report carries it, read by the player's own decoder.
        events.push(...decodeEvents({ events: engine.log, eventCount: engine.logCount } as EngineReport));
        engine.takeEvents();
        frame += QUANTUM;
      }
    },
    marks() {
      return events.flatMap((e) => (e.kind === 'mark' ? [{ id: e.markId, frame: e.frame, passed: e.passed }] : []));
    },
    at(kind: EngineEventRecord['kind'], serial: number) {
      return events.find((e) => e.kind === kind && e.serial === serial)!;
    },
  };
}

/** Distinct sample values, so a sample can be found in the output by value (same rate, gain 1). */
function distinct(n: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => Math.fround((rng() * 2 - 1) * 0.5));
}

/**
 * Utterance 1 plays through three runs (start; after a pause; after a jump of the context's
 * clock), then marks for samples of each run are added: `late` adds them after all three
 * runs played, otherwise they are added before the audio (the reference).
 */
function playingScenario(outRate: number, late: boolean, offsets: number[]) {
  const t = rig(outRate);
  const signal = distinct(12_000, 3);
  const addMarks = () => offsets.forEach((offset, k) => t.engine.addMark(1, offset, 100 + k));
  if (!late) addMarks();
  t.engine.begin(1, 24000, 0, 0);
  t.write(signal);
  t.render(12);
  t.engine.pause();
  t.render(4);
  t.engine.resume();
  t.render(6);
  t.render(6, 3000);
  const arrivedAt = t.frame;
  if (late) addMarks();
  t.render(1);
  return { t, signal, arrivedAt };
}

/** Utterance 1 (`n1` samples) ends, utterance 2 plays; the marks for 1 come after its end when `late`. */
function endedScenario(outRate: number, late: boolean, offsets: number[]) {
  const t = rig(outRate);
  const n1 = 2000;
  const addMarks = () => offsets.forEach((offset, k) => t.engine.addMark(1, offset, 200 + k));
  if (!late) addMarks();
  t.engine.begin(1, 24000, 0, 0);
  t.write(distinct(n1, 4));
  t.engine.end(1, n1);
  t.engine.begin(2, 24000, n1, 0);
  t.write(distinct(6000, 5));
  t.render(Math.ceil((n1 * outRate) / 24000 / QUANTUM) + 6);
  expect(t.at('ended', 1)).toBeDefined();
  const arrivedAt = t.frame;
  if (late) addMarks();
  t.render(1);
  return { t, arrivedAt };
}

describe('marks that arrive after their sample played', () => {
  for (const outRate of [24000, 48000]) {
    const label = outRate === 24000 ? 'same rate' : '24 kHz into 48 kHz';

    it(`${label}: within the playing utterance, they fire with the frame where their sample played, not the frame they arrived at`, () => {
      // Output indices 0–1599 play before the pause (its fade included), 1600–2367 after it, 2368–3135 after the jump.
      const offsets = outRate === 24000 ? [300, 2000, 2600] : [300, 1000, 1300];
      const ref = playingScenario(outRate, false, offsets);
      const got = playingScenario(outRate, true, offsets);
      const expected = ref.t.marks();
      expect(expected.map((m) => m.id)).toEqual([100, 101, 102]);
      expect(got.t.marks()).toEqual(expected);
      expect(expected.every((m) => m.passed === false)).toBe(true);
      // The three samples played in three different runs, all before the marks arrived.
      const playing = got.t.at('playing', 1).frame;
      expect(expected[0].frame).toBe(playing + (outRate / 24000) * offsets[0]);
      // The third run is the second shifted by the clock's jump of 3000 frames.
      expect(expected[2].frame - expected[1].frame).toBe((outRate / 24000) * (offsets[2] - offsets[1]) + 3000);
      for (const m of expected) expect(m.frame).toBeLessThan(got.arrivedAt);
      if (outRate === 24000) {
        // Same rate: the frame holds exactly the marked sample in the output.
        expected.forEach((m, k) => expect(got.t.output.get(m.frame)).toBe(got.signal[offsets[k]]));
      }
    });

    it(`${label}: for an utterance that already ended, they fire with the frame of their sample, or of its last sample when past the end`, () => {
      const offsets = [700, 1999, 5000];
      const ref = endedScenario(outRate, false, offsets);
      const got = endedScenario(outRate, true, offsets);
      const expected = ref.t.marks();
      expect(expected.map((m) => m.id)).toEqual([200, 201, 202]);
      expect(got.t.marks()).toEqual(expected);
      const playing = got.t.at('playing', 1).frame;
      const ended = got.t.at('ended', 1).frame;
      expect(expected[0].frame).toBe(playing + (outRate / 24000) * 700);
      expect(expected[2].frame).toBe(ended);
      expect(expected[2].frame).toBeLessThan(got.arrivedAt);
    });
  }

  it('fire at once while the utterance is starved or paused, with the frame of their sample', () => {
    const t = rig(24000);
    const signal = distinct(1000, 6);
    t.engine.begin(1, 24000, 0, 0);
    t.write(signal);
    t.render(12); // plays all 1000, then starves (utterance still open)
    expect(t.at('underrun-start', 1)).toBeDefined();
    t.engine.addMark(1, 400, 1);
    t.render(1);
    t.engine.pause();
    t.engine.addMark(1, 500, 2);
    t.render(1);
    const playing = t.at('playing', 1).frame;
    expect(t.marks()).toEqual([
      { id: 1, frame: playing + 400, passed: false },
      { id: 2, frame: playing + 500, passed: false },
    ]);
    expect(t.output.get(playing + 400)).toBe(signal[400]);
  });

  it('past the cut of an interrupted utterance never fire; before it, they fire with their frame', () => {
    const t = rig(24000);
    t.engine.begin(1, 24000, 0, 0);
    t.write(distinct(10_000, 7));
    t.render(8);
    t.engine.interrupt(10_000, 1);
    t.render(3);
    const cut = t.at('interrupted', 1);
    if (cut.kind !== 'interrupted') throw new Error('no interrupted event');
    t.engine.addMark(1, 100, 1);
    t.engine.addMark(1, cut.played + 10, 2); // past the samples played
    t.render(1);
    expect(t.marks()).toEqual([{ id: 1, frame: t.at('playing', 1).frame + 100, passed: false }]);
  });

  it(`beyond the history of ${RUN_HISTORY} output runs, they are reported as passed (flagged, at the current frame), not as heard now`, () => {
    const t = rig(24000);
    for (let s = 1; s <= RUN_HISTORY + 2; s++) {
      t.engine.begin(s, 24000, (s - 1) * 300, 0);
      t.write(distinct(300, s));
      t.engine.end(s, s * 300);
      t.render(3);
    }
    expect(t.events.filter((e) => e.kind === 'ended')).toHaveLength(RUN_HISTORY + 2);
    const now = t.frame;
    t.engine.addMark(1, 10, 1); // utterance 1's run is gone from the history
    t.engine.addMark(RUN_HISTORY + 2, 10, 2); // the newest one's is not
    t.render(1);
    expect(t.marks()).toEqual([
      { id: 1, frame: now, passed: true },
      { id: 2, frame: t.at('playing', RUN_HISTORY + 2).frame + 10, passed: false },
    ]);
  });

  it('for a sample played in a predecessor context (handover), they are reported as passed', () => {
    const options = { capacity: 96000, fadeFrames: FADE, reportIntervalFrames: 1200, rates: [24000] };
    const a = new EngineHost(options, 24000);
    a.receive({ type: 'samples', data: distinct(6000, 8) });
    a.receive({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0, prebufferStep: 0, prebufferMax: 0 });
    const buf = new Float32Array(QUANTUM);
    for (let q = 0; q < 10; q++) a.render(buf, q * QUANTUM);
    const reply = a.receive({ type: 'handover' })!;
    const b = new EngineHost({ ...options, restore: structuredClone(reply.state) }, 24000);
    b.render(buf, 9000 * QUANTUM);
    b.receive({ type: 'mark', serial: 1, offset: 500, id: 1 }); // played in the old context
    b.receive({ type: 'mark', serial: 1, offset: 10 * QUANTUM + 50, id: 2 }); // played in the new one
    const report: EngineReport = b.render(buf, 9001 * QUANTUM)!;
    const marks = decodeEvents(report).filter((e) => e.kind === 'mark');
    expect(marks).toEqual([
      { kind: 'mark', serial: 1, frame: 9001 * QUANTUM, markId: 1, offset: 500, passed: true },
      { kind: 'mark', serial: 1, frame: 9000 * QUANTUM + 50, markId: 2, offset: 10 * QUANTUM + 50, passed: false },
    ]);
  });
});
