// Audio-thread cost and memory, in OfflineAudioContexts (no wall clock involved).
//
//   renderSpeed({ kind, contextRate, seconds }) → how many times faster than real time the
//     context renders `seconds` of the 24 kHz stream through the contender; all audio is handed
//     over first, then only startRendering() is timed.
//   memoryGrowth({ kind, minutes }) → main-thread JS heap (performance.memory after gc()) while
//     `minutes` of audio stream through the contender in 40 ms frames, 5 s at a time between
//     suspend()/resume() of the offline context.

const SOURCE_RATE = 24000;
const TRIVIAL_WORKLET = `registerProcessor('bench-trivial', class extends AudioWorkletProcessor {
  process(inputs, outputs) { outputs[0][0].fill(0.25); return true; }
});`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tone(samples, offset = 0) {
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = Math.round(12000 * Math.sin((2 * Math.PI * 440 * (i + offset)) / SOURCE_RATE));
  return pcm;
}

/** Feeds 40 ms frames into the contender; returns a function taking an Int16Array. */
async function makeFeeder(kind, ctx, voxplayUrl = '/dist/voxplay.js', speed = 1) {
  if (kind.startsWith('voxplay')) {
    const { StreamPlayer } = await import(voxplayUrl);
    const player = new StreamPlayer({
      context: ctx,
      transport: kind === 'voxplay-shared' ? 'shared' : 'message',
      metricsIntervalMs: 0,
      maxBufferMs: 70000,
      prebufferMs: 60,
      speed,
    });
    await player.start();
    return {
      feed: (pcm) => {
        if (!player.push(pcm, { utteranceId: 'u' })) throw new Error('push refused');
      },
      end: () => player.endUtterance('u'),
      info: () => ({ state: player.state, counts: player.getMetrics().samples, underruns: player.getMetrics().underruns }),
    };
  }
  if (kind === 'scheduled') {
    let next = 0;
    return {
      feed: (pcm) => {
        const f = new Float32Array(pcm.length);
        for (let i = 0; i < pcm.length; i++) f[i] = pcm[i] / 32768;
        const b = ctx.createBuffer(1, f.length, SOURCE_RATE);
        b.copyToChannel(f, 0);
        const s = ctx.createBufferSource();
        s.buffer = b;
        s.connect(ctx.destination);
        const at = Math.max(next, ctx.currentTime);
        s.start(at);
        next = at + b.duration;
      },
      end: () => undefined,
      info: () => ({}),
    };
  }
  if (kind === 'wavtools') {
    // The real WavStreamPlayer, pointed at the offline context (connect() would make a realtime one).
    const { WavStreamPlayer } = await import('/node_modules/wavtools/lib/wav_stream_player.js');
    const wav = new WavStreamPlayer({ sampleRate: ctx.sampleRate });
    wav.context = ctx;
    await ctx.audioWorklet.addModule(wav.scriptSrc);
    wav.analyser = ctx.createAnalyser();
    return {
      feed: (pcm) => wav.add16BitPCM(pcm),
      end: () => undefined,
      info: () => ({}),
    };
  }
  if (kind === 'trivial') {
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([TRIVIAL_WORKLET], { type: 'text/javascript' })));
    const node = new AudioWorkletNode(ctx, 'bench-trivial', { numberOfInputs: 0, outputChannelCount: [1] });
    node.connect(ctx.destination);
    return { feed: () => undefined, end: () => undefined, info: () => ({}) };
  }
  throw new Error(`unknown kind ${kind}`);
}

function activeFrames(buffer) {
  const d = buffer.getChannelData(0);
  let n = 0;
  for (let i = 0; i < d.length; i++) if (Math.abs(d[i]) > 1e-4) n++;
  return n;
}

// `playbackSpeed` (voxplay only): the player's speed; it is fed that many times more source,
// so the time-stretched output fills the same `seconds`.
export async function renderSpeed({ kind, contextRate, seconds = 60, voxplayUrl, playbackSpeed = 1 }) {
  const ctx = new OfflineAudioContext(1, Math.round(contextRate * (seconds + 0.5)), contextRate);
  const feeder = await makeFeeder(kind, ctx, voxplayUrl, playbackSpeed);
  const frame = Math.round(0.04 * SOURCE_RATE);
  const total = Math.round(SOURCE_RATE * seconds * playbackSpeed);
  if (kind !== 'trivial') {
    for (let pos = 0; pos < total; pos += frame) feeder.feed(tone(Math.min(frame, total - pos), pos));
    feeder.end();
  }
  await sleep(200); // let the audio thread take the posted messages before timing
  const t0 = performance.now();
  const buffer = await ctx.startRendering();
  const ms = performance.now() - t0;
  const rendered = buffer.length / contextRate;
  return {
    kind,
    contextRate,
    seconds,
    ms,
    speed: rendered / (ms / 1000),
    // Sanity: the audio really went through (active frames vs expected).
    active: activeFrames(buffer),
    expected: kind === 'trivial' ? buffer.length : Math.round((total * contextRate) / SOURCE_RATE / playbackSpeed),
    info: feeder.info(),
  };
}

function heap() {
  globalThis.gc?.();
  globalThis.gc?.();
  return performance.memory ? performance.memory.usedJSHeapSize : null;
}

export async function memoryGrowth({ kind, minutes = 10, stepSeconds = 5, samplesAt = [1, 5, 10], voxplayUrl }) {
  const rate = SOURCE_RATE;
  const seconds = minutes * 60;
  const ctx = new OfflineAudioContext(1, rate * (seconds + 1), rate);
  const feeder = await makeFeeder(kind, ctx, voxplayUrl);
  const frame = Math.round(0.04 * rate);
  const readings = [];
  await sleep(100);
  const before = heap();
  let fed = 0;
  const feedUntil = (sec) => {
    const target = Math.min(rate * seconds, Math.round(rate * sec));
    while (fed < target) {
      const n = Math.min(frame, target - fed);
      feeder.feed(tone(n, fed)); // a fresh buffer per frame, as a socket delivers them
      fed += n;
    }
  };
  // Keep one step of audio ahead of the renderer.
  feedUntil(2 * stepSeconds);
  for (let t = stepSeconds; t < seconds; t += stepSeconds) {
    ctx.suspend(t).then(async () => {
      feedUntil(t + 2 * stepSeconds);
      if (t + 2 * stepSeconds >= seconds) feeder.end();
      // Let the player finish the task's work first (the postMessage transport posts at the end of the task).
      await sleep(0);
      if (samplesAt.includes(t / 60)) readings.push({ minute: t / 60, heap: heap() });
      ctx.resume();
    });
  }
  const t0 = performance.now();
  const buffer = await ctx.startRendering();
  const ms = performance.now() - t0;
  const after = heap();
  readings.push({ minute: minutes, heap: after });
  return { kind, minutes, before, readings, ms, active: activeFrames(buffer), expected: rate * seconds, info: feeder.info() };
}
