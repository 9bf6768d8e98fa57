/**
 * The detector's DSP in simulated rooms (test/support/echo-room.ts): far end voice A, near end
 * voice B, both espeak-ng. Floors, not exact figures; `npm run bench:echo` reports the figures.
 */
import { describe, expect, it } from 'vitest';
import { ECHO_BLOCK, EchoDetector, type EchoDetectorOptions } from '../../../src/echo/echo-detector';
import type { BargeInEvent } from '../../../src/echo/barge-in-policy';
import {
  DARK_HZ,
  FAR_FIXTURE,
  NEAR_FIXTURE,
  ROOMS,
  darken,
  loadFixture,
  loadNearIndex,
  makeRir,
  rirOf,
  rotate,
  simulateRoom,
  type RoomOptions,
} from '../../support/echo-room';
import { mulberry32 } from '../prng';

const far = loadFixture(FAR_FIXTURE);
const nearVoice = loadFixture(NEAR_FIXTURE);
const utterances = loadNearIndex();

function run(mic: Float32Array, ref: Float32Array, options?: EchoDetectorOptions) {
  const detector = new EchoDetector(options);
  const out = new Float32Array(mic.length);
  const block = new Float32Array(ECHO_BLOCK);
  const events: { at: number; event: BargeInEvent }[] = [];
  for (let s = 0; s + ECHO_BLOCK <= mic.length; s += ECHO_BLOCK) {
    const event = detector.process(mic.subarray(s, s + ECHO_BLOCK), ref.subarray(s, s + ECHO_BLOCK), block);
    // The output is one block late: put it back in place.
    if (s >= ECHO_BLOCK) out.set(block, s - ECHO_BLOCK);
    if (event) events.push({ at: (s + ECHO_BLOCK) / 16000, event });
  }
  return { out, events, detector };
}

function erleDb(mic: Float32Array, out: Float32Array, from: number, to: number): number {
  let m = 0;
  let o = 0;
  for (let i = from; i < to; i++) {
    m += mic[i] * mic[i];
    o += out[i] * out[i];
  }
  return 10 * Math.log10(m / o);
}

function room(name: string, extra: Partial<RoomOptions> = {}, seconds = 20) {
  const config = ROOMS.find((r) => r.name === name)!;
  return simulateRoom({
    far: far.subarray(0, seconds * 16000),
    rir: makeRir({ rt60: config.rt60, seed: config.seed }),
    delayMs: config.delayMs,
    clip: config.clip,
    snrDb: 60,
    ...extra,
  });
}

