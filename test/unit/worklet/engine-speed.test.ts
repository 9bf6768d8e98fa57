import { describe, expect, it } from 'vitest';
import { PlaybackEngine } from '../../../src/worklet/playback-engine';
import { EngineEvent, EVENT_RECORD } from '../../../src/worklet/messages';
import { SampleRing } from '../../../src/ring/sample-ring';
import { mulberry32 } from '../prng';

const QUANTUM = 128;
const RATE = 24000;

interface Logged {
  kind: number;
  serial: number;
  frame: number;
  a: number;
  b: number;
  c: number;
}

/** An engine at `outRate` with a ring of `capacity`, rendered quantum by quantum; `played` is sampled after each quantum. */
function rig(outRate: number, capacity = 1 << 18) {
  const ring = new SampleRing(new ArrayBuffer(SampleRing.bytesFor(capacity)), capacity);
  const engine = new PlaybackEngine(ring, outRate, 64);
  const out: number[] = [];
  const events: Logged[] = [];
  const played: number[] = [];
  const block = new Float32Array(QUANTUM);
  let frame = 0;
  return {
    engine,
    ring,
    out,
    events,
    played,
    render(quanta = 1) {
      for (let q = 0; q < quanta; q++) {
        engine.render(block, frame);
        for (let i = 0; i < QUANTUM; i++) out.push(block[i]);
        for (let k = 0; k < engine.logCount; k++) {
          const o = k * EVENT_RECORD;
          const l = engine.log;
          events.push({ kind: l[o], serial: l[o + 1], frame: l[o + 2], a: l[o + 3], b: l[o + 4], c: l[o + 5] });
        }
        engine.takeEvents();
        played.push(engine.currentPlayed);
        frame += QUANTUM;
      }
    },
    /** Renders until utterance `serial` ended or was cut (or `max` quanta). */
    renderUntilGone(serial: number, max = 20000) {
      for (let q = 0; q < max; q++) {
        if (events.some((e) => e.serial === serial && (e.kind === EngineEvent.Ended || e.kind === EngineEvent.Interrupted))) return;
        this.render();
      }
    },
  };
}

/** Speech-like wideband test signal: a 140 Hz pulse train through a decaying resonance plus noise. */
function voice(n: number, seed = 7): Float32Array {
  const rnd = mulberry32(seed);
  const x = new Float32Array(n);
  let y1 = 0;
  let y2 = 0;
  const period = RATE / 140;
  for (let i = 0; i < n; i++) {
    const pulse = i % Math.round(period) === 0 ? 1 : 0;
    const y = pulse + 0.02 * (rnd() * 2 - 1) + 1.8 * Math.cos((2 * Math.PI * 700) / RATE) * 0.95 * y1 - 0.9025 * y2;
    y2 = y1;
    y1 = y;
    x[i] = 0.05 * y;
  }
  return x;
}

/** A rig at `speed` with `samples` of {@link voice} queued as utterance 1 (ended unless `open`). */
function queued(speed: number, samples: number, options: { outRate?: number; open?: boolean } = {}) {
  const r = rig(options.outRate ?? RATE);
  r.engine.setSpeed(speed);
  const x = voice(samples);
  r.ring.write(x, 0, x.length);
  r.engine.begin(1, RATE, 0, 0);
  if (!options.open) r.engine.end(1, x.length);
  return { r, x };
}

