// Page side of `npm run bench`: the four contenders, each behind the same small interface,
// playing into the test recorder worklet (test/browser/pages/recorder-worklet.js), which
// sits between the player and ctx.destination and records every frame that reaches it.
//
//   const { setup } = await import('/bench/pages/contenders.js');
//   const bx = await setup({ kind, contextRate, sourceRate, wsUrl, prebufferMs, fadeMs });
//   ... the server streams ...
//   bx.interrupt();                 // the contender's "stop" action, stamped with the context frame
//   await bx.waitIdle(400, 20000);  // until the output has been silent for 400 ms
//   const r = await bx.result();    // capture (base64 Float32) + stamps
//
// Contenders:
//   voxplay-shared / voxplay-message  StreamPlayer from dist/ (or options.voxplayUrl: the bench
//              serves a snapshot of dist/ taken at its start), attach(ws), voxplay framing
//   legacy     a pool of <audio> elements playing base64 WAV chunks from JSON one after another
//              on `ended` (the next element is preloaded), via createMediaElementSource
//   scheduled  AudioBufferSourceNodes started back to back at nextStartTime
//   wavtools   WavStreamPlayer from node_modules/wavtools (its own 24 kHz AudioContext)

import { createRecorder } from '/test/browser/pages/capture.js';
import { LegacyAudioQueue, ScheduledBuffers } from '/bench/pages/hand-written.js';

/** Rounded context frame the renderer has reached (what `currentTime` says). */
function frameOf(ctx) {
  return Math.round(ctx.currentTime * ctx.sampleRate);
}

function bytesToBase64(bytes) {
  let s = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) s += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  return btoa(s);
}

// ------------------------------------------------------------------------------------------
// Contenders behind one interface
// ------------------------------------------------------------------------------------------

/**
 * @param {{ kind: string, contextRate: number, sourceRate: number, wsUrl: string,
 *           prebufferMs?: number, fadeMs?: number, voxplayUrl?: string }} options
 */
