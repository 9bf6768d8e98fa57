import { describe, expect, it } from 'vitest';
import { useSuite } from './fixture';

import { encodeFrame, encodeControl } from '../../src/protocol/index';
import {
  chirp,
  findActiveRegion,
  findGaps,
  countGaps,
  maxStep,
  mulberry32,
  openPage,
  quantizePcm16,
  randomChunks,
  sine,
  snrAgainst,
  toPcm16,
  type StaticServer,
  type StreamStep,
  withoutSkips,
  ENGINE,
} from './harness';

type FixtureEvent = { type: string; at: number; frame: number; detail: any };
interface FixtureResult {
  samples: number[];
  startFrame: number;
  skippedFrames: number;
  skips: { frame: number; frames: number }[];
  sampleRate: number;
  events: FixtureEvent[];
  metrics: any;
  transport: 'shared' | 'message';
  isolated: boolean;
  metricsEvents: number;
  lastMetricsEvent: any;
  samplePosts: number;
  postedSamples: number;
}

const suite = useSuite();

/** The test signal: a sine then a chirp, so both steady tones and sweeping phase are covered. */
function speechLikeSignal(rate: number, seconds: number): Float32Array {
  const a = sine(440, rate, seconds / 2, 0.5);
  const b = chirp(200, Math.min(4000, rate / 2 - 2000), rate, seconds / 2, 0.5);
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  // Continue the chirp from the sine's phase-free zero crossing: scale to avoid a jump.
  out.set(b, a.length);
  return out;
}

/** Frames of one utterance: random byte splits (odd counts included), voxplay-framed. */
function framedSteps(
  pcm: Uint8Array,
  utteranceId: number,
  rate: number,
  seed: number,
  minBytes: number,
  maxBytes: number,
  delay: (i: number) => number,
): StreamStep[] {
  const rng = mulberry32(seed);
  const chunks = randomChunks(pcm, rng, minBytes, maxBytes);
  return chunks.map((payload, i) => ({
    delayMs: delay(i),
    data: encodeFrame({ codec: 'pcm16', sampleRate: rate, utteranceId, seq: i, start: i === 0, end: i === chunks.length - 1 }, payload),
  }));
}

async function runStream(server: StaticServer, contextRate: number, steps: StreamStep[], playerOptions: object = {}, afterMs = 400, endedCount = 1) {
  const opened = await openPage(suite.browser, `${server.url}/test/browser/pages/blank.html`);
  const { page, errors } = opened;
  const connection = suite.stream.waitForConnection();
  await page.evaluate(
    async ({ contextRate, wsUrl, playerOptions }) => {
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate, player: playerOptions });
      fx.player.attach(new WebSocket(wsUrl));
    },
    { contextRate, wsUrl: suite.stream.url, playerOptions },
  );
  const conn = await connection;
  await conn.play(steps);
  await page.evaluate((n) => {
    const fx = (globalThis as any).fx;
    const done = () => fx.events.filter((e: FixtureEvent) => e.type === 'ended').length >= n || fx.events.some((e: FixtureEvent) => e.type === 'interrupted');
    return fx.waitFor(done);
  }, endedCount);
  await page.waitForTimeout(afterMs);
  const result = (await page.evaluate(() => (globalThis as any).fx.result())) as FixtureResult;
  await opened.close();
  return { result, errors, conn };
}

/** Where `reference` starts in `captured` (exact match of the first non-zero stretch). */
function locate(reference: Float32Array, captured: Float32Array): number {
  const firstRef = reference.findIndex((x) => x !== 0);
  const firstCap = captured.findIndex((x) => x !== 0);
  return firstCap - firstRef;
}

