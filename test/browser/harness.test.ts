// Self-test of the real-browser harness: Chromium launch, static server (plain and
// cross-origin suite.isolated), the recorder worklet (realtime and offline), the signal and
// analysis helpers, and the scripted WebSocket server.
import { describe, expect, it } from 'vitest';
import { useSuite } from './fixture';

import {
  bestAlignment,
  chirp,
  countGaps,
  diffAgainst,
  findActiveRegion,
  findGaps,
  fromPcm16,
  maxStep,
  mulberry32,
  openPage,
  quantizePcm16,
  randomChunks,
  rmsEnvelope,
  sine,
  snrAgainst,
  startStaticServer,
  startStreamServer,
  toPcm16,
  type TestPageGlobals,
  withoutSkips,
  ENGINE,
} from './harness';

const RATE = 48_000;
const BLANK = '/test/browser/pages/blank.html';
const CAPTURE = '/test/browser/pages/capture.js';

const suite = useSuite();

describe('node-side helpers', () => {
  it('pcm16 round trip, random chunking, analysis', () => {
    const src = sine(440, RATE, 0.1, 0.5);
    expect(src.length).toBe(4800);
    const q = quantizePcm16(src);
    expect(diffAgainst(q, fromPcm16(toPcm16(q)), 0).mismatches).toBe(0);
    expect(snrAgainst(src, q, 0)).toBeGreaterThan(90);

    const bytes = toPcm16(src);
    const rng = mulberry32(1234);
    const chunks = randomChunks(bytes, rng, 1, 301);
    expect(chunks.some((c) => c.length % 2 === 1)).toBe(true);
    const joined = new Uint8Array(bytes.length);
    let pos = 0;
    for (const c of chunks) {
      expect(c.length).toBeGreaterThanOrEqual(1);
      expect(c.length).toBeLessThanOrEqual(301);
      joined.set(c, pos);
      pos += c.length;
    }
    expect(pos).toBe(bytes.length);
    expect(Buffer.compare(Buffer.from(joined), Buffer.from(bytes))).toBe(0);
    expect(randomChunks(bytes, mulberry32(1234), 1, 301).map((c) => c.length)).toEqual(chunks.map((c) => c.length));

    // Embed the signal at offset 1000 with a 200-sample hole; find all of it again.
    const captured = new Float32Array(8000);
    captured.set(src, 1000);
    captured.fill(0, 4000, 4200);
    const exact = bestAlignment(src, captured);
    expect(exact).toEqual({ offset: 1000, exact: true, correlation: 1 });
    const region = findActiveRegion(captured, 1e-4)!;
    expect(region.start).toBe(1001); // sin(0) = 0
    expect(region.end).toBe(5800);
    expect(findGaps(captured, region.start, region.end, 32, 1e-4)).toEqual([{ start: 4000, length: 200 }]);
    expect(countGaps(src, 1, src.length, 8, 1e-4)).toBe(0);
    expect(maxStep(captured, region.start, region.end)).toBeGreaterThan(maxStep(src) * 1.5);
    expect(diffAgainst(src, captured, 1000).mismatches).toBe(200);

    // Inexact: scaled + offset chirp found by correlation.
    const c = chirp(200, 2000, RATE, 0.2, 0.4);
    const shifted = new Float32Array(12_000);
    for (let i = 0; i < c.length; i++) shifted[i + 777] = c[i] * 0.9 + 1e-3;
    const a = bestAlignment(c, shifted)!;
    expect(a.exact).toBe(false);
    expect(a.offset).toBe(777);
    expect(a.correlation).toBeGreaterThan(0.99);

    const env = rmsEnvelope(sine(400, RATE, 0.1, 0.5), 480); // 4 whole periods per window
    expect(env.length).toBe(10);
    expect(env[5]).toBeCloseTo(0.5 / Math.SQRT2, 3);
  });
});

