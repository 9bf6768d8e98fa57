/**
 * The echo-aware barge-in detector (issue 23) in a simulated room inside the page: the
 * player's output (its analyser tap) goes through a delay and a ConvolverNode with a
 * reverberant room response into the "microphone", with noise, and later the user's voice.
 * The agent's own voice must never be a barge-in; the user's must be, within 400 ms; the
 * interrupt's accounting stays exact; and the cancelled stream's ERLE is read from its capture.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useSuite } from './fixture';
import {
  ENGINE,
  REPO_ROOT,
  bestAlignment,
  diffAgainst,
  findActiveRegion,
  fromPcm16,
  launchBrowser,
  mulberry32,
  openChromiumPage,
  openPage,
  toPcm16,
} from './harness';

const suite = useSuite();

/** The near-end utterance used ("Wait a second."), from the fixture's index. */
const near = JSON.parse(readFileSync(`${REPO_ROOT}/test/fixtures/echo-near-b-16k.json`, 'utf8')).utterances[1] as { start: number; end: number };

describe(`barge-in detector in ${ENGINE}`, () => {
  it('20 s of agent speech through a reverberant room is never a barge-in; the user speaking is one within 400 ms, and the accounting stays exact', async () => {
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    try {
      const out = await opened.page.evaluate(
        async ({ near }) => {
          const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
          const { createRecorder } = await (globalThis as any).importModule('/test/browser/pages/capture.js');
          const { createBargeInDetector } = await (globalThis as any).importModule('/dist/barge-in.js');
          const fx = await setupPlayer({ contextRate: 48000, player: { sampleRate: 16000, prebufferMs: 100 } });
          const context: AudioContext = fx.context;
          const rate = context.sampleRate;
          const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
          const load = async (url: string) => {
            const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
            return bytes;
          };
          const far = await load('/test/fixtures/echo-far-a-16k.s16le');
          const nearBytes = await load('/test/fixtures/echo-near-b-16k.s16le');
          // The room: 60 ms bulk delay, exponentially decaying noise with RT60 0.3 s (seeded).
          let seed = 12345;
          const random = () => {
            seed = (seed * 1664525 + 1013904223) >>> 0;
            return seed / 4294967296 - 0.5;
          };
          const rt60 = 0.3;
          const rir = context.createBuffer(1, Math.round(rt60 * rate), rate);
          const h = rir.getChannelData(0);
          let energy = 0;
          for (let i = 0; i < h.length; i++) {
            h[i] = random() * Math.exp((-6.9 * i) / (rt60 * rate));
            energy += h[i] * h[i];
          }
          for (let i = 0; i < h.length; i++) h[i] *= 0.7 / Math.sqrt(energy);
          const delay = context.createDelay(1);
          delay.delayTime.value = 0.06;
          const convolver = context.createConvolver();
          convolver.normalize = false;
          convolver.buffer = rir;
          const mic = context.createGain();
          fx.player.analyser.connect(delay);
          delay.connect(convolver);
          convolver.connect(mic);
          // Noise about 45 dB under the speech.
          const noise = context.createBuffer(1, rate * 2, rate);
          const n = noise.getChannelData(0);
          for (let i = 0; i < n.length; i++) n[i] = random() * 0.004;
          const noiseSource = context.createBufferSource();
          noiseSource.buffer = noise;
          noiseSource.loop = true;
          noiseSource.connect(mic);
          noiseSource.start();
          // The user's utterance, as an AudioBuffer at the fixture's 16 kHz.
          const length = near.end - near.start;
          const nearBuffer = context.createBuffer(1, length, 16000);
          const view = new DataView(nearBytes.buffer);
          const b = nearBuffer.getChannelData(0);
          for (let i = 0; i < length; i++) b[i] = (view.getInt16(2 * (near.start + i), true) / 32768) * 0.5;
          let lead = 0;
          while (lead < length && Math.abs(b[lead]) < 0.01) lead++;
          const nearSource = context.createBufferSource();
          nearSource.buffer = nearBuffer;
          nearSource.connect(mic);
          const micRec = await createRecorder(context);
          mic.connect(micRec.node);
          const detector = await createBargeInDetector(fx.player, { mic, delayHintMs: 0 });
          const outRec = await createRecorder(context);
          detector.node.connect(outRec.node);
          const events: { type: string; contextTime: number; interrupt?: unknown }[] = [];
          for (const type of ['speechstart', 'bargein', 'rejected']) {
            detector.on(type, (e: any) => events.push({ type, contextTime: e.contextTime, interrupt: e.interrupt ?? undefined }));
          }
          const reports: any[] = [];
          detector.on('report', (r: any) => reports.push(r));
          // 24 s of agent speech; the user starts 20 s after the agent.
          const seconds = 24;
          fx.player.push(far.subarray(0, seconds * 16000 * 2), { utteranceId: 'agent' });
          fx.player.endUtterance('agent');
          const playing = await fx.waitFor((e: any) => e.type === 'playing');
          const agentStart = playing.frame / rate;
          const nearAt = agentStart + 20;
          nearSource.start(nearAt);
          const nearOnset = nearAt + lead / 16000;
          await fx.waitFor((e: any) => e.type === 'interrupted' || e.type === 'ended', 40000);
          await wait(300);
          const report = detector.report();
          detector.close();
          const micCapture = await micRec.capture();
          const outCapture = await outRec.capture();
          // ERLE over far-end-only time, from 2 s after the agent started until just before the user.
          const from = Math.round((agentStart + 2) * rate);
          const to = Math.round((nearAt - 0.1) * rate);
          let micEnergy = 0;
          let outEnergy = 0;
          for (let f = from; f < to; f++) {
            const m = micCapture.samples[f - micCapture.startFrame] ?? 0;
            const o = outCapture.samples[f - outCapture.startFrame] ?? 0;
            micEnergy += m * m;
            outEnergy += o * o;
          }
          const result = await fx.result();
          return {
            events,
            agentStart,
            nearOnset,
            erleDb: 10 * Math.log10(micEnergy / outEnergy),
            report,
            reports: reports.length,
            metrics: result.metrics,
            playerEvents: result.events.map((e: any) => ({ type: e.type, detail: e.detail })),
          };
        },
        { near },
      );
      const summary = `events ${JSON.stringify(out.events.map((e) => [e.type, +(e.contextTime - out.nearOnset).toFixed(3)]))}, ERLE ${out.erleDb.toFixed(1)} dB, report ${JSON.stringify(out.report)}`;
      const bargeins = out.events.filter((e) => e.type === 'bargein');
      // No barge-in during the agent's 20 s alone.
      expect(
        bargeins.filter((e) => e.contextTime < out.nearOnset),
        summary,
      ).toEqual([]);
      // The user's speech is one, within 400 ms of its onset.
      expect(bargeins.length, summary).toBeGreaterThan(0);
      const latency = bargeins[0].contextTime - out.nearOnset;
      expect(latency, summary).toBeGreaterThanOrEqual(0);
      expect(latency, summary).toBeLessThanOrEqual(0.4);
      // It interrupted the player, and the accounting is exact.
      const interrupted = out.playerEvents.find((e: { type: string }) => e.type === 'interrupted');
      expect(interrupted, summary).toBeDefined();
      expect(bargeins[0].interrupt, summary).toMatchObject({ utteranceId: 'agent' });
      const s = out.metrics.samples;
      expect(s.received).toBe(24 * 16000);
      expect(s.played + s.buffered + s.dropped).toBe(s.received);
      expect(s.buffered).toBe(0);
      // The cancelled stream removed the echo (measured from its capture).
      expect(out.erleDb, summary).toBeGreaterThan(15);
      expect(out.reports).toBeGreaterThan(10);
      console.log(`[barge-in ${ENGINE}] latency ${(latency * 1000).toFixed(0)} ms; ${summary}`);
    } finally {
      await opened.close();
    }
  }, 90_000);

  it("the <audio> output route (createMediaElementOutput, for Safari's canceller) carries the player's output (sample for sample in Chromium and Firefox)", async () => {
    const rate = 48000;
    const random = mulberry32(23);
    const noise = new Float32Array(rate).map(() => (random() * 2 - 1) * 0.4);
    const pcm = toPcm16(noise);
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    try {
      const out = await opened.page.evaluate(
        async ({ pcm, rate }) => {
          const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
          const { createMediaElementOutput } = await (globalThis as any).importModule('/dist/barge-in.js');
          const { createRecorder } = await (globalThis as any).importModule('/test/browser/pages/capture.js');
          const context = new AudioContext({ sampleRate: rate });
          const route = createMediaElementOutput(context);
          const player = new StreamPlayer({ context, destination: route.destination, sampleRate: rate, prebufferMs: 100 });
          await player.start();
          await route.play();
          // What the element plays, heard back through the stream it plays.
          const recorder = await createRecorder(context);
          context.createMediaStreamSource(route.destination.stream).connect(recorder.node);
          let ended = false;
          player.on('ended', () => (ended = true));
          player.push(pcm, { utteranceId: 'noise' });
          player.endUtterance('noise');
          const started = performance.now();
          while (!ended && performance.now() - started < 10000) await new Promise((r) => setTimeout(r, 20));
          await new Promise((r) => setTimeout(r, 400));
          const capture = await recorder.capture();
          const elementTime = route.element.currentTime;
          const samples = player.getMetrics().samples;
          route.close();
          await player.close();
          await context.close();
          // As a typed array: it crosses the drivers base64-encoded (engines/page-script.ts).
          return { captured: capture.samples as Float32Array, ended, elementTime, samples };
        },
        { pcm, rate },
      );
      expect(out.ended).toBe(true);
      expect(out.samples).toMatchObject({ received: rate, played: rate, dropped: 0, buffered: 0 });
      // The element is playing the stream.
      expect(out.elementTime).toBeGreaterThan(0.5);
      const reference = fromPcm16(pcm);
      const captured = Float32Array.from(out.captured);
      const alignment = bestAlignment(reference, captured);
      expect(alignment).not.toBeNull();
      const diff = diffAgainst(reference, captured, alignment!.offset);
      const peak = captured.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      console.log(
        `[media-element route ${ENGINE}] exact ${alignment!.exact}, correlation ${alignment!.correlation.toFixed(4)}, offset ${alignment!.offset}, captured ${captured.length} peak ${peak}, mismatches ${diff.mismatches}/${diff.compared}, max |diff| ${diff.maxAbsDiff}`,
      );
      if (ENGINE === 'webkit') {
        // WebKitGTK's MediaStream path (destination stream → source node, as to the element) is
        // not sample-exact here: it carries the output reshaped (best correlation 0.6–0.9 over
        // 2000 samples, peaks 1.5× the input, in runs so far). What reaches Safari's canceller is
        // the player's output all the same; voxplay's own reference (the analyser tap) is exact.
        // It carries the whole second of noise, at about its level.
        const region = findActiveRegion(captured, 0.02)!;
        expect(region, `peak ${peak}`).not.toBeNull();
        expect(Math.abs(region.end - region.start - rate), JSON.stringify(region)).toBeLessThan(0.1 * rate);
        let energy = 0;
        for (let i = region.start; i < region.end; i++) energy += captured[i] * captured[i];
        let refEnergy = 0;
        for (const x of reference) refEnergy += x * x;
        const levelDb = 10 * Math.log10(energy / (region.end - region.start) / (refEnergy / reference.length));
        expect(Math.abs(levelDb), `level ${levelDb.toFixed(1)} dB`).toBeLessThan(6);
      } else {
        // Sample for sample but for up to two of the stream's 10 ms chunks: Chromium's MediaStream
        // path has lost its first chunk (480 samples, in a CI run) and once garbled 64 samples
        // under load. What Safari's canceller would hear is the output all the same.
        expect(diff.mismatches, JSON.stringify(diff)).toBeLessThanOrEqual(960);
      }
    } finally {
      await opened.close();
    }
  }, 60_000);

  it("createEchoCancelledStream is the microphone without the echo, createReferenceStream the player's output, both as MediaStreams", async () => {
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    try {
      const out = await opened.page.evaluate(async () => {
        const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
        const { createRecorder } = await (globalThis as any).importModule('/test/browser/pages/capture.js');
        const { createEchoCancelledStream, createReferenceStream } = await (globalThis as any).importModule('/dist/barge-in.js');
        const fx = await setupPlayer({ contextRate: 48000, player: { sampleRate: 16000, prebufferMs: 100 } });
        const context: AudioContext = fx.context;
        const far = new Uint8Array(await (await fetch('/test/fixtures/echo-far-a-16k.s16le')).arrayBuffer());
        // A room: 40 ms, then a short reverberant tail.
        const rir = context.createBuffer(1, Math.round(0.2 * context.sampleRate), context.sampleRate);
        const h = rir.getChannelData(0);
        let seed = 99;
        for (let i = 0; i < h.length; i++) {
          seed = (seed * 1664525 + 1013904223) >>> 0;
          h[i] = (seed / 4294967296 - 0.5) * Math.exp((-6.9 * i) / (0.2 * context.sampleRate)) * 0.05;
        }
        const delay = context.createDelay(1);
        delay.delayTime.value = 0.04;
        const room = context.createConvolver();
        room.normalize = false;
        room.buffer = rir;
        const mic = context.createGain();
        fx.player.analyser.connect(delay);
        delay.connect(room);
        room.connect(mic);
        const cancelled = await createEchoCancelledStream(fx.player, mic);
        const reference = createReferenceStream(fx.player);
        const recorders = await Promise.all([createRecorder(context), createRecorder(context), createRecorder(context)]);
        mic.connect(recorders[0].node);
        context.createMediaStreamSource(cancelled.stream).connect(recorders[1].node);
        context.createMediaStreamSource(reference.stream).connect(recorders[2].node);
        fx.player.push(far.subarray(0, 10 * 16000 * 2), { utteranceId: 'agent' });
        fx.player.endUtterance('agent');
        const playing = await fx.waitFor((e: any) => e.type === 'playing');
        await fx.waitFor((e: any) => e.type === 'ended', 30000);
        const live = [cancelled.stream.getAudioTracks()[0].readyState, reference.stream.getAudioTracks()[0].readyState];
        cancelled.close();
        reference.close();
        const ended = [cancelled.stream.getAudioTracks()[0].readyState, reference.stream.getAudioTracks()[0].readyState];
        const [m, c, r] = await Promise.all(recorders.map((rec: any) => rec.capture()));
        const player = await fx.result();
        const energy = (cap: { samples: Float32Array; startFrame: number }, from: number, to: number) => {
          let sum = 0;
          for (let f = from; f < to; f++) {
            const x = cap.samples[f - cap.startFrame] ?? 0;
            sum += x * x;
          }
          return sum;
        };
        // From 3 s after the agent started until it ended.
        const from = playing.frame + 3 * context.sampleRate;
        const to = playing.frame + 9.5 * context.sampleRate;
        const played = { samples: Float32Array.from(player.samples), startFrame: player.startFrame };
        return {
          live,
          ended,
          erleDb: 10 * Math.log10(energy(m, from, to) / energy(c, from, to)),
          referenceDb: 10 * Math.log10(energy(r, from, to) / energy(played, from, to)),
        };
      });
      console.log(
        `[echo streams ${ENGINE}] cancelled stream ERLE ${out.erleDb.toFixed(1)} dB, reference stream level ${out.referenceDb.toFixed(2)} dB against the output`,
      );
      expect(out.live).toEqual(['live', 'live']);
      expect(out.ended).toEqual(['ended', 'ended']);
      expect(out.erleDb).toBeGreaterThan(15);
      expect(Math.abs(out.referenceDb)).toBeLessThan(ENGINE === 'webkit' ? 6 : 0.5);
    } finally {
      await opened.close();
    }
  }, 60_000);

  it.runIf(ENGINE === 'chromium')(
    "a real microphone (Chromium's fake capture device): the README's three lines run, and report() has its echoCancellation",
    async () => {
      // The fake device beeps: near-end sound no echo explains.
      const browser = await launchBrowser({ args: ['--use-fake-device-for-media-stream'] });
      try {
        const opened = await openChromiumPage(browser, `${suite.plain.url}/test/browser/pages/blank.html`);
        await opened.context.grantPermissions(['microphone'], { origin: new URL(suite.plain.url).origin });
        const out = await opened.page.evaluate(async () => {
          const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
          const { createBargeInDetector, RECOMMENDED_MIC_CONSTRAINTS } = await (globalThis as any).importModule('/dist/barge-in.js');
          const player = new StreamPlayer({ sampleRate: 24000 });
          await player.start();
          const mic = await navigator.mediaDevices.getUserMedia({ audio: RECOMMENDED_MIC_CONSTRAINTS });
          const detector = await createBargeInDetector(player, { mic });
          let reports = 0;
          const events: string[] = [];
          detector.on('report', () => reports++);
          for (const type of ['speechstart', 'bargein', 'rejected']) detector.on(type, () => events.push(type));
          await new Promise((r) => setTimeout(r, 3000));
          const report = detector.report();
          detector.close();
          for (const track of mic.getTracks()) track.stop();
          await player.close();
          return { reports, report, events };
        });
        expect(out.report.micEchoCancellation).toBe(true);
        expect(out.reports).toBeGreaterThan(6);
        expect(out.events, JSON.stringify(out)).toContain('speechstart');
        expect(opened.errors).toEqual([]);
        await opened.close();
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