describe(`StreamPlayer in ${ENGINE}`, () => {
  for (const mode of ['message', 'shared'] as const) {
    it(`plays a randomly chunked, jittered framed stream sample-exactly with no gap (${mode} transport, same-rate context)`, async () => {
      const rate = 24000;
      const source = quantizePcm16(speechLikeSignal(rate, 2));
      const jitter = mulberry32(mode === 'shared' ? 11 : 12);
      const steps = framedSteps(toPcm16(source), 1, rate, mode === 'shared' ? 3 : 4, 1, 4001, () => jitter() * 20);
      const { result, errors } = await runStream(mode === 'shared' ? suite.isolated : suite.plain, rate, steps, { prebufferMs: 100 });
      expect(errors).toEqual([]);
      expect(result.transport).toBe(mode);
      expect(result.isolated).toBe(mode === 'shared');
      // Frames the fake output clock skipped were never rendered: not part of the suite.stream.
      const captured = withoutSkips(Float32Array.from(result.samples), result.startFrame, result.skips);
      const offset = locate(source, captured);
      expect(offset).toBeGreaterThanOrEqual(0);
      let mismatches = 0;
      for (let i = 0; i < source.length; i++) if (captured[offset + i] !== source[i]) mismatches++;
      expect(mismatches).toBe(0);
      // Nothing after the tail: the utterance is exactly source.length samples long.
      const active = findActiveRegion(captured, 0)!;
      expect(active.end - offset).toBeLessThanOrEqual(source.length);
      expect(countGaps(captured, offset, offset + source.length, 64, 0)).toBe(0);
      const types = result.events.map((e) => e.type).filter((t) => t === 'playing' || t === 'ended');
      expect(types).toEqual(['playing', 'ended']);
      const ended = result.events.find((e) => e.type === 'ended')!;
      expect(ended.detail.playedSamples).toBe(source.length);
      const m = result.metrics;
      expect(m.samples.received).toBe(source.length);
      expect(m.samples.played).toBe(source.length);
      expect(m.samples.buffered).toBe(0);
      expect(m.samples.dropped).toBe(0);
      expect(m.underruns).toBe(0);
      // The clock fallback each engine needs (see src/player/clock.ts): Chromium's output
      // timestamp is usable; Firefox's is never read (it can deadlock the page); WebKitGTK's
      // runs ahead of performance.now(), so the player falls back to currentTime there.
      expect(m.clockSource).toBe(ENGINE === 'chromium' ? 'timestamp' : 'currentTime');
      // Firefox: the player must not read outputLatency there (it can deadlock the page), so
      // its audible time leaves out the device's buffer and may precede the first arrival;
      // the metric is then clamped at 0. Elsewhere it is positive.
      if (ENGINE === 'firefox') expect(m.recent[0].timeToFirstAudioMs).toBeGreaterThanOrEqual(0);
      else expect(m.recent[0].timeToFirstAudioMs).toBeGreaterThan(0);
      expect(m.recent[0].preloadRate).toBe(1);
      expect(m.lowWaterMs).toBeGreaterThan(0);
      // metrics events arrive at the default 250 ms interval while the stream plays (~2.4 s).
      expect(result.metricsEvents).toBeGreaterThanOrEqual(6);
      expect(result.lastMetricsEvent.samples.received).toBe(source.length);
      console.log(
        `[${mode}] gaps 0, mismatched samples ${mismatches}/${source.length}, time to first audio ${m.recent[0].timeToFirstAudioMs.toFixed(1)} ms, preload ${m.recent[0].preloadRate}, arrival ${m.recent[0].arrivalSpeed?.toFixed(2)}x`,
      );
    });
  }

  for (const contextRate of [48000, 44100]) {
    it(`resamples a 24 kHz stream into a ${contextRate} Hz context with high SNR, no gap and no click`, async () => {
      const rate = 24000;
      const source = quantizePcm16(sine(1000, rate, 1.5, 0.5));
      const steps = framedSteps(toPcm16(source), 7, rate, 21, 200, 3000, () => 5);
      const { result, errors } = await runStream(suite.plain, contextRate, steps, { prebufferMs: 80 });
      expect(errors).toEqual([]);
      const captured = withoutSkips(Float32Array.from(result.samples), result.startFrame, result.skips);
      const active = findActiveRegion(captured, 1e-4)!;
      const expectedLength = Math.ceil((source.length * contextRate) / rate);
      expect(Math.abs(active.end - active.start - expectedLength)).toBeLessThanOrEqual(40);
      // The analytic 1 kHz sine at the context rate, aligned on the best phase.
      const reference = sine(1000, contextRate, 1.5, 0.5);
      let best = -Infinity;
      for (let shift = -8; shift <= 8; shift++) {
        best = Math.max(best, snrAgainst(reference.subarray(200, reference.length - 200), captured, active.start + 200 + shift));
      }
      expect(best).toBeGreaterThan(60);
      expect(countGaps(captured, active.start, active.end, 32, 1e-4)).toBe(0);
      expect(maxStep(captured, active.start + 100, active.end - 100)).toBeLessThan(maxStep(reference) * 1.05);
      const ended = result.events.find((e) => e.type === 'ended')!;
      expect(ended.detail.playedSamples).toBe(source.length);
      console.log(`[${contextRate}] resampled SNR ${best.toFixed(1)} dB, output ${active.end - active.start} frames (expected ${expectedLength})`);
    });
  }

  it('plays consecutive utterances at different rates (from the frame header) back to back', async () => {
    const a = quantizePcm16(sine(500, 16000, 0.5, 0.4));
    const b = quantizePcm16(sine(500, 24000, 0.5, 0.4));
    const steps = [...framedSteps(toPcm16(a), 1, 16000, 2, 500, 2000, () => 2), ...framedSteps(toPcm16(b), 2, 24000, 3, 500, 2000, () => 2)];
    const { result, errors } = await runStream(suite.plain, 48000, steps, { prebufferMs: 50 }, 300, 2);
    expect(errors).toEqual([]);
    const ended = result.events.filter((e) => e.type === 'ended').map((e) => [e.detail.utteranceId, e.detail.playedSamples]);
    expect(ended).toEqual([
      ['1', a.length],
      ['2', b.length],
    ]);
    expect(result.metrics.samples.played).toBe(a.length + b.length);
    // Output length: each utterance resampled to 48 kHz, one after the other, no gap between.
    const captured = withoutSkips(Float32Array.from(result.samples), result.startFrame, result.skips);
    const active = findActiveRegion(captured, 0)!;
    const expected = Math.ceil((a.length * 48000) / 16000) + Math.ceil((b.length * 48000) / 24000);
    expect(Math.abs(active.end - active.start - expected)).toBeLessThanOrEqual(40);
    expect(countGaps(captured, active.start, active.end, 32, 1e-4)).toBe(0);
  });

  // Real time: 40 ms frames every 40 ms. 3×: every 13 ms, so the postMessage transport is
  // holding samples back (more than 500 ms queued) when the interrupt comes. Either way the
  // server is still sending at the interrupt.
  for (const [delivery, everyMs] of [
    ['real time', 40],
    ['3× real time', 13],
  ] as const)
    it(`interrupt fades to silence within fadeMs + one quantum, drops late frames and tells the server (${delivery})`, async () => {
      const rate = 24000;
      const source = quantizePcm16(sine(300, rate, 4, 0.5));
      const steps = framedSteps(toPcm16(source), 3, rate, 5, 1920, 1920, (i) => (i === 0 ? 0 : everyMs));
      const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
      const { page, errors } = opened;
      const connection = suite.stream.waitForConnection();
      await page.evaluate(
        async ({ wsUrl }) => {
          const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
          const fx = await setupPlayer({ contextRate: 48000, player: { prebufferMs: 60, fadeMs: 5 } });
          fx.player.attach(new WebSocket(wsUrl));
        },
        { wsUrl: suite.stream.url },
      );
      const conn = await connection;
      const playing = conn.play(steps); // keeps sending after the interrupt: those frames must be discarded
      await page.evaluate(() => (globalThis as any).fx.waitFor((e: FixtureEvent) => e.type === 'playing'));
      await page.waitForTimeout(800);
      const at = await page.evaluate(() => {
        const fx = (globalThis as any).fx;
        const frame = fx.frameNow();
        const estimate = fx.player.interrupt();
        return { frame, estimate };
      });
      const serverGotInterrupt = await conn.waitForMessage((m) => m.json?.type === 'interrupt');
      expect(serverGotInterrupt.json).toEqual({ type: 'interrupt', utteranceId: '3' });
      await playing;
      await page.waitForTimeout(400);
      const result = (await page.evaluate(() => (globalThis as any).fx.result())) as FixtureResult;
      await opened.close();
      expect(errors).toEqual([]);
      const captured = Float32Array.from(result.samples); // frame-indexed: timing is measured in frames
      const cut = result.events.find((e) => e.type === 'interrupted')!;
      expect(cut.detail.utteranceId).toBe('3');
      const lastSound = findActiveRegion(captured, 0)!.end + result.startFrame;
      const silenceAfterMs = ((lastSound - at.frame) * 1000) / result.sampleRate;
      // Frames the fake output skipped under load were never rendered: count without them.
      const rendered = withoutSkips(captured, result.startFrame, result.skips);
      const active = findActiveRegion(rendered, 0)!;
      // At real time the buffer holds only about the prebuffer (60 ms), so a host stall can
      // starve it: an underrun is a run of exact zeros inside the played region (the tone's
      // own zeros are single samples). That silence was not heard; it is not the subject here.
      const gaps = findGaps(rendered, active.start, active.end, 64, 0);
      const gapFrames = gaps.reduce((sum, g) => sum + g.length, 0);
      const underrunStarts = result.events.filter((e) => e.type === 'underrun' && e.detail.phase === 'start').length;
      // The call lands at the next quantum the audio thread renders after `frame`; allow the
      // fade plus one quantum, plus the render-ahead headless Chromium keeps (measured, printed).
      console.log(
        `[interrupt, ${delivery}] last audible frame ${silenceAfterMs.toFixed(2)} ms after the call's frame; fade ${cut.detail.fadeMs.toFixed(2)} ms; played ${cut.detail.playedMs.toFixed(1)} ms (estimate ${at.estimate.playedMs.toFixed(1)}), dropped ${cut.detail.droppedSamples} samples, stale ${result.metrics.samples.stale}; ${underrunStarts} underrun(s) before the cut, ${gaps.length} silent gap(s) of ${gapFrames} frames`,
      );
      expect(cut.detail.fadeMs).toBeLessThanOrEqual(5 + 1e-9);
      // Envelope: a fade, not a cut — the last 5 ms before silence decrease smoothly.
      const end = lastSound - result.startFrame;
      const fadeFrames = Math.round(0.005 * result.sampleRate);
      expect(maxStep(captured, end - fadeFrames, end + 1)).toBeLessThan(maxStep(captured, end - 4800, end - fadeFrames) * 1.01);
      // Exact accounting: every received sample is played, dropped or stale; nothing left buffered.
      const m = result.metrics.samples;
      expect(m.received).toBe(m.played + m.buffered + m.dropped);
      expect(m.buffered).toBe(0);
      expect(m.stale).toBeGreaterThan(0);
      expect(cut.detail.playedSamples + cut.detail.droppedSamples + cut.detail.staleSamples).toBeLessThanOrEqual(source.length);
      // What was heard, counted from the captured output at the source rate, matches the report:
      // the played region less its silent gaps, each of which the player reported as an underrun.
      expect(gaps.length).toBeLessThanOrEqual(underrunStarts);
      const heardFrames = active.end - active.start - gapFrames;
      expect(Math.abs((heardFrames * rate) / result.sampleRate - cut.detail.playedSamples)).toBeLessThanOrEqual(40);
      expect(cut.detail.playedSamples + cut.detail.droppedSamples + m.stale).toBe(m.received);
      // At 3× it was holding: one post per frame until 500 ms was queued, then one per 200 ms.
      if (everyMs < 40) expect(result.samplePosts).toBeLessThan(0.75 * (result.postedSamples / 960));
    });

  it('counts an underrun on a stall, fades out and back in, and plays every sample', async () => {
    const rate = 24000;
    const source = quantizePcm16(sine(500, rate, 2, 0.5));
    // 100 ms frames sent fast, except a 1.5 s stall after the first second of audio.
    const steps = framedSteps(toPcm16(source), 9, rate, 1, 4800, 4800, (i) => (i === 10 ? 1500 : 10));
    // A generous prebuffer: only the deliberate stall may starve playback, not a loaded machine.
    const { result, errors } = await runStream(suite.plain, rate, steps, { prebufferMs: 300, fadeMs: 5 });
    expect(errors).toEqual([]);
    const underruns = result.events.filter((e) => e.type === 'underrun');
    expect(underruns.map((e) => e.detail.phase)).toEqual(['start', 'end']);
    expect(underruns[1].detail.silentMs).toBeGreaterThan(200);
    expect(result.metrics.underruns).toBe(1);
    expect(result.metrics.prebufferMs).toBeGreaterThan(300);
    const captured = withoutSkips(Float32Array.from(result.samples), result.startFrame, result.skips);
    const active = findActiveRegion(captured, 0)!;
    const gaps = countGaps(captured, active.start, active.end, 64, 0);
    expect(gaps).toBe(1);
    // Every sample played: non-silent output, with the gap cut out, has the source's length.
    let silent = 0;
    for (let i = active.start; i < active.end; i++) if (captured[i] === 0) silent++;
    const zerosInSource = source.filter((x) => x === 0).length;
    // The fade-out ends on an exact 0 (played, but indistinguishable from the gap): allow 1.
    const audible = active.end - active.start - silent;
    expect(source.length - zerosInSource - audible).toBeGreaterThanOrEqual(0);
    expect(source.length - zerosInSource - audible).toBeLessThanOrEqual(1);
    // No click: steps stay within the tone's own.
    expect(maxStep(captured, active.start, active.end)).toBeLessThanOrEqual(maxStep(source) + 1e-6);
    expect(result.metrics.samples.played).toBe(source.length);
  });

  it('postMessage transport: a fast producer’s frames reach the worklet in a few large messages, still sample-exact', async () => {
    const rate = 24000;
    const source = quantizePcm16(speechLikeSignal(rate, 4));
    // 40 ms frames every 10 ms (4× real time), as a TTS server that runs ahead sends them.
    const steps = framedSteps(toPcm16(source), 5, rate, 1, 1920, 1920, () => 10);
    const { result, errors } = await runStream(suite.plain, rate, steps, { prebufferMs: 100 });
    expect(errors).toEqual([]);
    expect(result.transport).toBe('message');
    const captured = withoutSkips(Float32Array.from(result.samples), result.startFrame, result.skips);
    const offset = locate(source, captured);
    let mismatches = 0;
    for (let i = 0; i < source.length; i++) if (captured[offset + i] !== source[i]) mismatches++;
    console.log(`[hold] ${steps.length} frames → ${result.samplePosts} sample messages; mismatches ${mismatches}; underruns ${result.metrics.underruns}`);
    expect(mismatches).toBe(0);
    expect(result.metrics.underruns).toBe(0);
    expect(result.postedSamples).toBe(source.length);
    // Frames go one post each until 500 ms (the largest adaptive prebuffer + 100 ms) is
    // ahead, then up to 200 ms per post: well under half as many posts as frames.
    expect(result.samplePosts).toBeLessThan(steps.length / 2);
    expect(result.metrics.samples).toMatchObject({ received: source.length, played: source.length, buffered: 0, dropped: 0 });
  });

  it('lets the player make its own context, refuses a push that does not fit (no error) and says when it fits again (drain)', async () => {
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    const out = await opened.page.evaluate(async () => {
      const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
      const player = new StreamPlayer({ sampleRate: 24000, maxBufferMs: 500, prebufferMs: 50 });
      const errors: string[] = [];
      player.on('error', (e: any) => errors.push(e.code));
      const ended = new Promise((resolve) => player.on('ended', resolve));
      const drained = new Promise((resolve) => player.once('drain', resolve));
      await player.start();
      const second = new Int16Array(24000 * 0.3).fill(3000);
      const first = player.push(second, { utteranceId: 'a' });
      const refused = player.push(second, { utteranceId: 'a' });
      const drain: any = await drained;
      player.endUtterance('a');
      const endedEvent: any = await ended;
      const state = player.state;
      const rate = player.audioContext.sampleRate;
      await player.close();
      let threw = '';
      try {
        player.push(second);
      } catch (e: any) {
        threw = e.code;
      }
      await player.close();
      return { first, refused, drain, errors, endedEvent, state, rate, threw, after: player.state };
    });
    await opened.close();
    expect(opened.errors).toEqual([]);
    expect(out.first).toBe(true);
    expect(out.refused).toBe(false);
    expect(out.errors).toEqual([]);
    expect(out.drain.freeSamples).toBeGreaterThanOrEqual(7200);
    expect(out.endedEvent.playedSamples).toBe(7200);
    expect(out.state).toBe('running');
    expect(out.threw).toBe('closed');
    expect(out.after).toBe('closed');
  });

  it('turns a failed worklet load into an error that names the URL', async () => {
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`, { ignoreErrors: [/404|Failed to load/] });
    const out = await opened.page.evaluate(async () => {
      const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
      const player = new StreamPlayer({ workletUrl: '/nowhere/playback-processor.js' });
      try {
        await player.start();
        return 'started';
      } catch (e: any) {
        return `${e.code}: ${e.message}`;
      }
    });
    await opened.close();
    expect(out).toMatch(/^worklet-load: .*\/nowhere\/playback-processor\.js.*missing \(404\)/);
  });

  it('reports malformed frames and bad control messages and keeps playing', async () => {
    const rate = 24000;
    const source = quantizePcm16(sine(700, rate, 0.5, 0.4));
    const good = framedSteps(toPcm16(source), 4, rate, 9, 1000, 3000, () => 5);
    const steps: StreamStep[] = [
      { delayMs: 0, data: 'not json' },
      { delayMs: 5, data: encodeControl({ type: 'end', utteranceId: 'never-started' }) },
      { delayMs: 5, data: new Uint8Array([1, 2, 3]) },
      ...good.slice(0, 2),
      { delayMs: 5, data: good[1].data }, // duplicate
      ...good.slice(2),
    ];
    const { result, errors } = await runStream(suite.plain, rate, steps, { prebufferMs: 50 });
    expect(errors).toEqual([]);
    const codes = result.events.filter((e) => e.type === 'error').map((e) => e.detail.code);
    expect(codes).toEqual(['bad-control', 'unknown-utterance', 'bad-frame']);
    // The duplicate is routine: a `dropped` event, not an error.
    const drops = result.events.filter((e) => e.type === 'dropped').map((e) => [e.detail.reason, e.detail.samples]);
    expect(drops).toEqual([['duplicate', Math.floor(((good[1].data as Uint8Array).length - 20) / 2)]]);
    const ended = result.events.find((e) => e.type === 'ended')!;
    expect(ended.detail.playedSamples).toBe(source.length);
    const m = result.metrics.samples;
    expect(m.received).toBe(m.played + m.buffered + m.dropped);
    expect(m.stale).toBe(Math.floor(((good[1].data as Uint8Array).length - 20) / 2));
  });
});
