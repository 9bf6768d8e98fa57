// Page-side fixture for player tests: an app-owned AudioContext, voxplay's StreamPlayer
// routed through the recorder worklet (so the test sees what reaches the destination),
// and a log of every event the player emits, stamped with page time and context frame.
//
//   const fx = await setupPlayer({ contextRate: 24000, player: { prebufferMs: 80 } });
//   fx.player.attach(new WebSocket(url));
//   ... later: await fx.result()  → { samples, startFrame, events, metrics, ... }

import { createRecorder } from './capture.js';

// Counts the sample messages posted to worklets (the postMessage transport's cost is one
// post per message), by wrapping MessagePort.prototype.postMessage once per page.
const postLog = { samplePosts: 0, sampleCount: 0 };
const originalPost = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function (msg, ...rest) {
  if (msg && msg.type === 'samples') {
    postLog.samplePosts++;
    postLog.sampleCount += msg.data.length;
  }
  return originalPost.call(this, msg, ...rest);
};

export async function setupPlayer({ contextRate, player: playerOptions = {}, voxplayUrl = '/dist/voxplay.js' } = {}) {
  const { StreamPlayer } = await import(voxplayUrl);
  const context = new AudioContext(contextRate ? { sampleRate: contextRate } : {});
  const recorder = await createRecorder(context);
  const player = new StreamPlayer({ context, destination: recorder.node, ...playerOptions });
  const events = [];
  for (const type of ['statechange', 'utterancestart', 'playing', 'ended', 'underrun', 'interrupted', 'mark', 'dropped', 'drain', 'error', 'disconnected']) {
    player.on(type, (event) => {
      const detail = event instanceof Error ? { code: event.code, message: event.message, utteranceId: event.utteranceId } : event;
      events.push({ type, at: performance.now(), frame: Math.round(context.currentTime * context.sampleRate), detail: JSON.parse(JSON.stringify(detail)) });
    });
  }
  let metricsEvents = 0;
  let lastMetrics = null;
  player.on('metrics', (m) => {
    metricsEvents++;
    lastMetrics = m;
  });
  await player.start();
  const fx = {
    player,
    context,
    recorder,
    events,
    /** Frame the context is rendering around now (for timing an action against the capture). */
    frameNow: () => Math.round(context.currentTime * context.sampleRate),
    waitFor(predicate, timeoutMs = 20000) {
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const poll = () => {
          const hit = events.find(predicate);
          if (hit) resolve(hit);
          else if (performance.now() - started > timeoutMs) reject(new Error(`timed out waiting; events: ${JSON.stringify(events.map((e) => e.type))}`));
          else setTimeout(poll, 10);
        };
        poll();
      });
    },
    async result() {
      const capture = await recorder.capture();
      return {
        samples: Array.from(capture.samples),
        startFrame: capture.startFrame,
        skippedFrames: capture.skippedFrames,
        skips: capture.skips,
        sampleRate: context.sampleRate,
        events,
        metrics: player.getMetrics(),
        metricsEvents,
        lastMetricsEvent: lastMetrics && JSON.parse(JSON.stringify(lastMetrics)),
        transport: player.transport,
        isolated: globalThis.crossOriginIsolated === true,
        samplePosts: postLog.samplePosts,
        postedSamples: postLog.sampleCount,
      };
    },
  };
  globalThis.fx = fx;
  return fx;
}