describe('static server + Chromium', () => {
  for (const iso of [false, true]) {
    it(`serves blank.html with crossOriginIsolated=${iso}`, async () => {
      const server = iso ? suite.isolated : suite.plain;
      const { page, errors, close } = await openPage(suite.browser, server.url + BLANK);
      try {
        const info = await page.evaluate(async (capture) => {
          const mod = await (globalThis as unknown as TestPageGlobals).importModule(capture);
          const ctx = new AudioContext();
          const out = {
            crossOriginIsolated: globalThis.crossOriginIsolated,
            sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
            hasCreateRecorder: typeof mod.createRecorder === 'function',
            defaultSampleRate: ctx.sampleRate,
            state: ctx.state,
          };
          await ctx.close();
          return out;
        }, CAPTURE);
        expect(info.crossOriginIsolated).toBe(iso);
        // WebKitGTK: the driver sets JSC_useSharedArrayBuffer=1 (WebKitGTK needs it for the
        // shared transport even when isolated), which also defines SharedArrayBuffer on pages
        // that are not isolated; the player picks its transport by crossOriginIsolated.
        expect(info.sharedArrayBuffer).toBe(iso || ENGINE === 'webkit');
        expect(info.hasCreateRecorder).toBe(true);
        console.info(`[harness] isolated=${iso}: default AudioContext rate ${info.defaultSampleRate}, state ${info.state}`);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
      const res = await fetch(server.url + '/test/browser/pages/recorder-worklet.js');
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(res.headers.get('cross-origin-embedder-policy')).toBe(iso ? 'require-corp' : null);
      expect((await fetch(server.url + '/../../etc/passwd')).status).toBe(404);
      expect((await fetch(server.url + '/no/such/file.js')).status).toBe(404);
    });
  }

  it('sends extra headers (CSP): modules and the recorder worklet still load under script-src self', async () => {
    const csp = "default-src 'self'; script-src 'self'";
    const server = await startStaticServer({
      isolated: true,
      headers: (path): Record<string, string> => (path.endsWith('.html') ? { 'Content-Security-Policy': csp } : {}),
    });
    const { page, errors, close } = await openPage(suite.browser, server.url + BLANK);
    try {
      const res = await fetch(server.url + BLANK);
      expect(res.headers.get('content-security-policy')).toBe(csp);
      expect((await fetch(server.url + CAPTURE)).headers.get('content-security-policy')).toBeNull();
      const r = await page.evaluate(async (capture) => {
        const { createRecorder } = await (globalThis as unknown as TestPageGlobals).importModule(capture);
        const ctx = new OfflineAudioContext({ numberOfChannels: 1, length: 4800, sampleRate: 48000 });
        const rec = await createRecorder(ctx);
        const osc = new OscillatorNode(ctx, { frequency: 1000 });
        osc.connect(rec.node);
        osc.start();
        await ctx.startRendering();
        const cap = await rec.capture();
        return {
          n: cap.samples.length,
          eval: (() => {
            try {
              return eval('1');
            } catch {
              return 'blocked';
            }
          })(),
        };
      }, CAPTURE);
      expect(r.n).toBe(4800); // not 4864: capture clips the final partial quantum to ctx.length
      expect(r.eval).toBe('blocked'); // the policy is really in force
      expect(errors).toEqual([]);
    } finally {
      await close();
      await server.close();
    }
  });

  it('aborts requests to non-local hosts', async () => {
    const { page, close } = await openPage(suite.browser, suite.plain.url + BLANK);
    try {
      const result = await page.evaluate(async () => {
        try {
          await fetch('http://example.com/', { mode: 'no-cors' });
          return 'loaded';
        } catch (e) {
          return `blocked: ${(e as Error).message}`;
        }
      });
      expect(result).toMatch(/^blocked/);
    } finally {
      await close();
    }
  });
});

describe('recorder worklet', () => {
  it('captures a realtime AudioBufferSourceNode bit-exactly at 48 kHz', async () => {
    const source = sine(440, RATE, 0.5, 0.5);
    const { page, errors, close } = await openPage(suite.browser, suite.isolated.url + BLANK);
    try {
      const r = await page.evaluate(
        async ({ capture, samples, rate }) => {
          const { createRecorder } = await (globalThis as unknown as TestPageGlobals).importModule(capture);
          const ctx = new AudioContext({ sampleRate: rate });
          await ctx.resume();
          const rec = await createRecorder(ctx);
          // Let the (fake) output clock settle: it can jump right after start.
          while (ctx.currentTime < 0.2) await new Promise((res) => setTimeout(res, 20));
          const buffer = new AudioBuffer({ length: samples.length, numberOfChannels: 1, sampleRate: rate });
          buffer.copyToChannel(samples, 0);
          const src = new AudioBufferSourceNode(ctx, { buffer });
          src.connect(rec.node);
          // A start time k/128 s is exactly frame k*375: no sub-sample interpolation.
          const startAt = Math.ceil((ctx.currentTime + 0.1) * 128) / 128;
          const ended = new Promise((res) => (src.onended = res));
          src.start(startAt);
          await ended;
          await new Promise((res) => setTimeout(res, 100));
          const cap = await rec.capture();
          const out = {
            ...cap,
            startAtFrame: Math.round(startAt * rate),
            baseLatency: ctx.baseLatency,
            // Firefox: reading outputLatency can deadlock the page (see src/player/clock.ts).
            outputLatency: /\bGecko\/\d/.test(navigator.userAgent) ? null : ctx.outputLatency,
            currentTime: ctx.currentTime,
            allocations: rec.allocations,
          };
          await ctx.close();
          return out;
        },
        { capture: CAPTURE, samples: source, rate: RATE },
      );
      console.info(
        `[harness] realtime 48k: baseLatency ${r.baseLatency}, outputLatency ${r.outputLatency}, ` +
          `recorder startFrame ${r.startFrame}, skipped ${r.skippedFrames} ${JSON.stringify(r.skips)}, ` +
          `captured ${r.samples.length} frames, pool allocations ${r.allocations}`,
      );
      expect(r.sampleRate).toBe(RATE);
      expect(r.samples).toBeInstanceOf(Float32Array);
      const align = bestAlignment(source, r.samples)!;
      expect(align).not.toBeNull();
      expect(align.exact).toBe(true);
      expect(r.startFrame + align.offset).toBe(r.startAtFrame);
      expect(diffAgainst(source, r.samples, align.offset)).toMatchObject({ mismatches: 0 });
      const region = findActiveRegion(r.samples, 1e-6)!;
      expect(region.start).toBe(align.offset + 1); // source[0] = sin(0) = 0
      expect(region.end - align.offset).toBe(source.length);
      expect(countGaps(r.samples, region.start, region.end, 8, 1e-6)).toBe(0);
      expect(maxStep(r.samples, region.start, region.end)).toBe(maxStep(source));
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  // Not in WebKitGTK: there the suspend/resume churn below never finishes (the page hung
  // until the 120 s test timeout in the first run; not investigated further). This case
  // checks the recorder's correction of a Chromium clock fault, not the player.
  it.runIf(ENGINE !== 'webkit')('places every quantum in render order while the main thread holds the graph lock (Chromium freezes currentFrame)', async () => {
    // A ramp 1, 2, 3, …: any quantum placed at the wrong frame shows up as a break in it.
    // Suspend/resume and node churn on the main thread make Chromium's worklet clock stand
    // still for a quantum now and then (https://issues.chromium.org/issues/442866743).
    const length = RATE * 3;
    const { page, errors, close } = await openPage(suite.browser, suite.plain.url + BLANK);
    try {
      const r = await page.evaluate(
        async ({ capture, rate, length }) => {
          const { createRecorder } = await (globalThis as unknown as TestPageGlobals).importModule(capture);
          const ctx = new AudioContext({ sampleRate: rate });
          await ctx.resume();
          const rec = await createRecorder(ctx);
          // A worklet source: one value per rendered frame (an AudioBufferSourceNode can end
          // early around suspend/resume in Chromium, which is not what this case is about).
          const ramp = new AudioWorkletNode(ctx, 'voxplay-test-ramp', { outputChannelCount: [1], processorOptions: { length } });
          ramp.connect(rec.node);
          let cycles = 0;
          const churnUntil = performance.now() + 2000;
          while (performance.now() < churnUntil) {
            for (let k = 0; k < 50; k++) {
              const g = new GainNode(ctx);
              g.connect(ctx.destination);
              g.disconnect();
            }
            await ctx.suspend();
            await new Promise((res) => setTimeout(res, 5));
            await ctx.resume();
            cycles++;
          }
          // Until the whole ramp and 0.1 s after it were rendered (skipped frames never are).
          for (;;) {
            await rec.flush();
            if (rec.endFrame !== null && rec.endFrame - rec.startFrame - rec.skippedFrames >= length + rate / 10) break;
            await new Promise((res) => setTimeout(res, 20));
          }
          const cap = await rec.capture();
          await ctx.close();
          return { ...cap, cycles };
        },
        { capture: CAPTURE, rate: RATE, length },
      );
      const out = withoutSkips(r.samples, r.startFrame!, r.skips);
      const first = out.indexOf(1);
      let breaks = 0;
      for (let i = 0; i < length; i++) if (out[first + i] !== i + 1) breaks++;
      console.info(
        `[harness] graph churn: ${r.cycles} suspend/resume cycles, ${r.frozenQuanta} frozen quanta corrected, skips ${JSON.stringify(r.skips)}, ramp breaks ${breaks}`,
      );
      // Chromium: the case really happened. Firefox and WebKitGTK keep currentFrame moving
      // under the same churn (an engine difference, asserted so a change shows up).
      if (ENGINE === 'chromium') expect(r.frozenQuanta).toBeGreaterThan(0);
      else expect(r.frozenQuanta).toBe(0);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(breaks).toBe(0);
      expect(r.overlappedFrames).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('captures an OfflineAudioContext render (1 s) identical to the rendered buffer', async () => {
    const source = chirp(100, 4000, RATE, 0.75, 0.6);
    const { page, errors, close } = await openPage(suite.browser, suite.plain.url + BLANK);
    try {
      const r = await page.evaluate(
        async ({ capture, samples, rate }) => {
          const { createRecorder } = await (globalThis as unknown as TestPageGlobals).importModule(capture);
          const ctx = new OfflineAudioContext({ numberOfChannels: 1, length: rate, sampleRate: rate });
          const rec = await createRecorder(ctx);
          const buffer = new AudioBuffer({ length: samples.length, numberOfChannels: 1, sampleRate: rate });
          buffer.copyToChannel(samples, 0);
          const src = new AudioBufferSourceNode(ctx, { buffer });
          src.connect(rec.node);
          src.start(0.125);
          const rendered = await ctx.startRendering();
          const cap = await rec.capture();
          return { ...cap, rendered: rendered.getChannelData(0) };
        },
        { capture: CAPTURE, samples: source, rate: RATE },
      );
      expect(r.startFrame).toBe(0);
      expect(r.skippedFrames).toBe(0);
      expect(r.samples.length).toBe(RATE);
      expect(diffAgainst(r.rendered, r.samples, 0).mismatches).toBe(0);
      const align = bestAlignment(source, r.samples)!;
      expect(align).toEqual({ offset: RATE / 8, exact: true, correlation: 1 });
      expect(diffAgainst(source, r.samples, align.offset).mismatches).toBe(0);
      expect(snrAgainst(source, r.samples, align.offset)).toBe(Number.POSITIVE_INFINITY);
      // Silence before and after, nothing in between.
      const region = findActiveRegion(r.samples, 1e-6)!;
      expect(region.start).toBeGreaterThanOrEqual(RATE / 8);
      expect(region.end).toBeLessThanOrEqual(RATE / 8 + source.length);
      expect(countGaps(r.samples, region.start, region.end, 8, 1e-6)).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('stream server', () => {
  it('plays a binary/text script in order, records client messages, stops on interrupt', async () => {
    // A server of its own: a retry starts from a fresh one (connection ids from 1 again).
    const stream = await startStreamServer();
    const payload = toPcm16(sine(300, RATE, 0.01, 0.3)); // 960 bytes
    const head = [
      { delayMs: 0, data: new Uint8Array([1, 2, 3]) },
      { delayMs: 60, data: '{"type":"meta","n":1}' },
      { delayMs: 60, data: payload },
    ];
    const tail = Array.from({ length: 40 }, (_, i) => ({ delayMs: 50, data: new Uint8Array([i]) }));
    let playResult: Promise<import('./harness').PlayResult> | undefined;
    stream.onConnection((conn) => {
      playResult = conn.play([...head, ...tail], { stopOn: (m) => m.json?.type === 'interrupt' });
    });

    const { page, errors, close } = await openPage(suite.browser, suite.isolated.url + BLANK);
    try {
      const got = await page.evaluate(async (url) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        const msgs: { t: number; binary: boolean; bytes?: number[]; text?: string }[] = [];
        await new Promise<void>((resolve, reject) => {
          ws.onerror = () => reject(new Error('websocket error'));
          ws.onmessage = (e) => {
            const t = performance.now();
            if (typeof e.data === 'string') msgs.push({ t, binary: false, text: e.data });
            else msgs.push({ t, binary: true, bytes: Array.from(new Uint8Array(e.data)) });
            if (msgs.length === 3) {
              ws.send(JSON.stringify({ type: 'interrupt', reason: 'test' }));
              resolve();
            }
          };
        });
        // Anything that still arrives after the interrupt is counted.
        await new Promise((r) => setTimeout(r, 300));
        ws.close(1000, 'done');
        return msgs;
      }, stream.url + '/tts?voice=test');

      expect(got.slice(0, 3).map((m) => m.binary)).toEqual([true, false, true]);
      expect(got[0].bytes).toEqual([1, 2, 3]);
      expect(got[1].text).toBe('{"type":"meta","n":1}');
      expect(got[2].bytes).toEqual(Array.from(payload));
      // Order, not spacing: wall-clock gaps are not asserted on a shared machine.
      expect(got[1].t).toBeGreaterThanOrEqual(got[0].t);
      expect(got[2].t).toBeGreaterThanOrEqual(got[1].t);

      const conn = await stream.waitForConnection(0);
      expect(conn.path).toBe('/tts?voice=test');
      const interrupt = await conn.waitForMessage((m) => m.json?.type === 'interrupt');
      expect(interrupt.json).toEqual({ type: 'interrupt', reason: 'test' });
      expect(stream.received).toContain(interrupt);

      const result = await playResult!;
      expect(result.stoppedBy).toBe('stopOn');
      expect(result.stopMessage).toBe(interrupt);
      expect(result.sent).toBeLessThan(result.total);
      expect(result.sent).toBeGreaterThanOrEqual(3);
      // The server sent nothing after it saw the interrupt; the client saw at most what was
      // already in flight.
      expect(conn.sentAfter(interrupt.at)).toEqual([]);
      expect(got.length).toBe(result.sent);
      const closed = await conn.closed;
      expect(closed.code).toBe(1000);
      expect(stream.errors).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await close();
      await stream.close();
    }
  });
});
