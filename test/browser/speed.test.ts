import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useSuite } from './fixture';

import { encodeControl, encodeFrame } from '../../src/protocol/index';
import { TimeStretcher } from '../../src/dsp/time-stretch';
import { SourceMap } from '../../src/worklet/source-map';
import { mappedReference, stretch } from '../../bench/stretch';
import { compareF0, toneResidual, yinTrack } from '../support/pitch-track';
import { findActiveRegion, openPage, toPcm16, withoutSkips, type StaticServer, type StreamStep, ENGINE } from './harness';

type FixtureEvent = { type: string; at: number; frame: number; detail: any };

const suite = useSuite();
const RATE = 24000;
/** The longest pitch period the stretcher splices at 24 kHz: the duration goal of issue 24. */
const MAX_PERIOD = new TimeStretcher(RATE).maxPeriod;

/** The espeak-ng speech fixture (2.5 s, 24 kHz), as the player will decode it. */
function speech(): Float32Array {
  const bytes = readFileSync(new URL('../fixtures/speech-24k.s16le', import.meta.url));
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
  return Float32Array.from(pcm, (v) => v / 32768);
}

/** What the worklet's stretcher makes of `x` at `speed` (the same code, run here), and its source map. */
function stretchedInNode(x: Float32Array, speed: number): { out: Float32Array; map: SourceMap } {
  const map = new SourceMap();
  map.open(1, 0, 0);
  const st = new TimeStretcher(RATE, map);
  st.setSpeed(speed);
  const out = new Float32Array(Math.ceil(x.length / speed) + 4 * MAX_PERIOD);
  let written = 0;
  let made = 0;
  while (written < x.length) {
    written += st.write(x, written, Math.min(128, x.length - written));
    made += st.read(out, made, out.length - made);
  }
  st.finish();
  for (let n = 1; n > 0; made += n) n = st.read(out, made, out.length - made);
  return { out: out.subarray(0, made), map };
}

/** 100 ms voxplay frames of utterance `id`, with marks every 0.5 s of source announced first. */
function frames(x: Float32Array, id: number, marks: number[], everyMs: number): StreamStep[] {
  const pcm = toPcm16(x);
  const steps: StreamStep[] = [{ delayMs: 0, data: encodeControl({ type: 'start', utteranceId: String(id) }) }];
  for (const [k, offset] of marks.entries()) {
    steps.push({ delayMs: 0, data: encodeControl({ type: 'mark', utteranceId: String(id), sampleOffset: offset, name: `m${k}` }) });
  }
  const size = 4800;
  const count = Math.ceil(pcm.length / size);
  for (let f = 0; f < count; f++) {
    const header = { codec: 'pcm16' as const, sampleRate: RATE, utteranceId: id, seq: f, start: f === 0, end: f === count - 1 };
    steps.push({ delayMs: f === 0 ? 0 : everyMs, data: encodeFrame(header, pcm.subarray(f * size, (f + 1) * size)) });
  }
  return steps;
}

/** Opens the fixture page with a 24 kHz context, a player at `speed`, attached to the stream server. */
async function open(server: StaticServer, speed: number) {
  const opened = await openPage(suite.browser, `${server.url}/test/browser/pages/blank.html`);
  const connection = suite.stream.waitForConnection();
  await opened.page.evaluate(
    async ({ wsUrl, speed }) => {
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate: 24000, player: { prebufferMs: 100, speed } });
      fx.player.on('speedchange', (e: unknown) => fx.events.push({ type: 'speedchange', at: 0, frame: 0, detail: e }));
      fx.player.attach(new WebSocket(wsUrl));
    },
    { wsUrl: suite.stream.url, speed },
  );
  return { opened, conn: await connection };
}

