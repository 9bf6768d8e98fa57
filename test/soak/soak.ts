/**
 * Soak test (issue #5, outside CI): `npm run soak` (build first; the page loads /dist).
 *
 *   tsx test/soak/soak.ts [--minutes 60] [--rate 8000] [--transport message|shared]
 *                         [--step-seconds 1] [--lead-seconds 4] [--utterance-seconds 10]
 *                         [--flood-minutes 3] [--flood-speed 20] [--flood-buffer-ms 1000]
 *                         [--out file.json]
 *
 * Phase 1, offline: `--minutes` of audio rendered faster than real time in an
 * OfflineAudioContext at `--rate` (pass-through, so exact): every output sample, every mark
 * frame, the counters and the JS heap (sampled after gc once per minute of audio).
 * Phase 2, real time: the mock TTS server sends at `--flood-speed`× real time into a
 * `--flood-buffer-ms` buffer for `--flood-minutes` of wall time: buffer bound, accounting,
 * overflow reporting and heap. `--flood-minutes 0` skips it.
 *
 * Exits non-zero when a check fails; prints one JSON summary (also written to --out).
 */
import { writeFile } from 'node:fs/promises';
import type { Browser, CDPSession } from 'playwright-core';
import { launchBrowser, openChromiumPage as openPage, startStaticServer } from '../browser/harness';
import { startMockServer } from '../../demo/server/mock-server';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const minutes = Number(arg('minutes', '60'));
const rate = Number(arg('rate', '8000'));
const transport = arg('transport', 'message');
const floodMinutes = Number(arg('flood-minutes', '3'));
const floodSpeed = Number(arg('flood-speed', '20'));
const floodBufferMs = Number(arg('flood-buffer-ms', '1000'));
const outFile = arg('out', '');
const stepSeconds = Number(arg('step-seconds', '1'));
const utteranceSeconds = Number(arg('utterance-seconds', '10'));
const leadSeconds = Number(arg('lead-seconds', '4'));

/**
 * Page script calling an export of the soak page module with JSON options and a `log` that
 * prints here. A string, not a function: tsx (esbuild) would add helpers such as `__name`
 * to a function's source, which do not exist in the page.
 */
function pageScript(fn: 'offlineSoak' | 'realtimeFlood', options: Record<string, unknown>): string {
  return `(async () => {
    const mod = await globalThis.importModule('/test/browser/pages/reliability-soak.js');
    return mod.${fn}({ ...${JSON.stringify(options)}, log: (line) => globalThis.soakLog(line), snapshot: (label) => globalThis.soakSnapshot(label) });
  })()`;
}

interface HeapSummary {
  label: string;
  /** Sum of self sizes of every node in a CDP heap snapshot (after a full GC). */
  totalBytes: number;
  byName: Map<string, { count: number; size: number }>;
}

/** Takes a CDP heap snapshot (after a full GC) and sums it by node type and name. */
async function heapSnapshot(cdp: CDPSession, label: string): Promise<HeapSummary> {
  let chunks = '';
  const onChunk = (e: { chunk: string }) => {
    chunks += e.chunk;
  };
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  const snap = JSON.parse(chunks);
  const fields: string[] = snap.snapshot.meta.node_fields;
  const types: string[] = snap.snapshot.meta.node_types[0];
  const n = fields.length;
  const ti = fields.indexOf('type');
  const ni = fields.indexOf('name');
  const si = fields.indexOf('self_size');
  const byName = new Map<string, { count: number; size: number }>();
  let totalBytes = 0;
  for (let i = 0; i < snap.nodes.length; i += n) {
    const key = `${types[snap.nodes[i + ti]]}:${String(snap.strings[snap.nodes[i + ni]]).slice(0, 60)}`;
    const entry = byName.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += snap.nodes[i + si];
    byName.set(key, entry);
    totalBytes += snap.nodes[i + si];
  }
  return { label, totalBytes, byName };
}

/** Growth from snapshot a to b: total bytes and the largest growers by type:name. */
function heapGrowth(a: HeapSummary, b: HeapSummary): { from: string; to: string; totalBytes: [number, number]; growthBytes: number; topGrowers: string[] } {
  const rows: [string, number, number][] = [];
  for (const [k, v] of b.byName) {
    const o = a.byName.get(k) ?? { count: 0, size: 0 };
    if (v.size !== o.size) rows.push([k, v.count - o.count, v.size - o.size]);
  }
  rows.sort((p, q) => q[2] - p[2]);
  return {
    from: a.label,
    to: b.label,
    totalBytes: [a.totalBytes, b.totalBytes],
    growthBytes: b.totalBytes - a.totalBytes,
    topGrowers: rows.slice(0, 5).map(([k, c, s]) => `${k} ${c >= 0 ? '+' : ''}${c} objects ${s >= 0 ? '+' : ''}${s} B`),
  };
}

