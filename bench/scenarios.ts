/**
 * Streaming scenarios: every contender gets the same chunks at the same times (per run),
 * over a real local WebSocket, in a fresh page, and its output is captured and analyzed.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { mulberry32, PAGE_INIT_SCRIPT, type StaticServer, type StreamConnection, type StreamServer } from '../test/browser/harness';
import { analyzeStream, type StreamFigures } from './analyze';
import { encodeChunk, pcmChunks, referenceAt, SIGNAL_SECONDS, SOURCE_RATE, sourceSignal, type Wire } from './signal';

export type ContenderId = 'voxplay-shared' | 'voxplay-message' | 'legacy' | 'scheduled' | 'wavtools';

export const CONTENDERS: { id: ContenderId; label: string; wire: Wire; isolated: boolean }[] = [
  { id: 'voxplay-shared', label: 'voxplay (SAB)', wire: 'voxplay', isolated: true },
  { id: 'voxplay-message', label: 'voxplay (postMessage)', wire: 'voxplay', isolated: false },
  { id: 'legacy', label: 'legacy <audio> pool', wire: 'legacy-json', isolated: false },
  { id: 'scheduled', label: 'scheduled BufferSources', wire: 'raw', isolated: false },
  { id: 'wavtools', label: 'wavtools', wire: 'raw', isolated: false },
];

export interface Scenario {
  id: string;
  label: string;
  contextRate: number;
  chunkMs: number;
  /** Send time (ms after the first send) of chunk i, for run `run`. */
  schedule(count: number, run: number): number[];
  /** Every chunk arrives before a player with the default 60 ms prebuffer needs it. */
  onTime: boolean;
  /**
   * On-time scenarios only: a run whose messages reach the page later than this against the
   * send schedule (machine load, not the player) is repeated, for every contender alike.
   * Undefined: lateness cannot matter (the producer is far ahead of real time).
   */
  maxLateMs?: number;
  /** Interrupt this long after the first audible sample. */
  interruptAfterMs?: number;
}

const realTime = (chunkMs: number) => (count: number) => Array.from({ length: count }, (_, i) => i * chunkMs);

export const SCENARIOS: Scenario[] = [
  {
    id: 'fast',
    label: 'Fast producer (40× real time), 40 ms chunks',
    contextRate: 24000,
    chunkMs: 40,
    onTime: true,
    maxLateMs: 1000,
    schedule: (n) => Array.from({ length: n }, (_, i) => i),
  },
  {
    id: 'jitter',
    label: 'Real time ±80 ms jitter, 40 ms chunks',
    contextRate: 24000,
    chunkMs: 40,
    onTime: false,
    schedule: (n, run) => {
      const rng = mulberry32(1000 + run);
      const out: number[] = [];
      let prev = 0;
      for (let i = 0; i < n; i++) {
        const due = Math.max(0, i * 40 + (rng() * 2 - 1) * 80);
        prev = Math.max(prev, due); // a socket keeps order: a late frame holds back the next
        out.push(prev);
      }
      const first = out[0];
      return out.map((t) => t - first);
    },
  },
  {
    id: 'stall',
    label: 'Real time, 500 ms stall mid-utterance',
    contextRate: 24000,
    chunkMs: 40,
    onTime: false,
    schedule: (n) => Array.from({ length: n }, (_, i) => i * 40 + (i >= n / 2 ? 500 : 0)),
  },
  { id: 'tiny', label: 'Tiny chunks (10 ms), real time', contextRate: 24000, chunkMs: 10, onTime: true, maxLateMs: 40, schedule: realTime(10) },
  {
    id: 'large',
    label: 'Large chunks (1 s), 2× real time',
    contextRate: 24000,
    chunkMs: 1000,
    onTime: true,
    maxLateMs: 400,
    schedule: (n) => Array.from({ length: n }, (_, i) => i * 500),
  },
  { id: 'ctx48', label: '24 kHz into a 48 kHz context, real time', contextRate: 48000, chunkMs: 40, onTime: true, maxLateMs: 30, schedule: realTime(40) },
  { id: 'ctx44', label: '24 kHz into a 44.1 kHz context, real time', contextRate: 44100, chunkMs: 40, onTime: true, maxLateMs: 30, schedule: realTime(40) },
  {
    id: 'interrupt',
    label: 'Interrupt 1.2 s into playback (real time; server sends 200 ms more)',
    contextRate: 24000,
    chunkMs: 40,
    onTime: true,
    maxLateMs: 30,
    schedule: realTime(40),
    interruptAfterMs: 1200,
  },
];

/** Frames still sent after the interrupt (in flight / until the server reacts). */
export const SEND_AFTER_INTERRUPT_MS = 200;

export interface RunResult {
  scenario: string;
  contender: ContenderId;
  run: number;
  figures: StreamFigures | null;
  skippedFrames: number;
  errors: string[];
  /** Largest lateness of a message's arrival in the page against the send schedule (relative to the first message), ms. */
  deliveryLateMs: number | null;
  /** Audio clock speed against performance.now() over the stream's arrival window (1 = in step). */
  clockRatio: number | null;
  extra: Record<string, unknown>;
  note?: string;
}

