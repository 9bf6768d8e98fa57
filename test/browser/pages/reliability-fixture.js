// Page-side fixture for the reliability suite (test/browser/reliability-*.test.ts).
//
// One app-owned AudioContext with any number of StreamPlayers, each routed through its own
// recorder worklet (so each player's output is captured separately, frame-indexed), and
// per player: a log of every event, the error codes in order, and a continuous check of the
// sample accounting (received = played + buffered + dropped, dropped ≥ stale + overflow,
// buffered ≤ capacity) on every `metrics` event and every error event.
//
//   const rig = await createRig({ contextRate: 24000, players: [{ prebufferMs: 80 }] });
//   rig.players[0].player.attach(new WebSocket(url));
//   await rig.waitFor(0, (e) => e.type === 'ended');
//   return rig.result(0);   // { capture (base64 f32), startFrame, skips, events, metrics, violations, ... }

import { createRecorder } from './capture.js';

const EVENT_TYPES = ['statechange', 'utterancestart', 'playing', 'ended', 'underrun', 'interrupted', 'mark', 'dropped', 'drain', 'error', 'disconnected'];

/** Float32Array → base64 of its bytes (fast to hand back to Node, bit-exact). */
export function f32ToBase64(f32) {
  const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  return btoa(binary);
}

/** base64 (from Node) → Uint8Array. */
export function base64ToBytes(b64) {
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Checks the accounting of one metrics snapshot; returns a description of what is wrong, or null.
 * `capacity` is the ring capacity in samples.
 */
export function accountingProblem(m, capacity) {
  const s = m.samples;
  const problems = [];
  for (const key of ['received', 'played', 'buffered', 'dropped', 'stale', 'overflow', 'nonFinite']) {
    if (!Number.isInteger(s[key]) || s[key] < 0) problems.push(`${key}=${s[key]} is not a non-negative integer`);
  }
  if (s.received !== s.played + s.buffered + s.dropped)
    problems.push(`received ${s.received} ≠ played ${s.played} + buffered ${s.buffered} + dropped ${s.dropped}`);
  if (s.dropped < s.stale + s.overflow) problems.push(`dropped ${s.dropped} < stale ${s.stale} + overflow ${s.overflow}`);
  if (capacity !== undefined && s.buffered > capacity) problems.push(`buffered ${s.buffered} > capacity ${capacity}`);
  return problems.length ? problems.join('; ') : null;
}

function attachLog(player, context, capacity) {
  const log = { events: [], errors: [], violations: [], metricsEvents: 0, maxBuffered: 0, maxBufferedMs: 0, checks: 0 };
  const check = (where) => {
    const m = player.getMetrics();
    log.checks++;
    if (m.samples.buffered > log.maxBuffered) log.maxBuffered = m.samples.buffered;
    if (m.bufferedMs > log.maxBufferedMs) log.maxBufferedMs = m.bufferedMs;
    const problem = accountingProblem(m, capacity);
    if (problem && log.violations.length < 20) log.violations.push(`${where}: ${problem}`);
  };
  for (const type of EVENT_TYPES) {
    player.on(type, (event) => {
      const detail =
        event instanceof Error
          ? { code: event.code, message: event.message, utteranceId: event.utteranceId, name: event.name, isVoxplayError: event.name === 'VoxplayError' }
          : event;
      const frame = Math.round(context.currentTime * context.sampleRate);
      log.events.push({ type, at: performance.now(), frame, detail: JSON.parse(JSON.stringify(detail)) });
      if (type === 'error') {
        log.errors.push(event.code);
        check(`after error ${event.code}`);
      }
    });
  }
  player.on('metrics', () => {
    log.metricsEvents++;
    check('metrics event');
  });
  log.check = check;
  return log;
}

/**
 * @param {{ contextRate?: number, players?: object[], voxplayUrl?: string, record?: boolean }} options
 *   `players`: one options object per player (merged over `{ context, destination }`).
 */
export async function createRig({ contextRate, players = [{}], voxplayUrl = '/dist/voxplay.js', record = true } = {}) {
  const voxplay = await import(voxplayUrl);
  const context = new AudioContext(contextRate ? { sampleRate: contextRate } : {});
  const entries = [];
  for (const opts of players) {
    // Without recording (long runs), the player plays straight to the destination.
    const recorder = record ? await createRecorder(context) : null;
    const player = new voxplay.StreamPlayer({ context, destination: recorder ? recorder.node : context.destination, metricsIntervalMs: 50, ...opts });
    const maxBufferMs = opts.maxBufferMs ?? 60000;
    const capacity = Math.ceil((maxBufferMs * (opts.sampleRate ?? 24000)) / 1000);
    const log = attachLog(player, context, capacity);
    entries.push({ player, recorder, log, capacity });
  }
  for (const e of entries) await e.player.start();

  const rig = {
    voxplay,
    context,
    players: entries,
    frameNow: () => Math.round(context.currentTime * context.sampleRate),
    /** Resolves with the first event of player k matching `pred` (polling the log). */
    waitFor(k, predicate, timeoutMs = 30000) {
      const log = entries[k].log;
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const poll = () => {
          const hit = log.events.find(predicate);
          if (hit) resolve(hit);
          else if (performance.now() - started > timeoutMs)
            reject(
              new Error(
                `player ${k}: timed out waiting; events: ${JSON.stringify(log.events.map((e) => e.type + (e.detail && e.detail.code ? ':' + e.detail.code : '')))}`,
              ),
            );
          else setTimeout(poll, 10);
        };
        poll();
      });
    },
    sockets: [],
    /** Opens a WebSocket to `url`, attaches it to player k, resolves once open. */
    async connect(k, url, attachOptions = {}) {
      const ws = new WebSocket(url);
      entries[k].player.attach(ws, attachOptions);
      rig.sockets[k] = ws;
      await new Promise((resolve, reject) => {
        ws.addEventListener('open', resolve, { once: true });
        ws.addEventListener('error', () => reject(new Error(`could not connect to ${url}`)), { once: true });
      });
      return ws;
    },
    /** Asks the mock TTS server on player k's socket to speak `text` (options: a Scenario). */
    speak(k, text, options) {
      rig.sockets[k].send(JSON.stringify(options ? { type: 'speak', text, options } : { type: 'speak', text }));
    },
    /** Number of `type` events of player k so far. */
    count(k, type) {
      return entries[k].log.events.filter((e) => e.type === type).length;
    },
    /** Everything a test needs about player k; the capture as base64 little-endian f32. */
    async result(k = 0) {
      const { player, recorder, log, capacity } = entries[k];
      log.check('result');
      const capture = recorder ? await recorder.capture() : { samples: new Float32Array(0), startFrame: null, skips: [] };
      return {
        outputTimestamp: outputReference(context),
        capture: f32ToBase64(capture.samples),
        startFrame: capture.startFrame,
        skips: capture.skips,
        overlappedFrames: capture.overlappedFrames ?? 0,
        frozenQuanta: capture.frozenQuanta ?? 0,
        sampleRate: context.sampleRate,
        events: log.events,
        errors: log.errors,
        violations: log.violations,
        checks: log.checks,
        metricsEvents: log.metricsEvents,
        maxBuffered: log.maxBuffered,
        maxBufferedMs: log.maxBufferedMs,
        capacity,
        metrics: JSON.parse(JSON.stringify(player.getMetrics())),
        state: player.state,
        transport: player.transport,
      };
    },
  };
  globalThis.rig = rig;
  return rig;
}