type HeapGrowth = ReturnType<typeof heapGrowth>;

/**
 * A phase's object-graph growth between its two snapshots (none if it took fewer), counted
 * as a failure past 256 kB: one utterance's pending PCM (160 kB at 8 kHz) may or may not be
 * alive at a snapshot.
 */
function snapshotGrowth(phase: string, snaps: HeapSummary[], failures: string[]): HeapGrowth | undefined {
  if (snaps.length !== 2) return undefined;
  const growth = heapGrowth(snaps[0], snaps[1]);
  if (growth.growthBytes > 256e3) failures.push(`${phase}: heap objects grew ${growth.growthBytes} B: ${growth.topGrowers.join('; ')}`);
  return growth;
}

function describeGrowth(growth: HeapGrowth | undefined): string {
  return growth ? `${(growth.totalBytes[0] / 1e6).toFixed(3)} → ${(growth.totalBytes[1] / 1e6).toFixed(3)} MB` : 'n/a';
}

/** [min, max] of the values, or [] for none. */
function range(values: number[]): number[] {
  return values.length ? [Math.min(...values), Math.max(...values)] : [];
}

/** Opens the soak page with log and heap-snapshot bindings. */
async function soakPage(browser: Browser, url: string, tag: string, snapshots: HeapSummary[]) {
  const opened = await openPage(browser, url);
  const cdp = await opened.context.newCDPSession(opened.page);
  await opened.page.exposeFunction('soakLog', (line: string) => console.log(`[${tag}] ${line}`));
  await opened.page.exposeFunction('soakSnapshot', async (label: string) => {
    snapshots.push(await heapSnapshot(cdp, label));
    console.log(`[${tag}] heap snapshot at ${label}: ${(snapshots[snapshots.length - 1].totalBytes / 1e6).toFixed(3)} MB of objects`);
  });
  return opened;
}

