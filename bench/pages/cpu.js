// Main-thread cost per received frame, measured in the page with performance.now().
//
//   const { mainThreadCost } = await import('/bench/pages/cpu.js');
//   await mainThreadCost({ kind, frames, frameMs, passes, voxplayUrl, pcmEncodeUrl })
//
// Every pass hands `frames` fresh 40 ms frames (one ArrayBuffer / string each) to the
// contender's receive path, each in its own task, as a WebSocket delivers them: the time of a
// frame runs from the handler's call until the microtasks it queued have run (a player may
// defer work to the end of the task). Per-frame times are summed over the pass; run it in a
// cross-origin isolated page, where the timer resolution is 5 µs rather than 100 µs.
// A warm-up pass runs first.

import { LegacyAudioQueue, ScheduledBuffers } from '/bench/pages/hand-written.js';

const SOURCE_RATE = 24000;

function makePcm(samples, seed) {
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = Math.round(12000 * Math.sin((2 * Math.PI * 440 * (i + seed)) / SOURCE_RATE));
  return pcm;
}

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A WebSocket look-alike that the bench drives synchronously. */
class FakeSocket {
  constructor() {
    this.binaryType = 'blob';
    this.readyState = 1;
    this.listeners = { message: [], close: [] };
    this.sent = [];
  }
  send(data) {
    this.sent.push(data);
  }
  addEventListener(type, fn) {
    this.listeners[type].push(fn);
  }
  removeEventListener(type, fn) {
    this.listeners[type] = this.listeners[type].filter((f) => f !== fn);
  }
  deliver(data) {
    const event = { data };
    for (const fn of this.listeners.message) fn(event);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves in a new task (MessageChannel: no timer clamping). */
const channel = new MessageChannel();
const taskWaiters = [];
channel.port1.onmessage = () => taskWaiters.shift()?.();
function nextTask() {
  return new Promise((resolve) => {
    taskWaiters.push(resolve);
    channel.port2.postMessage(0);
  });
}

/**
 * Calls `handler(inputs[i])` once per task and returns the summed time, each call timed
 * until the microtasks it queued have run (they run before this function's continuation).
 */
async function timePerTask(inputs, handler) {
  let total = 0;
  for (let i = 0; i < inputs.length; i++) {
    await nextTask();
    const t0 = performance.now();
    handler(inputs[i]);
    await Promise.resolve();
    total += performance.now() - t0;
  }
  return total;
}

/**
 * @param {{ kind: string, frames?: number, frameMs?: number, passes?: number, voxplayUrl?: string, pcmEncodeUrl?: string }} o
 *   `pcmEncodeUrl`: src/protocol/pcm-encode.ts compiled to a module (the bench's snapshot has it).
 * @returns per-frame ms (median over passes) and the breakdown where there is one
 */
export async function mainThreadCost(o) {
  const kind = o.kind;
  const frames = o.frames ?? 750;
  const frameSamples = Math.round(((o.frameMs ?? 40) * SOURCE_RATE) / 1000);
  const passes = o.passes ?? 3;
  const pcmBytes = frameSamples * 2;
  const times = [];
  const breakdown = {};
  let wireBytes = 0;

  // Fresh inputs per pass, built outside the timed region.
  const pcmFrames = (pass) => Array.from({ length: frames }, (_, i) => makePcm(frameSamples, (pass * frames + i) * frameSamples));

  if (kind === 'voxplay-shared' || kind === 'voxplay-message' || kind === 'voxplay-push-shared' || kind === 'voxplay-push-message') {
    const voxplayUrl = o.voxplayUrl ?? '/dist/voxplay.js';
    const { StreamPlayer } = await import(voxplayUrl);
    // The server side of the wire protocol is its own entry, built next to voxplay.js.
    const { encodeFrame } = await import(new URL('./protocol.js', new URL(voxplayUrl, location.href)).href);
    const ctx = new AudioContext({ sampleRate: 48000 });
    const transport = kind.endsWith('shared') ? 'shared' : 'message';
    const player = new StreamPlayer({ context: ctx, transport, metricsIntervalMs: 0, maxBufferMs: 120000 });
    await player.start();
    const viaSocket = !kind.includes('push');
    const socket = new FakeSocket();
    if (viaSocket) player.attach(socket);
    for (let pass = -1; pass < passes; pass++) {
      const id = 100 + pass + 1;
      const inputs = pcmFrames(pass + 1).map((pcm, i) =>
        viaSocket
          ? encodeFrame({ codec: 'pcm16', sampleRate: SOURCE_RATE, utteranceId: id, seq: i, start: i === 0, end: false }, new Uint8Array(pcm.buffer)).slice()
              .buffer
          : pcm.buffer,
      );
      wireBytes = inputs[0].byteLength;
      await sleep(50);
      let refused = 0;
      const t = viaSocket
        ? await timePerTask(inputs, (x) => socket.deliver(x))
        : await timePerTask(inputs, (x) => {
            if (!player.push(x, { utteranceId: String(id) })) refused++;
          });
      if (refused) throw new Error(`${refused} pushes refused`);
      if (pass >= 0) times.push(t);
      player.interrupt();
      await sleep(100);
    }
    await player.close();
    await ctx.close();
  } else if (kind === 'bare-postmessage') {
    // What the postMessage transport cannot avoid: one MessagePort.postMessage per chunk,
    // a transferred Float32Array of the decoded samples, to an AudioWorkletNode.
    const ctx = new AudioContext({ sampleRate: 48000 });
    const src = `registerProcessor('bench-sink', class extends AudioWorkletProcessor {
      constructor() { super(); this.port.onmessage = () => {}; }
      process() { return true; }
    });`;
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    const node = new AudioWorkletNode(ctx, 'bench-sink', { numberOfInputs: 0, outputChannelCount: [1] });
    node.connect(ctx.destination); // a rendering worklet, like the player's
    for (let pass = -1; pass < passes; pass++) {
      const inputs = Array.from({ length: frames }, () => new Float32Array(frameSamples));
      wireBytes = frameSamples * 4;
      await sleep(50);
      const t = await timePerTask(inputs, (x) => node.port.postMessage({ t: 'samples', data: x }, [x.buffer]));
      if (pass >= 0) times.push(t);
      await sleep(100);
    }
    await ctx.close();
  } else if (kind === 'legacy') {
    const { wavFile } = await import(o.pcmEncodeUrl ?? '/bench/results/dist.tmp/pcm-encode.js');
    const wavBytes = (pcm) => wavFile(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), SOURCE_RATE);
    const ctx = new AudioContext({ sampleRate: 48000 });
    const q = new LegacyAudioQueue(ctx, ctx.destination);
    const parse = [];
    const b64 = [];
    const blob = [];
    for (let pass = -1; pass < passes; pass++) {
      const texts = pcmFrames(pass + 1).map((pcm, i) => JSON.stringify({ type: 'audio', utteranceId: String(pass), seq: i, wav: toBase64(wavBytes(pcm)) }));
      wireBytes = texts[0].length;
      await sleep(50);
      // The receive path as it runs: parse, decode, Blob URL, enqueue (elements load as they free up).
      const t = await timePerTask(texts, (x) => q.onText(x));
      q.stop();
      if (pass >= 0) times.push(t);
      // Breakdown, step by step over the same messages.
      const t1 = performance.now();
      const msgs = texts.map((s) => JSON.parse(s));
      const t2 = performance.now();
      const bytes = msgs.map((m) => {
        const bin = atob(m.wav);
        const b = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
        return b;
      });
      const t3 = performance.now();
      const urls = bytes.map((b) => URL.createObjectURL(new Blob([b], { type: 'audio/wav' })));
      const t4 = performance.now();
      for (const u of urls) URL.revokeObjectURL(u);
      if (pass >= 0) {
        parse.push((t2 - t1) / frames);
        b64.push((t3 - t2) / frames);
        blob.push((t4 - t3) / frames);
      }
      await sleep(100);
    }
    // Starting a chunk: what `ended` → next element costs on the main thread (src, load, play).
    const el = new Audio();
    const src = ctx.createMediaElementSource(el);
    src.connect(ctx.destination);
    const pcm = makePcm(frameSamples, 0);
    const urls = Array.from({ length: 100 }, () => URL.createObjectURL(new Blob([wavBytes(pcm)], { type: 'audio/wav' })));
    const t5 = performance.now();
    for (const u of urls) {
      el.src = u;
      el.load();
      el.play().catch(() => undefined);
    }
    const t6 = performance.now();
    el.pause();
    for (const u of urls) URL.revokeObjectURL(u);
    breakdown.jsonParseMs = median(parse);
    breakdown.base64Ms = median(b64);
    breakdown.wavBlobUrlMs = median(blob);
    breakdown.elementStartMs = (t6 - t5) / urls.length;
    await ctx.close();
  } else if (kind === 'scheduled') {
    const ctx = new AudioContext({ sampleRate: 48000 });
    const s = new ScheduledBuffers(ctx, ctx.destination, SOURCE_RATE);
    for (let pass = -1; pass < passes; pass++) {
      const inputs = pcmFrames(pass + 1).map((pcm) => pcm.buffer);
      wireBytes = inputs[0].byteLength;
      await sleep(50);
      const t = await timePerTask(inputs, (x) => s.onBinary(x));
      if (pass >= 0) times.push(t);
      s.stop();
      await sleep(100);
    }
    await ctx.close();
  } else if (kind === 'wavtools') {
    const { WavStreamPlayer } = await import('/node_modules/wavtools/lib/wav_stream_player.js');
    const wav = new WavStreamPlayer({ sampleRate: SOURCE_RATE });
    await wav.connect();
    for (let pass = -1; pass < passes; pass++) {
      const inputs = pcmFrames(pass + 1).map((pcm) => pcm.buffer);
      wireBytes = inputs[0].byteLength;
      await sleep(50);
      const track = `t${pass + 1}`;
      const t = await timePerTask(inputs, (x) => wav.add16BitPCM(x, track));
      if (pass >= 0) times.push(t);
      await wav.interrupt();
      await sleep(100);
    }
    await wav.context.close();
  } else {
    throw new Error(`unknown kind ${kind}`);
  }
  const perFrameMs = median(times) / frames;
  return {
    kind,
    frames,
    frameSamples,
    perFrameMs,
    passesMs: times,
    mbPerS: pcmBytes / 1e6 / (perFrameMs / 1000),
    wireBytes,
    pcmBytes,
    breakdown,
  };
}