export async function setup(options) {
  const { kind, contextRate, sourceRate, wsUrl } = options;
  let ctx;
  let recorder;
  let onMessage;
  let stop;
  let extra = () => ({});
  const log = [];

  if (kind === 'voxplay-shared' || kind === 'voxplay-message') {
    const { StreamPlayer } = await import(options.voxplayUrl ?? '/dist/voxplay.js');
    ctx = new AudioContext({ sampleRate: contextRate, latencyHint: 'interactive' });
    recorder = await createRecorder(ctx);
    const player = new StreamPlayer({
      context: ctx,
      destination: recorder.node,
      transport: kind === 'voxplay-shared' ? 'shared' : 'message',
      prebufferMs: options.prebufferMs ?? 60,
      fadeMs: options.fadeMs ?? 5,
      metricsIntervalMs: 0,
    });
    for (const type of ['playing', 'ended', 'underrun', 'interrupted', 'error']) {
      player.on(type, (e) => log.push({ type, at: performance.now(), code: e && e.code }));
    }
    await player.start();
    onMessage = null; // attach() reads the socket itself
    stop = () => player.interrupt();
    extra = () => {
      const m = player.getMetrics();
      return { transport: player.transport, counts: m.samples, underruns: m.underruns, ttfa: m.recent[0]?.timeToFirstAudioMs ?? null };
    };
    globalThis.__attach = (ws) => player.attach(ws);
  } else if (kind === 'legacy') {
    ctx = new AudioContext({ sampleRate: contextRate, latencyHint: 'interactive' });
    recorder = await createRecorder(ctx);
    const q = new LegacyAudioQueue(ctx, recorder.node);
    onMessage = (e) => {
      if (typeof e.data === 'string') q.onText(e.data);
    };
    stop = () => q.stop();
    extra = () => ({ elementErrors: q.errors });
  } else if (kind === 'scheduled') {
    ctx = new AudioContext({ sampleRate: contextRate, latencyHint: 'interactive' });
    recorder = await createRecorder(ctx);
    const s = new ScheduledBuffers(ctx, recorder.node, sourceRate);
    onMessage = (e) => {
      if (e.data instanceof ArrayBuffer) s.onBinary(e.data);
    };
    stop = () => s.stop();
  } else if (kind === 'wavtools') {
    const { WavStreamPlayer } = await import('/node_modules/wavtools/lib/wav_stream_player.js');
    // As in OpenAI's realtime console: the player makes its own context at the stream's rate.
    const wav = new WavStreamPlayer({ sampleRate: sourceRate });
    await wav.connect();
    ctx = wav.context;
    recorder = await createRecorder(ctx);
    // Route its stream node through the recorder instead of straight to the destination.
    const start = wav._start.bind(wav);
    wav._start = () => {
      start();
      wav.stream.disconnect();
      wav.stream.connect(recorder.node);
      wav.stream.connect(wav.analyser);
      return true;
    };
    onMessage = (e) => {
      if (e.data instanceof ArrayBuffer) wav.add16BitPCM(e.data);
    };
    stop = () => {
      void wav.interrupt();
    };
  } else {
    throw new Error(`unknown contender ${kind}`);
  }
  if (ctx.state !== 'running') await ctx.resume();

  const bx = {
    kind,
    ctx,
    recorder,
    firstMessage: null,
    messages: 0,
    /** performance.now() and context frame of every message, flattened. */
    arrivals: [],
    interruptAt: null,
    log,
    frameNow: () => frameOf(ctx),
    connect() {
      const ws = new WebSocket(wsUrl);
      ws.binaryType = 'arraybuffer';
      // Registered first, so it runs before the contender's own handler for the same message.
      ws.addEventListener('message', () => {
        bx.messages++;
        const frame = frameOf(ctx);
        const at = performance.now();
        bx.arrivals.push(at, frame);
        if (bx.firstMessage === null) bx.firstMessage = { frame, at };
      });
      if (onMessage) ws.addEventListener('message', onMessage);
      else globalThis.__attach(ws);
      bx.ws = ws;
      return new Promise((resolve, reject) => {
        ws.addEventListener('open', () => resolve(true), { once: true });
        ws.addEventListener('error', () => reject(new Error('websocket error')), { once: true });
      });
    },
    /** The contender's stop action; returns the context frame at the call. */
    interrupt() {
      const frame = frameOf(ctx);
      const at = performance.now();
      stop();
      bx.interruptAt = { frame, at };
      return bx.interruptAt;
    },
    /** Last captured frame louder than `threshold` (absolute frame), or null. */
    async lastSound(threshold = 1e-4) {
      await recorder.flush();
      const s = recorder.getCapture();
      for (let i = s.length - 1; i >= 0; i--) if (Math.abs(s[i]) > threshold) return recorder.startFrame + i;
      return null;
    },
    /** Resolves once something sounded and the output has been silent for `silentMs` since. */
    async waitIdle(silentMs, timeoutMs) {
      const t0 = performance.now();
      for (;;) {
        const last = await bx.lastSound();
        const end = recorder.endFrame;
        if (last !== null && end !== null && end - last > (silentMs * ctx.sampleRate) / 1000) return true;
        if (performance.now() - t0 > timeoutMs) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** Resolves when the first audible sample has been captured. */
    async waitSound(timeoutMs) {
      const t0 = performance.now();
      for (;;) {
        if ((await bx.lastSound()) !== null) return true;
        if (performance.now() - t0 > timeoutMs) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async result() {
      const cap = await recorder.capture();
      return {
        kind,
        sampleRate: ctx.sampleRate,
        startFrame: cap.startFrame,
        skippedFrames: cap.skippedFrames,
        skips: cap.skips,
        arrivals: bx.arrivals,
        samples: bytesToBase64(new Uint8Array(cap.samples.buffer)),
        firstMessage: bx.firstMessage,
        messages: bx.messages,
        interruptAt: bx.interruptAt,
        baseLatency: ctx.baseLatency ?? 0,
        outputLatency: ctx.outputLatency ?? 0,
        log,
        ...extra(),
      };
    },
  };
  globalThis.bx = bx;
  return bx;
}

/**
 * How `currentTime` advances as seen from the main thread: the distinct steps between
 * successive values over `ms` milliseconds (headless Chromium renders in bursts).
 */
export async function clockSteps(contextRate, ms = 500) {
  const ctx = new AudioContext({ sampleRate: contextRate });
  await ctx.resume();
  await new Promise((r) => setTimeout(r, 200));
  const steps = new Map();
  let last = frameOf(ctx);
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await new Promise((r) => setTimeout(r, 0));
    const f = frameOf(ctx);
    if (f !== last) {
      steps.set(f - last, (steps.get(f - last) ?? 0) + 1);
      last = f;
    }
  }
  const out = {
    sampleRate: ctx.sampleRate,
    baseLatency: ctx.baseLatency,
    outputLatency: ctx.outputLatency,
    steps: [...steps.entries()].sort((a, b) => b[1] - a[1]),
  };
  await ctx.close();
  return out;
}
