import { describe, expect, it } from 'vitest';
import { useSuite } from './fixture';

import { encodeControl, encodeFrame } from '../../src/protocol/index';
import { findActiveRegion, openPage, quantizePcm16, toPcm16, type StreamStep, ENGINE } from './harness';

const suite = useSuite();

const RATE = 24000;
const BURST = 0.2 * RATE;

/** Six 200 ms cosine bursts 200 ms apart: each onset is a sharp, findable edge. */
function bursts(count: number): Float32Array {
  const x = new Float32Array(count * 2 * BURST);
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < BURST; i++) x[b * 2 * BURST + i] = 0.4 * Math.cos((2 * Math.PI * 600 * i) / RATE);
  }
  return quantizePcm16(x);
}

/** Onsets in the capture: first non-zero sample after ≥ 100 ms of silence. */
function onsets(captured: Float32Array): number[] {
  const found: number[] = [];
  let silent = Infinity;
  for (let i = 0; i < captured.length; i++) {
    if (captured[i] === 0) silent++;
    else {
      if (silent >= 0.1 * RATE) found.push(i);
      silent = 0;
    }
  }
  return found;
}

function steps(signal: Float32Array, marks: number[], delayMs: number): StreamStep[] {
  const pcm = toPcm16(signal);
  const out: StreamStep[] = [{ delayMs: 0, data: encodeControl({ type: 'start', utteranceId: '5' }) }];
  marks.forEach((offset, k) => out.push({ delayMs: 0, data: encodeControl({ type: 'mark', utteranceId: '5', sampleOffset: offset, name: `word${k}` }) }));
  const frameBytes = 4800; // 100 ms
  const frames = Math.ceil(pcm.length / frameBytes);
  for (let f = 0; f < frames; f++) {
    out.push({
      delayMs: f === 0 ? 0 : delayMs,
      data: encodeFrame(
        { codec: 'pcm16', sampleRate: RATE, utteranceId: 5, seq: f, start: f === 0, end: f === frames - 1 },
        pcm.subarray(f * frameBytes, (f + 1) * frameBytes),
      ),
    });
  }
  return out;
}

/**
 * Cartesia's order: the first audio chunk, then its word timestamps (word0's mark), then the
 * rest; the marks of later bursts go with the first chunk too (their audio is still to come).
 */
function stepsMarksAfterFirstChunk(signal: Float32Array, delayMs: number, later: number[]): StreamStep[] {
  const all = steps(signal, [], delayMs);
  const marks = [0, ...later].map((b) => ({
    delayMs: 0,
    data: encodeControl({ type: 'mark', utteranceId: '5', sampleOffset: b * 2 * BURST, name: `word${b}` }),
  }));
  return [all[0], all[1], ...marks, ...all.slice(2)];
}

async function setup() {
  const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
  const connection = suite.stream.waitForConnection();
  await opened.page.evaluate(async (url) => {
    const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
    const fx = await setupPlayer({ contextRate: 24000, player: { prebufferMs: 100 } });
    // The player's own latency figure: Firefox's outputLatency is not read (it can deadlock).
    fx.latency = fx.player.getMetrics().outputLatencyMs / 1000;
    fx.player.attach(new WebSocket(url));
  }, suite.stream.url);
  return { opened, conn: await connection };
}

/** Waits until the utterance ended (and 200 ms more of events), then returns what the fixture recorded and its latency. */
function playedOut(opened: Awaited<ReturnType<typeof setup>>['opened']): Promise<any> {
  return opened.page.evaluate(async () => {
    const fx = (globalThis as any).fx;
    await fx.waitFor((e: any) => e.type === 'ended');
    await new Promise((r) => setTimeout(r, 200));
    return { ...(await fx.result()), latency: fx.latency };
  });
}