/**
 * Renders `seconds` of an OfflineAudioContext at `rate` with one player fed by `feed(player, voxplay)`
 * before rendering (a short suspend lets the worklet's port deliver what was pushed).
 * Returns the output (base64 f32), the events, the errors and the final metrics.
 */
/**
 * The context's own mapping of context time to performance.now() at the speakers, read
 * independently of the player: its output timestamp where the engine's is usable, else
 * currentTime against now plus the reported latency. Firefox: outputLatency and
 * getOutputTimestamp() can deadlock the page, so neither is read (baseLatency only).
 * WebKitGTK: performanceTime runs ahead of now by about the context's age, so a stamp in
 * the future is not used.
 */
function outputReference(context) {
  const gecko = /\bGecko\/\d/.test(navigator.userAgent);
  const now = performance.now();
  if (!gecko && typeof context.getOutputTimestamp === 'function') {
    const stamp = context.getOutputTimestamp();
    if (stamp.performanceTime > 0 && stamp.contextTime > 0 && stamp.performanceTime <= now + 1) {
      return { contextTime: stamp.contextTime, performanceTime: stamp.performanceTime, source: 'timestamp' };
    }
  }
  const latency = (context.baseLatency || 0) + (gecko ? 0 : context.outputLatency || 0);
  return { contextTime: context.currentTime, performanceTime: now + latency * 1000, source: 'currentTime' };
}

export async function renderOffline({ rate = 24000, seconds, player: opts = {}, feed, voxplayUrl = '/dist/voxplay.js' }) {
  const voxplay = await import(voxplayUrl);
  const ctx = new OfflineAudioContext({ numberOfChannels: 1, length: Math.round(rate * seconds), sampleRate: rate });
  const player = new voxplay.StreamPlayer({ context: ctx, prebufferMs: 0, ...opts });
  const maxBufferMs = opts.maxBufferMs ?? 60000;
  const capacity = Math.ceil((maxBufferMs * (opts.sampleRate ?? 24000)) / 1000);
  const log = attachLog(player, ctx, capacity);
  await player.start();
  const fed = await feed(player, voxplay);
  log.check('after feed');
  // Give the worklet time to take the pushed messages before it renders past the first
  // quantum. Firefox has no OfflineAudioContext.suspend(): there the pause is before
  // rendering starts (its worklet takes queued messages before the first quantum).
  let paused = Promise.resolve();
  if (typeof ctx.suspend === 'function') {
    paused = ctx
      .suspend(128 / rate)
      .then(() => sleep(50))
      .then(() => ctx.resume());
  } else {
    await sleep(50);
  }
  const buffer = await ctx.startRendering();
  await paused;
  await sleep(100);
  log.check('after render');
  return {
    output: f32ToBase64(buffer.getChannelData(0)),
    fed: fed === undefined ? null : fed,
    events: log.events,
    errors: log.errors,
    violations: log.violations,
    metrics: JSON.parse(JSON.stringify(player.getMetrics())),
    state: player.state,
  };
}
