// Page side of the soak (test/soak/soak.ts, `npm run soak`).
//
// offlineSoak(): one StreamPlayer on an OfflineAudioContext renders `minutes` of audio
// (consecutive utterances of a deterministic signal, pushed in odd-sized chunks a few
// seconds ahead of the renderer, with marks), in steps via suspend/resume so memory stays
// bounded; then checks every output sample against the signal, every mark's frame, the
// counters, and the JS heap sampled (after gc) once per minute of audio.
//
// realtimeFlood(): one player on a real AudioContext fed by the mock TTS server at `speed`×
// real time into a small buffer, utterance after utterance for `minutes` of wall time;
// samples the buffer level, the accounting and the heap.

import { createRig } from './reliability-fixture.js';

/** Sample n of the soak signal: a PCM16 value from a hash of n (never a long run of zeros). */
export function signalValue(n) {
  return (Math.imul(n + 1, 2654435761) >>> 16) - 32768;
}

function gcHeap() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
  return performance.memory ? performance.memory.usedJSHeapSize : NaN;
}

export async function offlineSoak({
  minutes = 60,
  rate = 8000,
  utteranceSeconds = 10,
  stepSeconds = 1,
  leadSeconds = 4,
  maxBufferMs = 10000,
  chunkBytes = 641,
  marksPerUtterance = 5,
  transport = 'auto',
  log = () => {},
  snapshotMinutes = [],
  snapshot = async () => {},
} = {}) {
  const { StreamPlayer } = await import('/dist/voxplay.js');
  const total = Math.round(minutes * 60 * rate);
  const perUtterance = Math.round(utteranceSeconds * rate);
  const utterances = Math.ceil(total / perUtterance);
  const length = total + 2 * rate;
  const ctx = new OfflineAudioContext({ numberOfChannels: 1, length, sampleRate: rate });
  const player = new StreamPlayer({ context: ctx, sampleRate: rate, prebufferMs: 0, maxBufferMs, transport });
  const counts = { ended: 0, marks: 0, errors: {}, underruns: 0, interrupted: 0 };
  // Preallocated, so the page's own bookkeeping does not grow the heap being measured.
  const markFrames = new Float64Array(utterances * marksPerUtterance).fill(-1);
  const endedSamples = new Float64Array(utterances).fill(-1);
  let endedOutOfOrder = 0;
  player.on('ended', (e) => {
    const k = Number(e.utteranceId.slice(1));
    if (k !== counts.ended) endedOutOfOrder++;
    counts.ended++;
    endedSamples[k] = e.playedSamples;
  });
  player.on('underrun', (e) => {
    if (e.phase === 'start') counts.underruns++;
  });
  player.on('interrupted', () => counts.interrupted++);
  player.on('mark', (m) => {
    counts.marks++;
    const [uu, mm] = m.name.split(':').map(Number);
    markFrames[uu * marksPerUtterance + mm] = Math.round(m.contextTime * rate);
  });
  player.on('error', (e) => {
    counts.errors[e.code] = (counts.errors[e.code] ?? 0) + 1;
  });
  await player.start();

  // Producer: utterance u holds samples [u * perUtterance, min(total, (u + 1) * perUtterance)).
  let pushedSamples = 0; // signal samples pushed so far
  let u = 0;
  let pending = null; // { bytes, at } of the utterance being pushed
  let refused = 0;
  const utteranceBytes = (k) => {
    const from = k * perUtterance;
    const to = Math.min(total, from + perUtterance);
    const ints = new Int16Array(to - from);
    for (let i = 0; i < ints.length; i++) ints[i] = signalValue(from + i);
    return new Uint8Array(ints.buffer);
  };
  const produce = (until) => {
    while (pushedSamples < until && u < utterances) {
      if (!pending) {
        pending = { bytes: utteranceBytes(u), at: 0, id: `u${u}` };
        for (let m = 0; m < marksPerUtterance; m++) player.mark(pending.id, Math.floor((m * perUtterance) / marksPerUtterance) + 1, `${u}:${m}`);
      }
      const chunk = pending.bytes.subarray(pending.at, pending.at + chunkBytes);
      if (!player.push(chunk, { utteranceId: pending.id })) {
        refused++;
        return;
      }
      pending.at += chunk.length;
      pushedSamples = u * perUtterance + Math.floor(pending.at / 2);
      if (pending.at >= pending.bytes.length) {
        player.endUtterance(pending.id);
        pending = null;
        u++;
      }
    }
  };

  const heap = [];
  const started = performance.now();
  const step = Math.round(stepSeconds * rate);
  let nextSuspendFrame = step;
  let maxBuffered = 0;
  let violations = [];
  produce(Math.round(leadSeconds * rate));
  await new Promise((r) => setTimeout(r, 50));
  heap.push({ minute: 0, bytes: gcHeap() });
  const onSuspend = async () => {
    const frame = Math.round(ctx.currentTime * rate);
    produce(frame + Math.round(leadSeconds * rate));
    const m = player.getMetrics();
    if (m.samples.buffered > maxBuffered) maxBuffered = m.samples.buffered;
    const s = m.samples;
    if (s.received !== s.played + s.buffered + s.dropped && violations.length < 10) violations.push(`at frame ${frame}: ${JSON.stringify(s)}`);
    if (frame % (60 * rate) < step) {
      const minute = Math.round(frame / (60 * rate));
      heap.push({ minute, bytes: gcHeap() });
      if (snapshotMinutes.includes(minute)) await snapshot(`minute ${minute}`);
      log(
        `minute ${minute}: heap ${(heap[heap.length - 1].bytes / 1e6).toFixed(2)} MB, played ${(s.played / rate / 60).toFixed(1)} min, buffered ${(s.buffered / rate).toFixed(2)} s, ${((performance.now() - started) / 1000).toFixed(0)} s elapsed`,
      );
    }
    // Let the worklet's port deliver what was pushed before rendering on.
    await new Promise((r) => setTimeout(r, 0));
    nextSuspendFrame += step;
    if (nextSuspendFrame < length) ctx.suspend(nextSuspendFrame / rate).then(onSuspend);
    ctx.resume();
  };
  ctx.suspend(nextSuspendFrame / rate).then(onSuspend);
  const buffer = await ctx.startRendering();
  const renderMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 200));
  heap.push({ minute: Math.round(total / rate / 60), bytes: gcHeap() });

  // Verify the output, sample by sample.
  const out = buffer.getChannelData(0);
  const first = signalValue(0) / 32768;
  let start = -1;
  for (let i = 0; i < 4 * rate; i++) {
    if (out[i] === first && out[i + 1] === signalValue(1) / 32768) {
      start = i;
      break;
    }
  }
  let mismatches = 0;
  let firstMismatch = -1;
  for (let n = 0; n < total; n++) {
    if (out[start + n] !== signalValue(n) / 32768) {
      mismatches++;
      if (firstMismatch < 0) firstMismatch = n;
    }
  }
  let extra = 0;
  for (let i = 0; i < out.length; i++) if ((i < start || i >= start + total) && out[i] !== 0) extra++;
  // Marks: "u:m" is on sample u * perUtterance + floor(m * perUtterance / marksPerUtterance) + 1.
  let markErrors = 0;
  let maxMarkError = 0;
  for (let k = 0; k < markFrames.length; k++) {
    const frame = markFrames[k];
    if (frame < 0) continue; // not fired (counted against `expected` below)
    const uu = Math.floor(k / marksPerUtterance);
    const mm = k % marksPerUtterance;
    const expected = start + uu * perUtterance + Math.floor((mm * perUtterance) / marksPerUtterance) + 1;
    if (frame !== expected) {
      markErrors++;
      maxMarkError = Math.max(maxMarkError, Math.abs(frame - expected));
    }
  }
  const metrics = player.getMetrics();
  const expectedMarks = (() => {
    let n = 0;
    for (let k = 0; k < utterances; k++) {
      const len = Math.min(total, (k + 1) * perUtterance) - k * perUtterance;
      for (let m = 0; m < marksPerUtterance; m++) if (Math.floor((m * perUtterance) / marksPerUtterance) + 1 < len) n++;
    }
    return n;
  })();
  return {
    minutes,
    rate,
    transport: player.transport,
    utterances,
    totalSamples: total,
    renderMs,
    speedup: total / rate / (renderMs / 1000),
    start,
    mismatches,
    firstMismatch,
    extra,
    marks: { fired: counts.marks, expected: expectedMarks, wrongFrame: markErrors, maxFrameError: maxMarkError },
    counts,
    endedAll: endedOutOfOrder === 0 && endedSamples.every((n, k) => n === Math.min(total, (k + 1) * perUtterance) - k * perUtterance),
    refusedPushes: refused,
    maxBufferedSeconds: maxBuffered / rate,
    violations,
    samples: metrics.samples,
    heapMb: heap.map((h) => ({ minute: h.minute, mb: +(h.bytes / 1e6).toFixed(3) })),
  };
}