describe('the engine at a speed other than 1', () => {
  it('plays an utterance in input/speed frames, ends with every source sample counted, and played never goes back', () => {
    for (const speed of [0.5, 0.75, 1.25, 1.5, 2]) {
      const { r, x } = queued(speed, RATE * 2);
      r.renderUntilGone(1);
      const playing = r.events.find((e) => e.kind === EngineEvent.Playing)!;
      const ended = r.events.find((e) => e.kind === EngineEvent.Ended)!;
      expect(ended, `speed ${speed}`).toBeDefined();
      expect(ended.a).toBe(x.length);
      const length = ended.frame + 1 - playing.frame;
      // Within one longest pitch period (370 at 24 kHz) of input ÷ speed.
      expect(Math.abs(length - x.length / speed), `speed ${speed}: ${length} frames`).toBeLessThanOrEqual(370);
      for (let k = 1; k < r.played.length; k++) if (r.played[k] < r.played[k - 1] && r.played[k] !== 0) expect.fail(`played went back at quantum ${k}`);
    }
  });

  it('fires marks in source time: each at the frame where the source map reaches its sample', () => {
    const speed = 2;
    const r = rig(RATE);
    r.engine.setSpeed(speed);
    const x = voice(RATE * 2);
    r.ring.write(x, 0, x.length);
    r.engine.begin(1, RATE, 0, 0);
    for (let k = 0; k < 8; k++) r.engine.addMark(1, k * 6000, k);
    r.engine.end(1, x.length);
    r.renderUntilGone(1);
    const playing = r.events.find((e) => e.kind === EngineEvent.Playing)!;
    const marks = r.events.filter((e) => e.kind === EngineEvent.Mark);
    expect(marks.map((m) => m.a)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const m of marks) {
      const expected = playing.frame + m.b / speed;
      // A cycle of splicing is at most about two periods; the map is linear within one.
      expect(Math.abs(m.frame - expected), `mark at ${m.b}`).toBeLessThanOrEqual(370);
      expect(m.c).toBe(0);
    }
  });

  it('at speed 1 after a stretch, it returns to the source bit for bit', () => {
    const r = rig(RATE);
    const x = voice(RATE);
    r.ring.write(x, 0, x.length);
    r.engine.begin(1, RATE, 0, 0);
    r.engine.end(1, x.length);
    r.engine.setSpeed(1.5);
    r.render(20);
    r.engine.setSpeed(1);
    r.renderUntilGone(1);
    const played = r.events.find((e) => e.kind === EngineEvent.Ended)!;
    expect(played.a).toBe(x.length);
    // The last 8000 output frames are the last 8000 source samples, exactly.
    const end = played.frame + 1;
    const tail = r.out.slice(end - 8000, end);
    const source = Array.from(x.subarray(x.length - 8000));
    expect(tail).toEqual(source);
  });

  it('an interrupt mid-stretch accounts for every sample: heard + dropped = arrived', () => {
    for (const speed of [0.5, 2]) {
      const { r, x } = queued(speed, RATE * 2, { outRate: 48000, open: true });
      r.render(100);
      const heardBefore = r.engine.currentPlayed;
      r.engine.interrupt(x.length, 1);
      r.renderUntilGone(1);
      const cut = r.events.find((e) => e.kind === EngineEvent.Interrupted)!;
      expect(cut.a + cut.b).toBe(x.length);
      expect(cut.a).toBeGreaterThanOrEqual(heardBefore);
      // 100 quanta at 48 kHz is 6400 source-rate output frames: about 6400·speed source samples heard.
      expect(Math.abs(cut.a - 6400 * speed)).toBeLessThan(800);
    }
  });

  it('speed changes live: the source position advances at each new speed', () => {
    const r = rig(RATE);
    const x = voice(RATE * 4);
    r.ring.write(x, 0, x.length);
    r.engine.begin(1, RATE, 0, 0);
    r.engine.end(1, x.length);
    const speeds = [1, 2, 0.5, 1.25, 0.75];
    const window = 40; // quanta: 213 ms
    const settle = 3; // quanta: one longest pitch period (370 samples) and a little more
    for (const speed of speeds) {
      r.engine.setSpeed(speed);
      r.render(settle);
      const from = r.engine.currentPlayed;
      r.render(window - settle);
      const advanced = r.engine.currentPlayed - from;
      const rate = advanced / ((window - settle) * QUANTUM);
      expect(Math.abs(rate - speed) / speed, `speed ${speed}: ${rate.toFixed(3)}`).toBeLessThan(0.02);
    }
  });

  it('a change is heard within one pitch period: the source position moves at the new speed from there', () => {
    for (const [from, to] of [
      [1.25, 2],
      [2, 0.5],
      [0.75, 1.5],
    ]) {
      const { r } = queued(from, RATE * 3, { open: true });
      r.render(57); // an arbitrary point in a cycle
      r.engine.setSpeed(to);
      const base = r.played.length;
      r.render(24);
      // The first quantum from which the next 1024 output samples move the source at `to`.
      let heardAt = -1;
      for (let k = 0; k + 8 < 24 && heardAt < 0; k++) {
        const rate = (r.played[base + k + 8] - r.played[base + k]) / (8 * QUANTUM);
        if (Math.abs(rate / to - 1) < 0.03) heardAt = k;
      }
      expect(heardAt, `${from} → ${to}`).toBeGreaterThanOrEqual(0);
      // Quantum k covers output [k·128, (k + 1)·128): within one longest period (370), the
      // stretched buffer (64) and the quantum the change landed in.
      expect(heardAt * QUANTUM, `${from} → ${to}`).toBeLessThanOrEqual(370 + 64 + QUANTUM);
    }
  });

  it('the handover carries the speed and continues the source map where the heard part ends', () => {
    const a = rig(RATE);
    a.engine.setSpeed(1.5);
    const x = voice(RATE * 2);
    a.ring.write(x, 0, x.length);
    a.engine.begin(1, RATE, 0, 0);
    a.engine.end(1, x.length);
    a.render(50);
    const heard = a.engine.currentPlayed;
    const state = a.engine.handOver(true);
    expect(state.speed).toBe(1.5);
    expect(state.absRead).toBe(heard);
    const b = rig(RATE);
    b.engine.takeOver(state);
    expect(b.engine.speed).toBe(1.5);
    expect(b.engine.currentPlayed).toBe(heard);
    b.renderUntilGone(1);
    const ended = b.events.find((e) => e.kind === EngineEvent.Ended)!;
    expect(ended.a).toBe(x.length);
  });

  it('faster, the prebuffer grows with the speed: the same listening time is buffered before it starts', () => {
    const r = rig(RATE);
    r.engine.setSpeed(2);
    r.engine.begin(1, RATE, 0, 2400);
    const x = voice(4700);
    r.ring.write(x, 0, x.length);
    r.render(4);
    expect(r.events.some((e) => e.kind === EngineEvent.Playing)).toBe(false);
    r.ring.write(voice(200), 0, 200);
    r.render(1);
    expect(r.events.some((e) => e.kind === EngineEvent.Playing)).toBe(true);
  });

  it('pause and resume at 1.5×: the position holds while paused, and every source sample still plays', () => {
    const { r, x } = queued(1.5, RATE);
    r.render(20);
    r.engine.pause();
    r.render(2); // the fade-out
    const held = r.engine.currentPlayed;
    const before = r.out.length;
    r.render(30);
    expect(r.engine.currentPlayed).toBe(held);
    expect(r.out.slice(before).every((v) => v === 0)).toBe(true);
    r.engine.resume();
    r.renderUntilGone(1);
    const ended = r.events.find((e) => e.kind === EngineEvent.Ended)!;
    expect(ended.a).toBe(x.length);
    expect(r.out.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('an underrun at 0.75× fades out, waits, and resumes: every source sample plays, counted once', () => {
    const r = rig(RATE);
    r.engine.setSpeed(0.75);
    const x = voice(RATE);
    r.engine.begin(1, RATE, 0, 2400);
    r.ring.write(x, 0, 12000);
    r.render(200); // runs dry
    expect(r.events.some((e) => e.kind === EngineEvent.UnderrunStart)).toBe(true);
    const starved = r.engine.currentPlayed;
    expect(starved).toBeLessThanOrEqual(12000);
    r.ring.write(x.subarray(12000), 0, x.length - 12000);
    r.engine.end(1, x.length);
    r.renderUntilGone(1);
    expect(r.events.some((e) => e.kind === EngineEvent.UnderrunEnd)).toBe(true);
    const ended = r.events.find((e) => e.kind === EngineEvent.Ended)!;
    expect(ended.a).toBe(x.length);
    // The fade into the underrun is a fade: no sample jumps by more than the signal itself does.
    let step = 0;
    for (let i = 1; i < r.out.length; i++) step = Math.max(step, Math.abs(r.out[i] - r.out[i - 1]));
    let signalStep = 0;
    for (let i = 1; i < x.length; i++) signalStep = Math.max(signalStep, Math.abs(x[i] - x[i - 1]));
    expect(step).toBeLessThanOrEqual(signalStep * 1.5);
  });

  it('a report carries played in source time', () => {
    const { r } = queued(2, RATE, { open: true });
    r.render(30);
    // 30 quanta of output at speed 2 is about 7680 source samples.
    expect(Math.abs(r.engine.currentPlayed - 7680)).toBeLessThan(400);
  });
});