/** Median of the last quarter of the samples minus the median of the second quarter. */
function secondHalfGrowth(points: { x: number; y: number }[]): number {
  if (points.length < 4) return 0;
  const median = (a: number[]) => {
    const b = [...a].sort((p, q) => p - q);
    return b[b.length >> 1];
  };
  const q = Math.floor(points.length / 4);
  return median(points.slice(points.length - q).map((p) => p.y)) - median(points.slice(q, 2 * q).map((p) => p.y));
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const browser = await launchBrowser({ args: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] });
  const server = await startStaticServer({ isolated: transport === 'shared' });
  const tts = await startMockServer({ port: 0 });
  const failures: string[] = [];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), chromium: browser.version() };
  try {
    // ---- phase 1: offline, exact, long ----
    const offlineSnaps: HeapSummary[] = [];
    const opened = await soakPage(browser, `${server.url}/test/browser/pages/blank.html`, 'offline', offlineSnaps);
    // CDP heap snapshots (object graph after a full GC) at a quarter of the run and at its end.
    const snapshotMinutes = [Math.max(1, Math.round(minutes / 4)), Math.max(2, Math.floor(minutes) - 1)];
    const offline: any = await opened.page.evaluate(
      pageScript('offlineSoak', { minutes, rate, transport, stepSeconds, utteranceSeconds, leadSeconds, snapshotMinutes }),
    );
    await opened.close();
    if (opened.errors.length) failures.push(`offline: page errors ${JSON.stringify(opened.errors)}`);
    const s = offline.samples;
    if (offline.start < 0) failures.push('offline: the signal was not found in the output');
    if (offline.mismatches !== 0) failures.push(`offline: ${offline.mismatches} mismatched samples (first at ${offline.firstMismatch})`);
    if (offline.extra !== 0) failures.push(`offline: ${offline.extra} non-zero samples outside the signal`);
    if (s.received !== offline.totalSamples || s.played !== offline.totalSamples || s.buffered !== 0 || s.dropped !== 0)
      failures.push(`offline: counters ${JSON.stringify(s)} for ${offline.totalSamples} samples`);
    if (!offline.endedAll) failures.push(`offline: ended ${offline.counts.ended} of ${offline.utterances} utterances (or wrong playedSamples)`);
    if (offline.marks.fired !== offline.marks.expected || offline.marks.wrongFrame !== 0) failures.push(`offline: marks ${JSON.stringify(offline.marks)}`);
    if (offline.counts.underruns !== 0) failures.push(`offline: ${offline.counts.underruns} underruns`);
    if (Object.keys(offline.counts.errors).length) failures.push(`offline: errors ${JSON.stringify(offline.counts.errors)}`);
    if (offline.violations.length) failures.push(`offline: accounting ${offline.violations.join('; ')}`);
    // Heap: the trend after warm-up, and the growth over the second half of the run, which must
    // stay under 0.5 MB (V8's own caches, e.g. its number-to-string cache, still fill up slowly
    // early on: they are bounded by V8 and are not the player's objects).
    const heapPoints = (offline.heapMb as { minute: number; mb: number }[]).slice(1, -1).map((h) => ({ x: h.minute, y: h.mb }));
    offline.heapSlopeKbPerMinute = +(slope(heapPoints.filter((p) => p.x >= 1)) * 1000).toFixed(2);
    offline.heapSecondHalfGrowthMb = +secondHalfGrowth(heapPoints).toFixed(3);
    offline.heapRangeMb = range(heapPoints.map((p) => p.y));
    // usedJSHeapSize moves in steps V8 makes for itself (e.g. +0.8 MB once, with no object
    // behind it in the snapshots): the pass/fail check is on the object graph.
    offline.heapSnapshots = snapshotGrowth('offline', offlineSnaps, failures);
    summary.offline = offline;
    console.log(
      `[offline] ${minutes} min at ${rate} Hz rendered in ${(offline.renderMs / 1000).toFixed(1)} s (${offline.speedup.toFixed(0)}× real time); mismatches ${offline.mismatches}; marks ${offline.marks.fired}/${offline.marks.expected} exact ${offline.marks.fired - offline.marks.wrongFrame}; usedJSHeapSize ${offline.heapRangeMb.join('–')} MB; heap objects ${describeGrowth(offline.heapSnapshots)}`,
    );

    // ---- phase 2: real time, 20× delivery into a small buffer ----
    if (floodMinutes > 0) {
      const floodSnaps: HeapSummary[] = [];
      const page2 = await soakPage(browser, `${server.url}/test/browser/pages/blank.html`, 'flood', floodSnaps);
      // 60 words: each utterance ~24.7 s of audio (see BUG-3 in docs/reliability.md for ≥ 64).
      const text = Array(5).fill('One two three four five six seven eight nine ten eleven twelve.').join(' ');
      const flood: any = await page2.page.evaluate(
        pageScript('realtimeFlood', { url: tts.url, minutes: floodMinutes, speed: floodSpeed, maxBufferMs: floodBufferMs, text }),
      );
      await page2.close();
      if (page2.errors.length) failures.push(`flood: page errors ${JSON.stringify(page2.errors.slice(0, 5))}`);
      const f = flood.samples;
      if (f.received !== f.played + f.buffered + f.dropped) failures.push(`flood: accounting ${JSON.stringify(f)}`);
      if (flood.violations.length) failures.push(`flood: accounting ${flood.violations.join('; ')}`);
      if (flood.namedOverflow !== f.overflow) failures.push(`flood: buffer-full errors name ${flood.namedOverflow} samples, overflow is ${f.overflow}`);
      if (flood.maxBuffered > flood.capacity) failures.push(`flood: buffered ${flood.maxBuffered} > capacity ${flood.capacity}`);
      const pts = (flood.heapMb as { s: number; mb: number }[]).filter((h) => h.s >= 10).map((h) => ({ x: h.s / 60, y: h.mb }));
      flood.heapSlopeKbPerMinute = +(slope(pts) * 1000).toFixed(2);
      flood.heapSecondHalfGrowthMb = +secondHalfGrowth(pts).toFixed(3);
      flood.heapRangeMb = range(pts.map((p) => p.y));
      flood.heapSnapshots = snapshotGrowth('flood', floodSnaps, failures);
      summary.flood = flood;
      console.log(
        `[flood] ${floodMinutes} min wall at ${floodSpeed}×: ${flood.utterances} utterances, ${(f.received / 24000 / 60).toFixed(1)} min of audio received, ${(f.played / 24000).toFixed(0)} s played, ${(f.overflow / 24000 / 60).toFixed(1)} min overflow (all reported); max buffered ${flood.maxBufferedMs.toFixed(0)} ms of ${floodBufferMs}; usedJSHeapSize ${flood.heapRangeMb.join('–')} MB; heap objects ${describeGrowth(flood.heapSnapshots)}`,
      );
    }
  } finally {
    await tts.close();
    await server.close();
    await browser.close();
  }
  summary.failures = failures;
  summary.wallSeconds = +((performance.now() - t0) / 1000).toFixed(1);
  const json = JSON.stringify(summary, null, 2);
  console.log(json);
  if (outFile) await writeFile(outFile, json + '\n');
  console.log(failures.length ? `SOAK FAILED (${failures.length})` : 'SOAK PASSED');
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