describe(`playback marks in ${ENGINE}`, () => {
  it('fire when their sample reaches the output: exact frame, on time within a quantum plus output latency', async () => {
    const signal = bursts(6);
    const markOffsets = [0, 1, 2, 3, 4, 5].map((b) => b * 2 * BURST);
    const { opened, conn } = await setup();
    await conn.play(steps(signal, markOffsets, 20));
    const out = await playedOut(opened);
    await opened.close();
    expect(opened.errors).toEqual([]);
    const marks = out.events.filter((e: any) => e.type === 'mark');
    expect(marks.map((m: any) => m.detail.name)).toEqual(['word0', 'word1', 'word2', 'word3', 'word4', 'word5']);
    const captured = Float32Array.from(out.samples);
    const edges = onsets(captured).map((i) => i + out.startFrame);
    expect(edges.length).toBe(6);
    // Sample position: the mark's context frame is exactly the captured onset frame. word0's
    // mark reaches the worklet just after the first chunk, which may already be playing (this
    // case once failed with word0 256 frames late): a late mark gets its sample's frame too.
    const frameErrors = marks.map((m: any, k: number) => Math.round(m.detail.contextTime * RATE) - edges[k]);
    expect(frameErrors).toEqual([0, 0, 0, 0, 0, 0]);
    // Dispatch time: when the event fired, the context clock should be past the onset by the
    // output latency (the sample is then at the speakers). The error is what remains.
    const timingErrorsMs = marks.map((m: any, k: number) => (m.frame - edges[k]) / (RATE / 1000) - out.latency * 1000);
    const quantumMs = (128 / RATE) * 1000;
    const bound = quantumMs + out.latency * 1000;
    console.log(
      `[marks] frame errors ${frameErrors.join(',')}; dispatch error vs context clock + output latency (ms): ${timingErrorsMs.map((x: number) => x.toFixed(1)).join(', ')}; bound ±${bound.toFixed(1)} ms`,
    );
    // Reported, not asserted: when a timer fires is wall-clock time, which a loaded machine
    // stretches. The exactness claim is the frame check above.
    void bound;
  });

  it('a mark sent after its sample played fires with the frame where that sample played, not when it arrived', async () => {
    // word1's mark is sent only once word2 was heard: its sample played ~400 ms before. word0's
    // is sent right after the first chunk (Cartesia's order), which the worklet may already be
    // playing: the race that made the case above fail once in a while, 256 frames late.
    const signal = bursts(6);
    const { opened, conn } = await setup();
    const playing = conn.play(stepsMarksAfterFirstChunk(signal, 90, [2, 3, 4, 5]));
    await opened.page.evaluate(async () => {
      await (globalThis as any).fx.waitFor((e: any) => e.type === 'mark' && e.detail.name === 'word2');
    });
    conn.send(encodeControl({ type: 'mark', utteranceId: '5', sampleOffset: 2 * BURST, name: 'word1' }));
    await playing;
    const out = await playedOut(opened);
    await opened.close();
    expect(opened.errors).toEqual([]);
    expect(out.events.filter((e: any) => e.type === 'error')).toEqual([]);
    const marks = out.events.filter((e: any) => e.type === 'mark');
    const byName = (k: number) => marks.find((m: any) => m.detail.name === `word${k}`);
    expect(marks.map((m: any) => m.detail.name).sort()).toEqual(['word0', 'word1', 'word2', 'word3', 'word4', 'word5']);
    const edges = onsets(Float32Array.from(out.samples)).map((i) => i + out.startFrame);
    expect(edges.length).toBe(6);
    const frameErrors = edges.map((edge, k) => Math.round(byName(k).detail.contextTime * RATE) - edge);
    // How long after its sample was heard word1 fired: the mark was that late (the old code
    // stamped it about that much late, with the frame at which it reached the worklet).
    const lateMs = (byName(1).frame - edges[1]) / (RATE / 1000) - out.latency * 1000;
    console.log(`[marks] late mark: frame errors ${frameErrors.join(',')}; word1 arrived ${lateMs.toFixed(0)} ms after its sample was heard`);
    expect(frameErrors).toEqual([0, 0, 0, 0, 0, 0]);
    // The case is what it says: word1's mark reached the player only after word2 (400 ms of
    // audio later) was heard, so its event comes after word2's. Order, not a duration.
    const order = marks.map((m: any) => m.detail.name);
    expect(order.indexOf('word1')).toBeGreaterThan(order.indexOf('word2'));
    // Late, but within the worklet's memory: exact, so not flagged as passed.
    expect(marks.filter((m: any) => m.detail.passed)).toEqual([]);
  });

  it('interrupt names the last mark heard; marks after the cut never fire', async () => {
    const signal = bursts(8);
    const markOffsets = [0, 1, 2, 3, 4, 5, 6, 7].map((b) => b * 2 * BURST);
    const { opened, conn } = await setup();
    const playing = conn.play(steps(signal, markOffsets, 90)); // a little faster than real time: still streaming at the cut
    const cut = await opened.page.evaluate(async () => {
      const fx = (globalThis as any).fx;
      await fx.waitFor((e: any) => e.type === 'mark' && e.detail.name === 'word2');
      await new Promise((r) => setTimeout(r, 250)); // into word2's silence... or word3
      const estimate = fx.player.interrupt();
      await fx.waitFor((e: any) => e.type === 'interrupted');
      await new Promise((r) => setTimeout(r, 300));
      return { estimate, ...(await fx.result()) };
    });
    await playing;
    await opened.close();
    const interrupted = cut.events.find((e: any) => e.type === 'interrupted').detail;
    const fired = cut.events.filter((e: any) => e.type === 'mark').map((e: any) => e.detail.name);
    const captured = Float32Array.from(cut.samples);
    const heardBursts = onsets(captured).length;
    // The last mark heard is the onset of the last burst that reached the output.
    expect(interrupted.lastMark.name).toBe(`word${heardBursts - 1}`);
    expect(fired).toEqual(Array.from({ length: heardBursts }, (_, k) => `word${k}`));
    expect(interrupted.lastMark.sampleOffset).toBe((heardBursts - 1) * 2 * BURST);
    // And the played offset covers it.
    expect(interrupted.playedSamples).toBeGreaterThanOrEqual(interrupted.lastMark.sampleOffset);
    const region = findActiveRegion(captured, 0)!;
    expect(region).not.toBeNull();
    expect(cut.estimate.lastMark?.name).toBe(interrupted.lastMark.name);
  });

  it('rejects malformed mark messages and bad mark() calls with typed errors', async () => {
    const { opened, conn } = await setup();
    await conn.play([
      { delayMs: 0, data: JSON.stringify({ type: 'mark', utteranceId: '5', sampleOffset: -3, name: 'x' }) },
      { delayMs: 0, data: JSON.stringify({ type: 'mark', utteranceId: '5', sampleOffset: 10 }) },
    ]);
    const out = await opened.page.evaluate(async () => {
      const fx = (globalThis as any).fx;
      await new Promise((r) => setTimeout(r, 200));
      const thrown: string[] = [];
      for (const args of [
        ['a', 1.5, 'x'],
        ['a', -1, 'x'],
        ['a', 1, 42],
      ]) {
        try {
          fx.player.mark(...args);
        } catch (e: any) {
          thrown.push(e.code);
        }
      }
      return { thrown, errors: fx.events.filter((e: any) => e.type === 'error').map((e: any) => e.detail) };
    });
    await opened.close();
    expect(out.thrown).toEqual(['bad-option', 'bad-option', 'bad-option']);
    expect(out.errors.map((e: any) => e.code)).toEqual(['bad-control', 'bad-control']);
    expect(out.errors[0].message).toMatch(/sampleOffset/);
    expect(out.errors[1].message).toMatch(/name/);
  });
});
