/**
 * voxplay as someone else's app gets it: `npm pack` of this repo, installed into fresh
 * temporary folders, then used the ways the docs show, in Chromium.
 *
 * 1. A Vite app (docs/examples/*.ts + test/consumer/vite-app/) built for production by
 *    this repo's Vite: an OpenAI-Realtime-style base64 JSON stream with barge-in and
 *    `conversation.item.truncate`, and ElevenLabs-style word captions cut at `lastMark`;
 *    the same app under the dev server, with no config and with the docs' vite.config.js.
 * 2. A plain HTML page (docs/examples/no-bundler.html) importing dist/voxplay.js with
 *    `<script type="module">`, no bundler, fed raw PCM; and the same page with a classic
 *    `<script src>` of dist/voxplay.iife.js, the `voxplay` global (docs/examples/script-tag.html).
 * 3. A page under a strict Content-Security-Policy (no blob:, no eval, no inline script)
 *    loading the worklet through `workletUrl` (docs/examples/strict-csp/).
 * 4. A React app in StrictMode (test/consumer/react-app/ + docs/examples/react-speaker.tsx)
 *    using `voxplay/react`, built by this repo's Vite with this repo's React: one player,
 *    audio at the destination, the snapshot in the DOM, the meter's renders per frame.
 * Plus: the tarball's contents, the consumer type check (strict, bundler + nodenext, no
 * `any` from voxplay's types) and that docs/integration.md shows the files run here.
 *
 * Audio is checked where it reaches the destination: test/consumer/destination-tap.js
 * routes every connection to an AudioDestinationNode through a tap that the recorder
 * worklet (test/browser/pages/capture.js) listens to.
 *
 * Needs `npm run build` first (npm test does it). Set VOXPLAY_TARBALL to test a given
 * tarball instead of packing, KEEP_CONSUMER_TMP=1 to keep the temporary folders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { encodeControl, encodeFrame } from '../../src/protocol/index';
import { launchBrowser, mulberry32, openChromiumPage as openPage, randomChunks, REPO_ROOT, sine, toPcm16, type ChromiumPage as OpenedPage } from './harness';
import { serve, type ConsumerServer, type ServerSocket } from '../consumer/serve';

const NODE = process.execPath;
const VITE_BIN = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const EXAMPLES = join(REPO_ROOT, 'docs', 'examples');
const TAP_SCRIPT = join(REPO_ROOT, 'test', 'consumer', 'destination-tap.js');
const CAPTURE_FILES = ['capture.js', 'recorder-worklet.js'].map((f) => join(REPO_ROOT, 'test', 'browser', 'pages', f));
const RATE = 24000;

interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
  ms: number;
}

/** Runs a command; never rejects (look at `code`). */
function run(cmd: string, args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolveRun) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolveRun({ stdout: String(stdout), stderr: String(stderr), code, ms: performance.now() - t0 });
    });
  });
}

function ok(result: RunResult, what: string): RunResult {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

interface TarEntry {
  path: string;
  size: number;
  content: Buffer;
}

/** The files in a .tgz (ustar), without extracting it. */
function listTarball(gz: Buffer): TarEntry[] {
  const tar = gunzipSync(gz);
  const out: TarEntry[] = [];
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number) =>
      header
        .subarray(start, start + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = field(0, 100);
    const prefix = field(345, 155);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    if (type === '0' || type === '') out.push({ path: prefix ? `${prefix}/${name}` : name, size, content: tar.subarray(at + 512, at + 512 + size) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Signal analysis (node side)
// ---------------------------------------------------------------------------------------------

interface Segment {
  start: number;
  end: number;
}

/** Runs of sound (|x| > threshold) in `samples`, merging runs less than `gapMs` apart. */
function segments(samples: Float32Array, rate: number, gapMs = 30, threshold = 1e-3): Segment[] {
  const gap = Math.round((gapMs * rate) / 1000);
  const out: Segment[] = [];
  let last = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]) <= threshold) continue;
    const prev = out[out.length - 1];
    if (prev && i - last <= gap) prev.end = i + 1;
    else out.push({ start: i, end: i + 1 });
    last = i;
  }
  return out;
}

const ms = (seg: Segment, rate: number): number => ((seg.end - seg.start) * 1000) / rate;

function rms(samples: Float32Array, seg: Segment): number {
  let sum = 0;
  for (let i = seg.start; i < seg.end; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / Math.max(1, seg.end - seg.start));
}

/** Frequency from upward zero crossings over the middle of a segment. */
function frequency(samples: Float32Array, seg: Segment, rate: number): number {
  const a = seg.start + Math.floor((seg.end - seg.start) / 4);
  const b = seg.end - Math.floor((seg.end - seg.start) / 4);
  let first = -1;
  let last = -1;
  let crossings = 0;
  for (let i = a + 1; i < b; i++) {
    if (samples[i - 1] < 0 && samples[i] >= 0) {
      if (first < 0) first = i;
      last = i;
      crossings++;
    }
  }
  return crossings > 1 ? ((crossings - 1) * rate) / (last - first) : 0;
}

function base64Chunks(pcm: Uint8Array, bytesPerChunk: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < pcm.length; at += bytesPerChunk) out.push(Buffer.from(pcm.subarray(at, at + bytesPerChunk)).toString('base64'));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Setup: pack once, install into three fresh folders
// ---------------------------------------------------------------------------------------------

let browser: Browser;
let tmpRoot: string;
let tarball: string;
let tarballFiles: TarEntry[];
const apps: { vite?: string; plain?: string; csp?: string; react?: string } = {};
const timings: Record<string, number> = {};