export async function realtimeFlood({ url, minutes = 2, speed = 20, maxBufferMs = 1000, text, log = () => {}, snapshot = async () => {} }) {
  const rig = await createRig({ contextRate: 24000, players: [{ prebufferMs: 100, maxBufferMs }], record: false });
  const entry = rig.players[0];
  await rig.connect(0, url);
  const started = performance.now();
  const heap = [{ s: 0, bytes: gcHeap() }];
  let lastHeap = started;
  let utterances = 0;
  let namedOverflow = 0;
  let snapshotTaken = false;
  entry.player.on('dropped', (e) => {
    if (e.reason === 'overflow') namedOverflow += e.samples;
  });
  while (performance.now() - started < minutes * 60000) {
    const before = rig.count(0, 'ended');
    rig.speak(0, text, { speed });
    utterances++;
    await rig.waitFor(0, () => rig.count(0, 'ended') > before, 120000);
    // The fixture keeps every event; drop the old ones so the page's own log does not grow.
    if (entry.log.events.length > 2000) entry.log.events.splice(0, entry.log.events.length - 200);
    if (entry.log.errors.length > 2000) entry.log.errors.splice(0, entry.log.errors.length - 200);
    if (!snapshotTaken && performance.now() - started > minutes * 15000) {
      snapshotTaken = true;
      await snapshot('quarter');
    }
    if (performance.now() - lastHeap > 10000) {
      lastHeap = performance.now();
      heap.push({ s: Math.round((lastHeap - started) / 1000), bytes: gcHeap() });
      const s = entry.player.getMetrics().samples;
      log(
        `${Math.round((lastHeap - started) / 1000)} s: ${utterances} utterances, heap ${(heap[heap.length - 1].bytes / 1e6).toFixed(2)} MB, received ${(s.received / 24000 / 60).toFixed(1)} min, played ${(s.played / 24000).toFixed(0)} s, overflow ${(s.overflow / 24000 / 60).toFixed(1)} min`,
      );
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  heap.push({ s: Math.round((performance.now() - started) / 1000), bytes: gcHeap() });
  await snapshot('end');
  const m = entry.player.getMetrics();
  return {
    minutes,
    speed,
    maxBufferMs,
    utterances,
    samples: m.samples,
    namedOverflow,
    maxBufferedMs: entry.log.maxBufferedMs,
    maxBuffered: entry.log.maxBuffered,
    capacity: entry.capacity,
    violations: entry.log.violations,
    checks: entry.log.checks,
    underruns: m.underruns,
    heapMb: heap.map((h) => ({ s: h.s, mb: +(h.bytes / 1e6).toFixed(3) })),
  };
}