/** Sends `items` at absolute times (ms after the call); `cutAt()` may end the sending early. */
async function sendScheduled(conn: StreamConnection, items: (Uint8Array | string)[], times: number[], cutAt: () => number): Promise<number> {
  const t0 = performance.now();
  let sent = 0;
  for (let i = 0; i < items.length; i++) {
    const due = t0 + times[i];
    for (;;) {
      const now = performance.now();
      if (now >= due) break;
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(due - now, 5))));
    }
    if (performance.now() >= cutAt() || !conn.open) break;
    conn.send(items[i]);
    sent++;
  }
  return sent;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StreamEnv {
  browser: Browser;
  plain: StaticServer;
  isolated: StaticServer;
  stream: StreamServer;
  log: (line: string) => void;
  /** One browser context per origin, reused; every run gets a fresh page in it. */
  contexts?: Map<string, BrowserContext>;
  /** URL path of the voxplay module the pages load (the bench's snapshot of dist/). */
  voxplayUrl: string;
}

/** A fresh page on `server` (in a reused context), collecting console errors. */
export async function freshPage(
  env: StreamEnv,
  server: StaticServer,
  ignore: RegExp[] = [],
): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  env.contexts ??= new Map();
  let context = env.contexts.get(server.url);
  if (!context) {
    context = await env.browser.newContext();
    await context.addInitScript({ content: PAGE_INIT_SCRIPT });
    env.contexts.set(server.url, context);
  }
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !ignore.some((re) => re.test(msg.text()))) errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await page.goto(`${server.url}/test/browser/pages/blank.html`);
  return { page, errors, close: () => page.close() };
}

export async function runStream(env: StreamEnv, scenario: Scenario, contenderId: ContenderId, run: number): Promise<RunResult> {
  const contender = CONTENDERS.find((c) => c.id === contenderId)!;
  const base: RunResult = {
    scenario: scenario.id,
    contender: contenderId,
    run,
    figures: null,
    skippedFrames: 0,
    errors: [],
    deliveryLateMs: null,
    clockRatio: null,
    extra: {},
  };
  if (contenderId === 'wavtools' && scenario.contextRate !== SOURCE_RATE) {
    return { ...base, note: 'n/a: wavtools always runs its own context at the stream rate' };
  }
  const source = sourceSignal();
  const chunks = pcmChunks(source, scenario.chunkMs);
  const items = chunks.map((c, i) => encodeChunk(contender.wire, c, i, chunks.length, 1));
  const times = scenario.schedule(chunks.length, run);
  const server = contender.isolated ? env.isolated : env.plain;
  const opened = await freshPage(env, server);
  const { page } = opened;
  try {
    await page.evaluate(
      async (o) => {
        const { setup } = await (globalThis as any).importModule('/bench/pages/contenders.js');
        await setup(o);
      },
      {
        kind: contenderId,
        contextRate: scenario.contextRate,
        sourceRate: SOURCE_RATE,
        wsUrl: `${env.stream.url}/${contenderId}`,
        prebufferMs: 60,
        fadeMs: 5,
        voxplayUrl: env.voxplayUrl,
      },
    );
    const connection = env.stream.waitForConnection();
    await page.evaluate(() => (globalThis as any).bx.connect());
    const conn = await connection;
    await sleep(150); // let the context settle (headless Chromium skips frames right after start)
    let cut = Infinity;
    const sending = sendScheduled(conn, items, times, () => cut);
    if (scenario.interruptAfterMs !== undefined) {
      const sounded = await page.evaluate(() => (globalThis as any).bx.waitSound(10_000));
      if (sounded) {
        await sleep(scenario.interruptAfterMs);
        await page.evaluate(() => (globalThis as any).bx.interrupt());
        cut = performance.now() + SEND_AFTER_INTERRUPT_MS;
      }
    }
    await sending;
    const idle = await page.evaluate(() => (globalThis as any).bx.waitIdle(300, 20_000));
    const raw = await page.evaluate(() => (globalThis as any).bx.result());
    conn.close();
    const buf = Buffer.from(raw.samples as string, 'base64');
    const samples = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const figures = analyzeStream(
      {
        samples,
        startFrame: raw.startFrame,
        sampleRate: raw.sampleRate,
        firstMessageFrame: raw.firstMessage?.frame ?? null,
        interruptFrame: raw.interruptAt?.frame ?? null,
        skips: raw.skips,
        arrivalFrames: (raw.arrivals as number[]).filter((_, i) => i % 2 === 1),
        chunkSamples: chunks.map((c) => c.length / 2),
        sourceRate: SOURCE_RATE,
      },
      referenceAt(raw.sampleRate),
      raw.sampleRate !== SOURCE_RATE,
    );
    const { samples: _s, log, arrivals, skips: _k, ...rest } = raw;
    let deliveryLateMs: number | null = null;
    let clockRatio: number | null = null;
    const a = arrivals as number[];
    if (a.length >= 4) {
      deliveryLateMs = 0;
      for (let i = 1; i < a.length / 2 && i < times.length; i++) deliveryLateMs = Math.max(deliveryLateMs, a[2 * i] - a[0] - (times[i] - times[0]));
      const n = a.length / 2 - 1;
      const wall = (a[2 * n] - a[0]) / 1000;
      if (wall > 0.5) clockRatio = (a[2 * n + 1] - a[1]) / raw.sampleRate / wall;
    }
    return {
      ...base,
      figures,
      deliveryLateMs,
      clockRatio,
      skippedFrames: raw.skippedFrames,
      errors: [...opened.errors],
      extra: { ...rest, idle, log },
      note: idle ? undefined : 'did not fall silent within 20 s',
    };
  } finally {
    await opened.close();
  }
}

export { SIGNAL_SECONDS };