async function installApp(name: string): Promise<string> {
  const dir = join(tmpRoot, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `voxplay-consumer-${name}`, version: '0.0.0', private: true, type: 'module' }, null, 2));
  const result = ok(
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], dir, { NODE_ENV: undefined }),
    `npm install (${name})`,
  );
  timings[`npm install ${name}`] = result.ms;
  return dir;
}

/** Copies a file, creating the destination's folders. */
async function copy(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await cp(from, to);
}

/** Links this repo's installed `name` (e.g. 'vite', '@types/react') into the app's node_modules. */
async function linkFromRepo(app: string, name: string): Promise<void> {
  await mkdir(dirname(join(app, 'node_modules', name)), { recursive: true });
  await symlink(join(REPO_ROOT, 'node_modules', name), join(app, 'node_modules', name), 'dir');
}

async function copyCaptureFiles(dir: string): Promise<void> {
  for (const file of CAPTURE_FILES) await copy(file, join(dir, basename(file)));
}

/** Opens `url` with the destination tap installed before any page script. */
async function openConsumerPage(url: string): Promise<OpenedPage> {
  const opened = await openPage(browser, 'about:blank');
  await opened.page.addInitScript({ path: TAP_SCRIPT });
  await opened.page.goto(url, { waitUntil: 'load' });
  return opened;
}

/** Starts recording what reaches the page's (first) AudioContext destination. */
async function startRecording(opened: OpenedPage): Promise<number> {
  return opened.page.evaluate(() => (globalThis as any).destinationTap.record('/capture/') as Promise<number>);
}

async function captured(opened: OpenedPage): Promise<{ samples: Float32Array; sampleRate: number }> {
  const c = await opened.page.evaluate(
    () => (globalThis as any).destinationTap.capture() as Promise<{ samples: number[]; sampleRate: number; skippedFrames: number }>,
  );
  if (c.skippedFrames > 0) console.log(`[consumer] the context skipped ${c.skippedFrames} frames (busy machine); left out of the capture`);
  return { samples: Float32Array.from(c.samples), sampleRate: c.sampleRate };
}