describe(`speed in ${ENGINE}`, () => {
  for (const [speed, mode] of [
    [2, 'message'],
    [0.75, 'shared'],
  ] as const) {
    it(`plays speech at ${speed}× with the pitch kept: exactly the stretcher's output, marks and played counts in source time (${mode} transport)`, async () => {
      const x = speech();
      const marks = [0, 12000, 24000, 36000, 48000];
      const { opened, conn } = await open(mode === 'shared' ? suite.isolated : suite.plain, speed);
      // All at once: the subject is what the stretcher makes, not how the stream copes with a slow network.
      await conn.play(frames(x, 4, marks, 0));
      await opened.page.evaluate(() => (globalThis as any).fx.waitFor((e: FixtureEvent) => e.type === 'ended'));
      await opened.page.waitForTimeout(300);
      const result = await opened.page.evaluate(() => (globalThis as any).fx.result());
      expect(opened.errors).toEqual([]);
      await opened.close();
      expect(result.transport).toBe(mode);
      const captured = withoutSkips(Float32Array.from(result.samples), result.startFrame, result.skips);
      const { out: expected, map } = stretchedInNode(x, speed);
      // The duration goal: within one longest pitch period of input ÷ speed.
      expect(Math.abs(expected.length - x.length / speed)).toBeLessThanOrEqual(MAX_PERIOD);
      // The worklet made exactly what the stretcher makes in Node, sample for sample.
      const first = captured.findIndex((v) => v !== 0);
      const lead = expected.findIndex((v) => v !== 0);
      const start = first - lead;
      let mismatches = 0;
      for (let i = 0; i < expected.length; i++) if (captured[start + i] !== expected[i]) mismatches++;
      const active = findActiveRegion(captured, 0)!;
      console.log(
        `[speed ${speed}, ${ENGINE}] ${x.length} source samples played as ${active.end - active.start} frames (stretcher: ${expected.length}, ideal ${(x.length / speed).toFixed(0)}); mismatches ${mismatches}; underruns ${result.metrics.underruns}`,
      );
      expect(mismatches).toBe(0);
      // The pitch floor on the capture itself: its F0 track against the input's, through the map.
      const heard = captured.subarray(start, start + expected.length);
      const pitch = compareF0(yinTrack(heard, RATE).f0, mappedReference(yinTrack(x, RATE), yinTrack(heard, RATE), stretch(x, { speed }).map));
      console.log(
        `[speed ${speed}, ${ENGINE}] captured speech: median F0 error ${(100 * pitch.medianError).toFixed(2)} %, voicing ${(100 * pitch.voicing).toFixed(1)} % of ${pitch.frames} frames`,
      );
      expect(pitch.medianError).toBeLessThan(0.03);
      const ended = result.events.find((e: FixtureEvent) => e.type === 'ended')!;
      expect(ended.detail.playedSamples).toBe(x.length);
      expect(result.metrics.speed).toBe(speed);
      expect(result.metrics.samples.played).toBe(x.length);
      // Marks fire in source time: each at the exact frame where the stretched output reaches
      // its sample (the source map's answer), and that is within a period of offset ÷ speed.
      const raw = Float32Array.from(result.samples);
      const zeroFrame = result.startFrame + raw.findIndex((v) => v !== 0) - lead;
      const skipped = result.skips.reduce((sum: number, k: { frames: number }) => sum + k.frames, 0);
      const fired = result.events.filter((e: FixtureEvent) => e.type === 'mark');
      expect(fired.map((e: FixtureEvent) => e.detail.sampleOffset)).toEqual(marks);
      for (const e of fired) {
        const into = Math.round(e.detail.contextTime * RATE) - zeroFrame;
        const exact = map.stretchedAt(1, e.detail.sampleOffset);
        expect(Math.abs(into - exact), `mark at ${e.detail.sampleOffset}: frame ${into}, map ${exact}`).toBeLessThanOrEqual(skipped);
        expect(Math.abs(exact - e.detail.sampleOffset / speed)).toBeLessThanOrEqual(MAX_PERIOD);
      }
    });
  }

  it('a live change mid-utterance has no click: a 200 Hz tone through 1 → 1.5 → 0.75 → 2 keeps ≥ 30 dB of tone over what is not', async () => {
    const n = 4 * RATE;
    const x = Float32Array.from({ length: n }, (_, i) => Math.round(16000 * Math.sin((2 * Math.PI * 200 * i) / RATE)) / 32768);
    const { opened, conn } = await open(suite.plain, 1);
    await conn.play(frames(x, 8, [], 0));
    await opened.page.evaluate(async () => {
      const fx = (globalThis as any).fx;
      await fx.waitFor((e: FixtureEvent) => e.type === 'playing');
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      for (const speed of [1.5, 0.75, 2]) {
        await sleep(400);
        fx.player.speed = speed;
      }
      await fx.waitFor((e: FixtureEvent) => e.type === 'ended');
    });
    await opened.page.waitForTimeout(200);
    const result = await opened.page.evaluate(() => (globalThis as any).fx.result());
    expect(opened.errors).toEqual([]);
    await opened.close();
    expect(result.events.filter((e: FixtureEvent) => e.type === 'speedchange')).toHaveLength(3);
    expect(result.events.find((e: FixtureEvent) => e.type === 'ended').detail.playedSamples).toBe(n);
    expect(result.metrics.underruns).toBe(0);
    const captured = withoutSkips(Float32Array.from(result.samples), result.startFrame, result.skips);
    const active = findActiveRegion(captured, 0)!;
    const r = toneResidual(captured.subarray(active.start, active.end), 200, RATE);
    console.log(`[speed live, ${ENGINE}] energy outside the tone ${r.db.toFixed(1)} dB (worst 20 ms frame ${r.worstFrameDb.toFixed(1)} dB)`);
    expect(r.worstFrameDb).toBeLessThanOrEqual(-30);
  });

  it('speed changes live while streaming; an interrupt at 2× fades and accounts for every sample in source time', async () => {
    const x = speech();
    const { opened, conn } = await open(suite.plain, 1);
    const { page } = opened;
    // Real time (100 ms frames every 100 ms), so the utterance is still arriving at the interrupt.
    const playing = conn.play(frames(x, 6, [], 100));
    await page.evaluate(() => (globalThis as any).fx.waitFor((e: FixtureEvent) => e.type === 'playing'));
    const before = await page.evaluate(async () => {
      const fx = (globalThis as any).fx;
      const played: number[] = [];
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      for (const speed of [2, 0.5, 1.5]) {
        fx.player.speed = speed;
        await sleep(150);
        played.push(fx.player.getMetrics().samples.played);
      }
      fx.player.speed = 2;
      await sleep(200);
      const estimate = fx.player.interrupt();
      return { played, estimate };
    });
    await playing;
    await page.waitForTimeout(400);
    const result = await page.evaluate(() => (globalThis as any).fx.result());
    expect(opened.errors).toEqual([]);
    await opened.close();
    const changes = result.events.filter((e: FixtureEvent) => e.type === 'speedchange').map((e: FixtureEvent) => e.detail);
    expect(changes).toEqual([
      { speed: 2, previous: 1 },
      { speed: 0.5, previous: 2 },
      { speed: 1.5, previous: 0.5 },
      { speed: 2, previous: 1.5 },
    ]);
    for (let k = 1; k < before.played.length; k++) expect(before.played[k]).toBeGreaterThanOrEqual(before.played[k - 1]);
    const cut = result.events.find((e: FixtureEvent) => e.type === 'interrupted')!;
    expect(cut).toBeDefined();
    expect(cut.detail.utteranceId).toBe('6');
    const m = result.metrics.samples;
    // Exact accounting in source samples: received = played + buffered + dropped, nothing left.
    expect(m.received).toBe(m.played + m.buffered + m.dropped);
    expect(m.buffered).toBe(0);
    expect(cut.detail.playedSamples + cut.detail.droppedSamples + m.stale).toBe(m.received);
    expect(cut.detail.playedSamples).toBeGreaterThanOrEqual(before.played[before.played.length - 1]);
    // What was heard: the captured frames of the utterance, in source samples through the
    // speeds, cannot be fewer than played ÷ the fastest speed (2) nor more than ÷ the slowest.
    const captured = withoutSkips(Float32Array.from(result.samples), result.startFrame, result.skips);
    const active = findActiveRegion(captured, 0)!;
    const frames6 = active.end - active.start;
    expect(frames6).toBeGreaterThan(cut.detail.playedSamples / 2 - MAX_PERIOD);
    expect(frames6).toBeLessThan(cut.detail.playedSamples / 0.5 + MAX_PERIOD);
    // The fade: the last 5 ms before silence fall smoothly to zero.
    const tail = captured.subarray(active.end - 120, active.end + 1);
    let peakTail = 0;
    for (let i = tail.length - 24; i < tail.length; i++) peakTail = Math.max(peakTail, Math.abs(tail[i]));
    expect(peakTail).toBeLessThan(0.05);
  });
});