describe('EchoDetector in simulated rooms', () => {
  it('a linear room: the cancelled microphone is ≥ 30 dB under the echo from 2 s on', () => {
    const r = room('office-80ms');
    const { out, detector } = run(r.mic, r.ref);
    expect(erleDb(r.mic, out, 2 * 16000, 20 * 16000)).toBeGreaterThan(30);
    expect(Math.abs(detector.report.delayMs - 80)).toBeLessThan(2);
  });

  it('a soft-clipping loudspeaker: ≥ 20 dB from 2 s on', () => {
    const r = room('lounge-250ms-clip');
    const { out } = run(r.mic, r.ref);
    expect(erleDb(r.mic, out, 2 * 16000, 20 * 16000)).toBeGreaterThan(20);
  });

  it('an echo-path change (the RIR replaced): from 0.5 s after it the cancelled microphone is ≥ 25 dB under the echo again', () => {
    // While the filter misses, the output takes all of its echo estimate as residual. With the
    // leak learnt for the old path it let the new echo through: 9–18 dB in this window before
    // (32–42 dB now). Not the hard-clipping laptop, whose distortion no linear estimate covers.
    const change = 10 * 16000;
    for (const config of ROOMS.filter((c) => c.name !== 'laptop-40ms-clip')) {
      const pathChange = { atSample: change, rir: makeRir({ rt60: config.rt60, seed: config.seed + 7 }), delayMs: config.delayMs };
      const r = room(config.name, { pathChange });
      const { out } = run(r.mic, r.ref);
      expect(erleDb(r.mic, out, change + 8000, change + 16000), config.name).toBeGreaterThan(25);
    }
  });

  it('an echo-path change the misfit test does not see: the output takes it for one all the same', () => {
    // The bench's booth change: the background half learns the new short echo at once, so the
    // error stays at about half the microphone, under the misfit bar, and the learnt leak let the
    // new echo through at 5 dB for 0.6 s (re-convergence 1.01 s). Far-end speech from 30 s on.
    const config = ROOMS.find((c) => c.name === 'booth-10ms')!;
    const change = 30 * 16000;
    const rir = (n: number) => makeRir({ rt60: config.rt60, seed: config.seed * 1000 + n });
    const pathChange = { atSample: change, rir: rir(301), delayMs: config.delayMs };
    const r = room(config.name, { rir: rir(300), echoLevelDb: -16, seed: 300, pathChange }, far.length / 16000);
    const { out } = run(r.mic.subarray(0, change + 16000), r.ref.subarray(0, change + 16000));
    // 0.25–0.75 s after the change: 20.5 dB now, 6.9 dB before.
    expect(erleDb(r.mic, out, change + 4000, change + 12000)).toBeGreaterThan(15);
  });

  it('the cancelled stream keeps the near-end talker in double talk (within 2 dB)', () => {
    // The output's suppression must not take the talker for echo (-0.2 to -0.4 dB without the
    // suspect rule, -1.0 to -1.3 dB with it): the talker's share of the
    // cancelled stream (its correlation with the talker alone) over six utterances at SER 0 dB.
    const near = new Float32Array(20 * 16000);
    utterances
      .filter((u) => u.end - u.start >= 0.3 * 16000)
      .slice(0, 6)
      .forEach((u, i) => near.set(nearVoice.subarray(u.start, u.end), (4 + 2.5 * i) * 16000));
    for (const name of ['office-80ms', 'kitchen-150ms', 'hall-400ms']) {
      const r = room(name, { near, serDb: 0, snrDb: 40 });
      const { out } = run(r.mic, r.ref);
      let nn = 0;
      let no = 0;
      for (let i = 4 * 16000; i < out.length; i++) {
        nn += r.nearScaled[i] * r.nearScaled[i];
        no += r.nearScaled[i] * out[i];
      }
      expect(20 * Math.log10(no / nn), name).toBeGreaterThan(-2);
    }
  });

  it('digital silence (a microphone not yet connected, or muted) then plain room noise is never speech', () => {
    // Silence taken as the noise floor left every later block of noise over it for tens of
    // seconds: a false barge-in 0.26 s after a start with one silent block.
    const rng = mulberry32(7);
    for (const [label, silentBlocks] of [
      ['1 silent block first', (b: number) => b < 1],
      ['10 silent blocks first', (b: number) => b < 10],
      ['muted for 2 s in the middle', (b: number) => b >= 200 && b < 325],
    ] as const) {
      const mic = new Float32Array(10 * 16000);
      for (let i = 0; i < mic.length; i++) mic[i] = silentBlocks(Math.floor(i / ECHO_BLOCK)) ? 0 : (rng() * 2 - 1) * 0.003;
      const { events } = run(mic, new Float32Array(mic.length));
      expect(events, label).toEqual([]);
    }
  });

  it('60 s of agent speech with the echo 10 dB over the near end is never a barge-in, in any room', () => {
    for (const config of ROOMS) {
      const r = room(config.name, { echoLevelDb: -16 }, 60);
      const { events } = run(r.mic, r.ref);
      expect(
        events.filter((e) => e.event === 'bargein'),
        config.name,
      ).toEqual([]);
    }
  });

  it('an echo-path change under a darker far end is not a barge-in (it was, in two rooms)', () => {
    // The bench's path-change streams (scenario (a)) for two rooms, 36 s of voice A darker, echo
    // 10 dB over the near end, the RIR replaced at 30 s. The old filter still cancelled part of
    // the new echo, whose rest read as strong speech for ~150 ms before the miss showed; the
    // talker it made was confirmed at 30.27 s (kitchen) and 30.26 s (hall).
    const dark = darken(far, DARK_HZ);
    for (const name of ['kitchen-150ms', 'hall-400ms']) {
      const ri = ROOMS.findIndex((r) => r.name === name);
      const config = ROOMS[ri];
      const r = simulateRoom({
        far: rotate(dark, (12 + 5 * ri) * 16000).subarray(0, 36 * 16000),
        rir: rirOf(config, 1),
        delayMs: config.delayMs,
        clip: config.clip,
        echoLevelDb: -16,
        seed: 100 * ri + 1,
        pathChange: { atSample: 30 * 16000, rir: rirOf(config, 51), delayMs: config.delayMs },
      });
      const { events } = run(r.mic, r.ref);
      expect(
        events.filter((e) => e.event === 'bargein'),
        `${name}: ${JSON.stringify(events)}`,
      ).toEqual([]);
      // The change was seen as a talker and taken back: this test is about that case.
      expect(
        events.some((e) => e.at > 30 && e.event === 'speechstart'),
        name,
      ).toBe(true);
    }
  });

  it('the user speaking over the agent (SER 0 dB) is a barge-in within 400 ms of the onset', () => {
    const near = new Float32Array(20 * 16000);
    const onsets: number[] = [];
    // Six utterances of ≥ 300 ms, from 4 s on, 2.5 s apart.
    utterances
      .filter((u) => u.end - u.start >= 0.3 * 16000)
      .slice(0, 6)
      .forEach((u, i) => {
        const at = (4 + 2.5 * i) * 16000;
        near.set(nearVoice.subarray(u.start, u.end), at);
        onsets.push(at / 16000);
      });
    const r = room('kitchen-150ms', { near, serDb: 0, snrDb: 40 });
    const { events } = run(r.mic, r.ref);
    const hits = onsets.filter((onset) => events.some((e) => e.event === 'bargein' && e.at >= onset && e.at <= onset + 0.4));
    expect(hits.length, JSON.stringify(events)).toBeGreaterThanOrEqual(5);
    // Nothing fires before the first utterance.
    expect(events.filter((e) => e.event === 'bargein' && e.at < onsets[0])).toEqual([]);
  });

  it("'gate' mode (no canceller): never a barge-in on the echo alone; a talker 10 dB over the echo is heard", () => {
    for (const name of ['office-80ms', 'hall-400ms']) {
      const r = room(name, { echoLevelDb: -16 }, 40);
      expect(
        run(r.mic, r.ref, { mode: 'gate' }).events.filter((e) => e.event === 'bargein'),
        name,
      ).toEqual([]);
    }
    const near = new Float32Array(30 * 16000);
    const onsets: number[] = [];
    utterances
      .filter((u) => u.end - u.start >= 0.5 * 16000)
      .slice(0, 6)
      .forEach((u, i) => {
        const at = (4 + 4 * i) * 16000;
        near.set(nearVoice.subarray(u.start, u.end), at);
        onsets.push(at / 16000);
      });
    const r = room('kitchen-150ms', { near, serDb: 10, snrDb: 40 }, 30);
    const { events } = run(r.mic, r.ref, { mode: 'gate' });
    const hits = onsets.filter((onset) => events.some((e) => e.event === 'bargein' && e.at >= onset && e.at <= onset + 1));
    expect(hits.length, JSON.stringify(events)).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.event === 'bargein' && !onsets.some((o) => e.at >= o && e.at <= o + 2))).toEqual([]);
  });

  it('refuses options out of range', () => {
    expect(() => new EchoDetector({ sensitivity: 2 })).toThrow(RangeError);
    expect(() => new EchoDetector({ confirmMs: -1 })).toThrow(RangeError);
    expect(() => new EchoDetector({ mode: 'loud' as never })).toThrow(RangeError);
  });
});