beforeAll(async () => {
  const t0 = performance.now();
  if (!process.env.VOXPLAY_TARBALL && !existsSync(join(REPO_ROOT, 'dist', 'voxplay.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  tmpRoot = await mkdtemp(join(tmpdir(), 'voxplay-consumer-'));
  browser = await launchBrowser();
  if (process.env.VOXPLAY_TARBALL) {
    tarball = process.env.VOXPLAY_TARBALL;
  } else {
    // --ignore-scripts: pack the dist/ that `npm run build` made (no prepack rebuild).
    const packed = ok(await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmpRoot], REPO_ROOT), 'npm pack');
    timings['npm pack'] = packed.ms;
    tarball = join(tmpRoot, (JSON.parse(packed.stdout) as { filename: string }[])[0].filename);
  }
  tarballFiles = listTarball(await readFile(tarball));
  const [vite, plain, csp, react] = await Promise.all([installApp('vite-app'), installApp('no-bundler'), installApp('strict-csp'), installApp('react-app')]);
  Object.assign(apps, { vite, plain, csp, react });
  timings['setup total'] = performance.now() - t0;
});

afterAll(async () => {
  await browser?.close();
  console.log(
    `[consumer] timings: ${Object.entries(timings)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ')}`,
  );
  if (tmpRoot && !process.env.KEEP_CONSUMER_TMP) await rm(tmpRoot, { recursive: true, force: true });
  else if (tmpRoot) console.log(`[consumer] kept ${tmpRoot}`);
});

// ---------------------------------------------------------------------------------------------

describe('npm pack', () => {
  it('has dist/ (ESM + .d.ts), the worklet, README and LICENSE, and nothing else of size', async () => {
    const paths = tarballFiles.map((f) => f.path);
    for (const required of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/voxplay.js',
      'dist/index.d.ts',
      'dist/playback-processor.js',
      'dist/react.js',
      'dist/react/index.d.ts',
      'dist/voxplay.iife.js',
    ]) {
      expect(paths, `missing ${required}`).toContain(`package/${required}`);
    }
    const allowed = (p: string) => /^package\/(package\.json|README\.md|LICENSE)$/.test(p) || /^package\/dist\/.+\.(js|d\.ts)$/.test(p);
    expect(
      paths.filter((p) => !allowed(p)),
      'files other than dist/*.js, dist/*.d.ts, README.md, LICENSE, package.json',
    ).toEqual([]);
    const pkg = JSON.parse(await readFile(join(apps.plain!, 'node_modules', 'voxplay', 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const targets = JSON.stringify(pkg.exports).match(/"\.\/dist\/[^"]+"/g) ?? [];
    for (const target of targets) expect(paths).toContain(`package/${target.slice(3, -1)}`);
    // A sourceMappingURL must name a file that is in the package (or Vite's dev server and
    // browsers' devtools complain about every load).
    for (const f of tarballFiles.filter((e) => e.path.endsWith('.js'))) {
      const map = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(f.content.toString('utf8'))?.[1];
      if (map && !map.startsWith('data:')) expect(paths, `${f.path} names ${map}, which is not in the package`).toContain(join(dirname(f.path), map));
    }
    // voxplay/react: a client module for React Server Components, importing the player from
    // the core's file (not a second copy of it); React is an optional peer, never installed.
    const react = tarballFiles.find((f) => f.path === 'package/dist/react.js')!.content.toString('utf8');
    expect(react.split('\n')[0]).toMatch(/^(['"])use client\1;?$/);
    expect(react).toMatch(/import\s*\{\s*StreamPlayer(\s+as\s+\w+)?\s*\}\s*from\s*["']\.\/voxplay\.js["']/);
    expect(react).not.toMatch(/getOutputLevel\(\)\s*\{/); // the player's own code is not in it
    const manifest = JSON.parse(tarballFiles.find((f) => f.path === 'package/package.json')!.content.toString('utf8')) as Record<string, any>;
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependencies).toEqual({ react: expect.any(String) });
    expect(manifest.peerDependenciesMeta).toEqual({ react: { optional: true } });
    expect(existsSync(join(apps.plain!, 'node_modules', 'react'))).toBe(false);
    const total = tarballFiles.reduce((sum, f) => sum + f.size, 0);
    console.log(`[consumer] tarball: ${tarballFiles.length} files, ${(total / 1024).toFixed(1)} KiB unpacked`);
  });
});

describe('a Vite app built for production', () => {
  let server: ConsumerServer;
  let buildError: Error | null = null;

  beforeAll(async () => {
    const app = apps.vite!;
    await copy(join(REPO_ROOT, 'test', 'consumer', 'vite-app', 'index.html'), join(app, 'index.html'));
    await copy(join(REPO_ROOT, 'test', 'consumer', 'vite-app', 'main.js'), join(app, 'src', 'main.js'));
    for (const file of (await readdir(EXAMPLES)).filter((f) => f.endsWith('.ts'))) await copy(join(EXAMPLES, file), join(app, 'src', 'examples', file));
    await copyCaptureFiles(join(app, 'public', 'capture'));
    // This repo's Vite, not a fresh install (the config file imports 'vite').
    await linkFromRepo(app, 'vite');
    const built = await run(NODE, [VITE_BIN, 'build', '--logLevel', 'warn'], app, { NODE_ENV: 'production' });
    timings['vite build'] = built.ms;
    if (built.code !== 0) buildError = new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
    server = await serve({ root: join(app, 'dist') });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('emits playback-processor.js as an asset and points the library at it', async () => {
    if (buildError) throw buildError;
    const assets = await readdir(join(apps.vite!, 'dist', 'assets'));
    const js = assets.filter((f) => f.endsWith('.js'));
    const entry = js.find((f) => f.startsWith('index'));
    const bundle = await readFile(join(apps.vite!, 'dist', 'assets', entry!), 'utf8');
    const worklet = js.find((f) => f.startsWith('playback-processor'));
    const urls = bundle.match(/new URL\([^)]*playback-processor[^)]*\)/g);
    expect(
      worklet,
      `the production build did not emit the worklet (assets: ${assets.join(', ')}); the bundle has ${urls?.join(' ') ?? 'no worklet URL'}. ` +
        "Vite only copies files referenced as new URL('<literal>', import.meta.url); dist/voxplay.js must contain that exact pattern.",
    ).toBeDefined();
    expect(bundle).toContain(`/assets/${worklet}`);
  });

  it('plays an OpenAI-Realtime-style base64 JSON stream; barge-in truncates each item at what was heard', async () => {
    if (buildError) throw buildError;
    const opened = await openConsumerPage(`${server.url}/`);
    try {
      const connection = server.nextSocket('/realtime');
      connection.catch(() => undefined); // awaited below, unless the page fails first
      const state = await opened.page.evaluate(() => (globalThis as any).consumer.realtime() as Promise<string>);
      expect(state).toBe('running');
      const ws: ServerSocket = await connection;
      const contextRate = await startRecording(opened);
      const events = () => opened.page.evaluate(() => (globalThis as any).consumer.events as { type: string; utteranceId: string; [k: string]: unknown }[]);
      const waitEvent = (type: string, id: string) =>
        opened.page.waitForFunction(
          ([t, u]) => (globalThis as any).consumer.events.some((e: { type: string; utteranceId: string }) => e.type === t && e.utteranceId === u),
          [type, id],
          { timeout: 15_000 },
        );
      const sendItem = (itemId: string, freq: number, seconds: number, amp: number) => {
        // 100 ms deltas, all at once: the server produces audio faster than real time.
        for (const delta of base64Chunks(toPcm16(sine(freq, RATE, seconds, amp)), 4800))
          ws.send(JSON.stringify({ type: 'response.output_audio.delta', item_id: itemId, content_index: 0, delta }));
        ws.send(JSON.stringify({ type: 'response.output_audio.done', item_id: itemId, content_index: 0 }));
      };

      // A: plays out completely.
      sendItem('item_A', 440, 0.5, 0.5);
      await waitEvent('ended', 'item_A');
      // B: the server's VAD hears the user 0.7 s in.
      sendItem('item_B', 660, 3, 0.5);
      await waitEvent('playing', 'item_B');
      await new Promise((r) => setTimeout(r, 700));
      ws.send(JSON.stringify({ type: 'input_audio_buffer.speech_started', audio_start_ms: 1234, item_id: 'user_1' }));
      const truncB = (await ws.waitFor((m) => (m as { item_id?: string }).item_id === 'item_B')) as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 200)); // the user talks; then the next response
      // C: the app's own VAD calls session.bargeIn() 0.4 s in.
      sendItem('item_C', 330, 2, 0.5);
      await waitEvent('playing', 'item_C');
      await new Promise((r) => setTimeout(r, 400));
      await opened.page.evaluate(() => (globalThis as any).consumer.session.bargeIn());
      const truncC = (await ws.waitFor((m) => (m as { item_id?: string }).item_id === 'item_C')) as Record<string, unknown>;
      await waitEvent('interrupted', 'item_C');
      await opened.page.waitForTimeout(200);

      const { samples, sampleRate } = await captured(opened);
      expect(sampleRate).toBe(contextRate);
      const segs = segments(samples, sampleRate);
      const log = await events();
      const interrupted = (id: string) =>
        log.find((e) => e.type === 'interrupted' && e.utteranceId === id) as unknown as { playedMs: number; playedSamples: number };
      console.log(
        `[consumer/vite] context ${sampleRate} Hz; segments ${segs.map((s) => `${ms(s, sampleRate).toFixed(1)} ms @ ${frequency(samples, s, sampleRate).toFixed(0)} Hz`).join(', ')}; ` +
          `truncate B ${truncB.audio_end_ms} ms, C ${truncC.audio_end_ms} ms`,
      );
      expect(opened.errors).toEqual([]);
      expect(segs).toHaveLength(3);
      const [a, b, c] = segs;
      expect(ms(a, sampleRate)).toBeCloseTo(500, -1); // ±5 ms
      expect(frequency(samples, a, sampleRate)).toBeCloseTo(440, -1);
      expect(rms(samples, a)).toBeCloseTo(0.5 / Math.SQRT2, 1);
      expect(frequency(samples, b, sampleRate)).toBeCloseTo(660, -1);
      expect(frequency(samples, c, sampleRate)).toBeCloseTo(330, -1);

      expect(truncB).toEqual({
        type: 'conversation.item.truncate',
        item_id: 'item_B',
        content_index: 0,
        audio_end_ms: Math.floor(interrupted('item_B').playedMs),
      });
      expect(truncC).toEqual({
        type: 'conversation.item.truncate',
        item_id: 'item_C',
        content_index: 0,
        audio_end_ms: Math.floor(interrupted('item_C').playedMs),
      });
      expect(ws.received).toContainEqual({ type: 'response.cancel' });
      // Exactly one cancel: server-VAD barge-in (B) leaves cancelling to the server.
      expect(ws.received.filter((m) => (m as { type: string }).type === 'response.cancel')).toHaveLength(1);
      // audio_end_ms is what reached the destination (including the 5 ms fade).
      expect(Math.abs(ms(b, sampleRate) - Number(truncB.audio_end_ms))).toBeLessThanOrEqual(6);
      expect(Math.abs(ms(c, sampleRate) - Number(truncC.audio_end_ms))).toBeLessThanOrEqual(6);
      expect(Number(truncB.audio_end_ms)).toBeGreaterThan(500);
      expect(Number(truncB.audio_end_ms)).toBeLessThan(2000);
    } finally {
      await opened.close();
    }
  });

  it('captions: ElevenLabs-style alignment marks words, highlighted as heard; interrupt cuts the transcript at lastMark', async () => {
    if (buildError) throw buildError;
    const opened = await openConsumerPage(`${server.url}/`);
    try {
      const connection = server.nextSocket('/elevenlabs');
      connection.catch(() => undefined); // awaited below, unless the page fails first
      expect(await opened.page.evaluate(() => (globalThis as any).consumer.captions() as Promise<string>)).toBe('running');
      const ws = await connection;
      const contextRate = await startRecording(opened);

      // Eight words, each a 200 ms tone and 100 ms of silence; two words per message, with
      // per-character times relative to the message's audio (a space ends each word).
      const words = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];
      const wordSamples = 0.3 * RATE;
      for (let m = 0; m < words.length / 2; m++) {
        const audio = new Float32Array(2 * wordSamples);
        const chars: string[] = [];
        const charStartTimesMs: number[] = [];
        for (let k = 0; k < 2; k++) {
          audio.set(sine(300 + 100 * (2 * m + k), RATE, 0.2, 0.5), k * wordSamples);
          for (const [i, ch] of [...words[2 * m + k]].entries()) {
            chars.push(ch);
            charStartTimesMs.push(k * 300 + i * 30);
          }
          chars.push(' ');
          charStartTimesMs.push(k * 300 + 200);
        }
        ws.send(
          JSON.stringify({
            audio: Buffer.from(toPcm16(audio)).toString('base64'),
            isFinal: null,
            alignment: { chars, charStartTimesMs, charDurationsMs: chars.map(() => 30) },
          }),
        );
      }
      await opened.page.waitForFunction(() => document.querySelector('#captions span:nth-child(3)')?.className.includes('spoken'), undefined, {
        timeout: 15_000,
      });
      await opened.page.evaluate(() => (globalThis as any).consumer.player.interrupt());
      await opened.page.waitForFunction(() => (globalThis as any).consumer.cut.length > 0, undefined, { timeout: 5000 });
      await opened.page.waitForTimeout(300);

      const cut = (await opened.page.evaluate(() => (globalThis as any).consumer.cut)) as {
        heard: string;
        lastMark: { name: string; sampleOffset: number; offsetMs: number };
      }[];
      const spans = (await opened.page.evaluate(() => (globalThis as any).consumer.spans())) as { text: string; className: string }[];
      const marks = (
        (await opened.page.evaluate(() => (globalThis as any).consumer.events)) as { type: string; name: string; sampleOffset: number; offsetMs: number }[]
      ).filter((e) => e.type === 'mark');
      const { samples, sampleRate } = await captured(opened);
      const segs = segments(samples, sampleRate);
      console.log(
        `[consumer/captions] heard "${cut[0]?.heard}", lastMark ${JSON.stringify(cut[0]?.lastMark)}; spans ${spans.map((s) => `${s.text}:${s.className}`).join(' ')}; ${segs.length} sounding words captured`,
      );

      expect(opened.errors).toEqual([]);
      expect(cut).toHaveLength(1);
      const { heard, lastMark } = cut[0];
      const heardCount = words.indexOf(lastMark.name) + 1;
      expect(heardCount).toBeGreaterThanOrEqual(3);
      expect(heard).toBe(words.slice(0, heardCount).join(' '));
      expect(lastMark).toEqual({ name: words[heardCount - 1], sampleOffset: (heardCount - 1) * wordSamples, offsetMs: (heardCount - 1) * 300 });
      // Every heard word fired its mark, in order, at its sample; none after the cut.
      expect(marks.map((m) => m.name)).toEqual(words.slice(0, heardCount));
      expect(marks.map((m) => m.sampleOffset)).toEqual(words.slice(0, heardCount).map((_, i) => i * wordSamples));
      expect(spans.map((s) => s.text)).toEqual(words);
      expect(spans.map((s) => s.className)).toEqual(words.map((_, i) => (i < heardCount - 1 ? 'spoken' : i === heardCount - 1 ? 'spoken current' : 'unheard')));
      // The audio that reached the destination: the heard words (the last one maybe cut short).
      expect(segs).toHaveLength(heardCount);
      for (const s of segs.slice(0, -1)) expect(ms(s, sampleRate)).toBeCloseTo(200, -1);
      expect(sampleRate).toBe(contextRate);
    } finally {
      await opened.close();
    }
  });

  for (const config of ['no config', 'the docs vite.config.js'] as const) {
    it(`under the dev server (${config}), loads the worklet and plays`, async () => {
      if (buildError) throw buildError;
      const app = apps.vite!;
      if (config === 'the docs vite.config.js') await copy(join(EXAMPLES, 'vite.config.js'), join(app, 'vite.config.js'));
      else await rm(join(app, 'vite.config.js'), { force: true });
      await rm(join(app, 'node_modules', '.vite'), { recursive: true, force: true }); // a fresh dependency optimization
      const port = await freePort();
      const t0 = performance.now();
      const dev = execFileDevServer(app, port);
      try {
        await dev.ready;
        timings[`vite dev start (${config})`] = performance.now() - t0;
        const opened = await openConsumerPage(`http://127.0.0.1:${port}/`);
        try {
          expect(await opened.page.evaluate(() => (globalThis as any).consumer.start() as Promise<string>)).toBe('running');
          await startRecording(opened);
          await opened.page.evaluate(() => (globalThis as any).consumer.pushTone(0.5));
          await opened.page.waitForFunction(() => (globalThis as any).consumer.events.some((e: { type: string }) => e.type === 'ended'), undefined, {
            timeout: 10_000,
          });
          await opened.page.waitForTimeout(100);
          const { samples, sampleRate } = await captured(opened);
          const segs = segments(samples, sampleRate);
          expect(opened.errors).toEqual([]);
          expect(segs).toHaveLength(1);
          expect(ms(segs[0], sampleRate)).toBeCloseTo(500, -1);
          expect(frequency(samples, segs[0], sampleRate)).toBeCloseTo(440, -1);
          // e.g. "Failed to load source map for …/voxplay.js" when a sourceMappingURL dangles.
          expect(dev.output()).not.toMatch(/error|warn|failed/i);
        } finally {
          await opened.close();
        }
      } finally {
        await dev.stop();
      }
    });
  }
});

describe('a plain HTML page, no bundler', () => {
  it('imports dist/voxplay.js with <script type="module"> and plays raw PCM from the socket', async () => {
    const dir = apps.plain!;
    await copy(join(EXAMPLES, 'no-bundler.html'), join(dir, 'index.html'));
    await copyCaptureFiles(join(dir, 'capture'));
    const server = await serve({ root: dir });
    const opened = await openConsumerPage(`${server.url}/`);
    try {
      const ws = await server.nextSocket('/tts');
      await startRecording(opened);
      const source = toPcm16(sine(440, RATE, 1, 0.5));
      ws.send(encodeControl({ type: 'start', utteranceId: 'hello' }));
      for (const chunk of randomChunks(source, mulberry32(7), 1, 3001)) ws.send(chunk); // odd byte counts too
      ws.send(encodeControl({ type: 'end', utteranceId: 'hello' }));
      await opened.page.waitForFunction(() => document.getElementById('status')?.textContent === 'played 1000 ms of hello', undefined, { timeout: 10_000 });
      await opened.page.waitForTimeout(100);
      const { samples, sampleRate } = await captured(opened);
      const segs = segments(samples, sampleRate);
      expect(opened.errors).toEqual([]);
      expect(server.requests).toContain('/node_modules/voxplay/dist/playback-processor.js');
      expect(segs).toHaveLength(1);
      expect(ms(segs[0], sampleRate)).toBeCloseTo(1000, -1);
      expect(frequency(samples, segs[0], sampleRate)).toBeCloseTo(440, -1);
      expect(rms(samples, segs[0])).toBeCloseTo(0.5 / Math.SQRT2, 1);
    } finally {
      await opened.close();
      await server.close();
    }
  });
});

describe('a plain HTML page with a classic script tag, no modules', () => {
  it('loads dist/voxplay.iife.js with <script src> (the voxplay global), which finds the worklet beside itself, and plays raw PCM from the socket', async () => {
    const dir = apps.plain!;
    await copy(join(EXAMPLES, 'script-tag.html'), join(dir, 'script-tag.html'));
    await copyCaptureFiles(join(dir, 'capture'));
    const server = await serve({ root: dir });
    const opened = await openConsumerPage(`${server.url}/script-tag.html`);
    try {
      const ws = await server.nextSocket('/tts');
      await startRecording(opened);
      const source = toPcm16(sine(440, RATE, 1, 0.5));
      ws.send(encodeControl({ type: 'start', utteranceId: 'hello' }));
      for (const chunk of randomChunks(source, mulberry32(8), 1, 3001)) ws.send(chunk);
      ws.send(encodeControl({ type: 'end', utteranceId: 'hello' }));
      await opened.page.waitForFunction(() => document.getElementById('status')?.textContent === 'played 1000 ms of hello', undefined, { timeout: 10_000 });
      await opened.page.waitForTimeout(100);
      const { samples, sampleRate } = await captured(opened);
      const segs = segments(samples, sampleRate);
      expect(opened.errors).toEqual([]);
      expect(server.requests).toContain('/node_modules/voxplay/dist/voxplay.iife.js');
      expect(server.requests).toContain('/node_modules/voxplay/dist/playback-processor.js');
      expect(server.requests.filter((p) => p.endsWith('/voxplay.js'))).toEqual([]);
      expect(segs).toHaveLength(1);
      expect(ms(segs[0], sampleRate)).toBeCloseTo(1000, -1);
      expect(frequency(samples, segs[0], sampleRate)).toBeCloseTo(440, -1);
    } finally {
      await opened.close();
      await server.close();
    }
  });
});

describe('a page under a strict Content-Security-Policy', () => {
  it('loads the worklet from workletUrl with no blob: and no eval, and plays framed audio', async () => {
    const dir = apps.csp!;
    const site = join(dir, 'public');
    const dist = join(dir, 'node_modules', 'voxplay', 'dist');
    await copy(join(EXAMPLES, 'strict-csp', 'index.html'), join(site, 'index.html'));
    await copy(join(EXAMPLES, 'strict-csp', 'app.js'), join(site, 'app.js'));
    await copy(join(dist, 'voxplay.js'), join(site, 'vendor', 'voxplay.js'));
    await copy(join(dist, 'playback-processor.js'), join(site, 'static', 'worklets', 'playback-processor.js'));
    await copyCaptureFiles(join(site, 'capture'));
    const csp = (await readFile(join(EXAMPLES, 'strict-csp', 'content-security-policy.txt'), 'utf8')).trim();
    expect(csp).not.toMatch(/blob:|unsafe-eval|unsafe-inline|data:/);
    await writeFile(join(site, 'no-csp.html'), '<!doctype html><meta charset="utf-8"><title>control page without CSP</title>');
    const server = await serve({ root: site, headers: (path): Record<string, string> => (path === '/no-csp.html' ? {} : { 'Content-Security-Policy': csp }) });
    const opened = await openConsumerPage(`${server.url}/`);
    try {
      const ws = await server.nextSocket('/tts');
      await startRecording(opened);
      const source = toPcm16(sine(440, RATE, 0.8, 0.5));
      const chunks = randomChunks(source, mulberry32(9), 200, 4000);
      chunks.forEach((payload, seq) =>
        ws.send(encodeFrame({ codec: 'pcm16', sampleRate: RATE, utteranceId: 42, seq, start: seq === 0, end: seq === chunks.length - 1 }, payload)),
      );
      await opened.page.waitForFunction(() => document.getElementById('status')?.textContent === 'played 800 ms of 42', undefined, { timeout: 10_000 });
      await opened.page.waitForTimeout(100);
      const { samples, sampleRate } = await captured(opened);
      const segs = segments(samples, sampleRate);
      const violations = (await opened.page.evaluate(() => (globalThis as any).destinationTap.violations)) as string[];
      expect(violations).toEqual([]);
      expect(opened.errors).toEqual([]);
      expect(server.requests).toContain('/static/worklets/playback-processor.js');
      expect(server.requests).not.toContain('/vendor/playback-processor.js');
      expect(segs).toHaveLength(1);
      expect(ms(segs[0], sampleRate)).toBeCloseTo(800, -1);
      expect(frequency(samples, segs[0], sampleRate)).toBeCloseTo(440, -1);

      // The policy is really enforced: the blob: opt-in (workletSource) with the same worklet
      // source is refused under it, and works on a page of the same server without it.
      const tryWorkletSource = async () => {
        const { StreamPlayer } = await (globalThis as any).importModule('/vendor/voxplay.js');
        const workletSource = await (await fetch('/static/worklets/playback-processor.js')).text();
        const player = new StreamPlayer({ workletSource });
        try {
          await player.start();
          return player.state as string;
        } catch (error) {
          return (error as { code?: string }).code ?? String(error);
        } finally {
          await player.close();
        }
      };
      expect(await opened.page.evaluate(tryWorkletSource)).toBe('worklet-load');
      const control = await openPage(browser, `${server.url}/no-csp.html`);
      try {
        expect(await control.page.evaluate(tryWorkletSource)).toBe('running');
      } finally {
        await control.close();
      }
    } finally {
      await opened.close();
      await server.close();
    }
  });
});

describe('a React app in StrictMode (voxplay/react)', () => {
  // Two builds of one app by this repo's Vite, with this repo's React linked in (as Vite is):
  // a development build, where StrictMode really mounts, unmounts and mounts every effect
  // (a production build skips that, so it could not show that the hook survives it), and a
  // production build of the docs' example.
  const servers: { dev?: ConsumerServer; prod?: ConsumerServer } = {};
  let buildError: Error | null = null;

  beforeAll(async () => {
    const app = apps.react!;
    await copy(join(REPO_ROOT, 'test', 'consumer', 'react-app', 'index.html'), join(app, 'index.html'));
    await copy(join(REPO_ROOT, 'test', 'consumer', 'react-app', 'main.jsx'), join(app, 'src', 'main.jsx'));
    await copy(join(EXAMPLES, 'react-speaker.tsx'), join(app, 'src', 'examples', 'react-speaker.tsx'));
    await copyCaptureFiles(join(app, 'public', 'capture'));
    for (const name of ['vite', 'react', 'react-dom']) await linkFromRepo(app, name);
    for (const [mode, outDir] of [
      ['development', 'dist-dev'],
      ['production', 'dist'],
    ] as const) {
      const built = await run(NODE, [VITE_BIN, 'build', '--mode', mode, '--outDir', outDir, '--logLevel', 'warn'], app, { NODE_ENV: mode });
      timings[`vite build react (${mode})`] = built.ms;
      if (built.code !== 0) buildError = new Error(`vite build (${mode}) failed:\n${built.stdout}\n${built.stderr}`);
    }
    servers.dev = await serve({ root: join(app, 'dist-dev') });
    servers.prod = await serve({ root: join(app, 'dist') });
  });

  afterAll(async () => {
    await servers.dev?.close();
    await servers.prod?.close();
  });

  /** Opens the app with the destination tap and a count of the AudioContexts made. */
  async function openReactPage(url: string): Promise<OpenedPage> {
    const opened = await openPage(browser, 'about:blank');
    await opened.page.addInitScript({ path: TAP_SCRIPT });
    await opened.page.addInitScript({
      content: `(() => {
        const Native = AudioContext;
        globalThis.audioContextsMade = 0;
        globalThis.AudioContext = class extends Native {
          constructor(...args) { super(...args); globalThis.audioContextsMade++; }
        };
      })();`,
    });
    await opened.page.goto(url, { waitUntil: 'load' });
    return opened;
  }

  it('one player through StrictMode, started by the first click (audio pushed before it kept); plays to the destination; the meter renders at most once per animation frame', async () => {
    if (buildError) throw buildError;
    const opened = await openReactPage(`${servers.dev!.url}/`);
    const { page } = opened;
    try {
      type Count = { players: number; closes: number; meterCommits: number; frames: number; now: number; marks: string[]; effectMounts: number };
      const count = () => page.evaluate(() => (globalThis as any).reactApp.count() as Count);
      await page.waitForFunction(() => (globalThis as any).reactApp?.stats.player != null, undefined, { timeout: 10_000 });
      // StrictMode really ran the effects twice (this is a development build)…
      expect((await count()).effectMounts).toBe(2);
      // …and the player waits for a gesture: no AudioContext yet.
      expect(await page.locator('#state').textContent()).toBe('new');
      expect(await page.evaluate(() => (globalThis as any).audioContextsMade as number)).toBe(0);

      // Audio pushed before the gesture waits in the buffer and plays once the player runs.
      await page.evaluate(() => (globalThis as any).reactApp.pushTone(0.2, 0, 'early'));
      await page.mouse.click(5, 5); // a real input event: a user gesture
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'running', undefined, { timeout: 10_000 });
      await page.waitForFunction(() => (globalThis as any).reactApp.stats.ended.includes('early'), undefined, { timeout: 10_000 });
      const contextRate = await startRecording(opened);

      const before = await count();
      await page.evaluate(() => (globalThis as any).reactApp.pushTone(2.5, 0.5));
      await page.waitForFunction(() => (globalThis as any).reactApp.stats.ended.includes('tone'), undefined, { timeout: 15_000 });
      const after = await count();
      await page.waitForTimeout(100);

      const renders = after.meterCommits - before.meterCommits;
      const frames = after.frames - before.frames;
      const { samples, sampleRate } = await captured(opened);
      const segs = segments(samples, sampleRate);
      console.log(
        `[consumer/react] ${after.players} player(s), ${await page.evaluate(() => (globalThis as any).audioContextsMade)} AudioContext(s); ` +
          `over ${((after.now - before.now) / 1000).toFixed(2)} s of playback: meter renders ${renders}, animation frames ${frames}; ` +
          `captured ${segs.map((seg) => `${ms(seg, sampleRate).toFixed(1)} ms @ ${frequency(samples, seg, sampleRate).toFixed(0)} Hz`).join(', ')}`,
      );
      expect(opened.errors).toEqual([]);
      expect(after.players).toBe(1);
      expect(after.closes).toBe(0);
      expect(await page.evaluate(() => (globalThis as any).audioContextsMade as number)).toBe(1);
      expect(await page.evaluate(() => (globalThis as any).destinationTap.contexts().length as number)).toBe(1);
      expect(await page.locator('#state').textContent()).toBe('running');
      // The audio reached the destination: the 2.5 s tone, whole.
      expect(sampleRate).toBe(contextRate);
      expect(segs).toHaveLength(1);
      expect(ms(segs[0], sampleRate)).toBeCloseTo(2500, -1);
      expect(frequency(samples, segs[0], sampleRate)).toBeCloseTo(440, -1);
      // useOutputLevel: the level changes with every worklet report, the meter follows it,
      // at most once per animation frame.
      expect(renders).toBeGreaterThan(20);
      expect(renders).toBeLessThanOrEqual(frames);
      // useMark: every word, in order, as heard.
      expect(after.marks).toEqual(['word0', 'word1', 'word2', 'word3', 'word4']);
      expect(await page.locator('#word').textContent()).toBe('word4');
    } finally {
      await opened.close();
    }
  });

  it("the docs' Speaker (production build) plays a raw PCM socket from the first click, with the word being heard", async () => {
    if (buildError) throw buildError;
    const server = servers.prod!;
    const opened = await openReactPage(`${server.url}/?example`);
    const { page } = opened;
    try {
      const ws = await server.nextSocket('/tts');
      expect(await page.locator('.state').textContent()).toBe('Click anywhere to turn the sound on.');
      await page.keyboard.press('Space'); // a key press is a gesture too
      await page.waitForFunction(() => document.querySelector('.state')?.textContent === 'running', undefined, { timeout: 10_000 });
      await startRecording(opened);
      const words = ['Hello', 'from', 'React.'];
      ws.send(encodeControl({ type: 'start', utteranceId: 'hi' }));
      words.forEach((name, i) => ws.send(encodeControl({ type: 'mark', utteranceId: 'hi', sampleOffset: i * 0.4 * RATE, name })));
      for (const chunk of randomChunks(toPcm16(sine(440, RATE, 1.2, 0.5)), mulberry32(11), 200, 4000)) ws.send(chunk);
      ws.send(encodeControl({ type: 'end', utteranceId: 'hi' }));
      await page.waitForFunction(() => document.querySelector('.word')?.textContent === 'React.', undefined, { timeout: 10_000 });
      await page.waitForTimeout(700); // the last word is 0.4 s long, plus the output latency
      const { samples, sampleRate } = await captured(opened);
      const segs = segments(samples, sampleRate);
      expect(opened.errors).toEqual([]);
      expect(await page.evaluate(() => (globalThis as any).audioContextsMade as number)).toBe(1);
      expect(segs).toHaveLength(1);
      expect(ms(segs[0], sampleRate)).toBeCloseTo(1200, -1);
      expect(frequency(samples, segs[0], sampleRate)).toBeCloseTo(440, -1);
      expect(Number(await page.locator('meter').getAttribute('value'))).toBeLessThan(0);
    } finally {
      await opened.close();
    }
  });
});

describe('types, as a consumer compiles them', () => {
  for (const mode of ['bundler', 'nodenext'] as const) {
    it(`the public API and the docs examples compile under strict (moduleResolution ${mode}) with no any from voxplay or voxplay/react`, async () => {
      const app = apps.vite!;
      // React's types, for voxplay/react's test and the React example (voxplay's own .d.ts need none).
      if (!existsSync(join(app, 'node_modules', '@types', 'react'))) await linkFromRepo(app, '@types/react');
      // Vue, for the Vue store recipe in docs/examples (Svelte's needs no import).
      if (!existsSync(join(app, 'node_modules', 'vue'))) await linkFromRepo(app, 'vue');
      const src = join(app, 'types-src');
      await mkdir(src, { recursive: true });
      const api = (await readFile(join(REPO_ROOT, 'test', 'types', 'public-api.ts'), 'utf8'))
        .replace("from '../../src/index';", "from 'voxplay';")
        .replace("from '../../src/protocol/index';", "from 'voxplay/protocol';");
      expect(api).toContain("from 'voxplay';");
      expect(api).toContain("from 'voxplay/protocol';");
      await writeFile(join(src, 'public-api.ts'), api);
      const reactApi = (await readFile(join(REPO_ROOT, 'test', 'types', 'react-api.ts'), 'utf8'))
        .replace("from '../../src/index';", "from 'voxplay';")
        .replace("from '../../src/react/index';", "from 'voxplay/react';");
      expect(reactApi).toContain("from 'voxplay/react';");
      await writeFile(join(src, 'react-api.ts'), reactApi);
      for (const file of (await readdir(EXAMPLES)).filter((f) => /\.tsx?$/.test(f))) await copy(join(EXAMPLES, file), join(src, 'examples', file));
      const config = join(app, `tsconfig.${mode}.json`);
      await writeFile(
        config,
        JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              module: mode === 'bundler' ? 'ESNext' : 'NodeNext',
              moduleResolution: mode === 'bundler' ? 'Bundler' : 'NodeNext',
              lib: ['ES2022', 'DOM', 'DOM.Iterable'],
              types: [],
              strict: true,
              noUncheckedIndexedAccess: true,
              exactOptionalPropertyTypes: true,
              verbatimModuleSyntax: true,
              noEmit: true,
              skipLibCheck: false, // check voxplay's .d.ts files too
              skipDefaultLibCheck: true,
              jsx: 'react-jsx',
            },
            include: ['types-src/**/*.ts', 'types-src/**/*.tsx'],
          },
          null,
          2,
        ),
      );
      // Like `tsc --noEmit -p`, then the walk over voxplay's exported types for `any`.
      const checked = await run(NODE, [join(REPO_ROOT, 'scripts', 'check-no-any.mjs'), '--tsc', config, 'voxplay'], app);
      timings[`types ${mode}`] = checked.ms;
      expect(checked.stderr, `compile errors or any (${mode})`).toBe('');
      expect(checked.code).toBe(0);
      console.log(`[consumer/types ${mode}] ${checked.stdout.trim()}`);
      const react = await run(NODE, [join(REPO_ROOT, 'scripts', 'check-no-any.mjs'), config, 'voxplay/react'], app);
      expect(react.stderr, `any from voxplay/react (${mode})`).toBe('');
      expect(react.code).toBe(0);
      console.log(`[consumer/types ${mode}, voxplay/react] ${react.stdout.trim()}`);
    });
  }
});

describe('docs', () => {
  it('docs/integration.md shows the example files these tests run, verbatim', async () => {
    const result = await run(NODE, [join(REPO_ROOT, 'scripts', 'check-doc-samples.mjs')], REPO_ROOT);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createNetServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolvePort(port));
    });
  });
}

/** `vite` (dev server) in `cwd` as a child process; `ready` resolves once it answers HTTP. */
function execFileDevServer(cwd: string, port: number): { ready: Promise<void>; stop(): Promise<void>; output(): string } {
  const child = execFile(NODE, [VITE_BIN, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd,
    env: { ...process.env, NODE_ENV: 'development', NO_COLOR: '1' },
  });
  let output = '';
  child.stdout?.on('data', (data: Buffer | string) => (output += String(data)));
  child.stderr?.on('data', (data: Buffer | string) => (output += String(data)));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const ready = (async () => {
    const deadline = performance.now() + 20_000;
    while (performance.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`vite dev server exited (${child.exitCode}):\n${output}`);
      const up = await fetch(`http://127.0.0.1:${port}/`).then(
        (res) => res.ok,
        () => false,
      );
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`vite dev server did not answer within 20 s:\n${output}`);
  })();
  return {
    ready,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
