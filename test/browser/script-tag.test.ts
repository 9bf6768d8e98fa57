/**
 * dist/voxplay.iife.js, the script-tag build, in a plain HTML page (test/browser/pages/script-tag.html):
 * a classic `<script src>`, no bundler, no module script for voxplay. The player comes from the
 * `voxplay` global, finds its worklet beside the script (not beside the page) with no blob: URL
 * and no request off this machine, and plays PCM16 sample for sample in both transports. The
 * lazy paths, which the IIFE inlines: playStream and the WAV decoder (sample for sample), the
 * output-device module; and the MP3 WASM fallback, which stays the ES build's own file beside
 * the script (with the two small ES chunks it imports) and is import()ed from there.
 *
 * Needs `npm run build` first (npm test does it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as entry from '../../src/index';
import { useSuite } from './fixture';
import {
  bestAlignment,
  chirp,
  countGaps,
  ENGINE,
  findActiveRegion,
  mulberry32,
  openPage,
  quantizePcm16,
  randomChunks,
  REPO_ROOT,
  sine,
  snrAgainst,
  toPcm16,
  withoutSkips,
  type StaticServer,
} from './harness';

const suite = useSuite();
const PAGE = '/test/browser/pages/script-tag.html';
const fixture = (name: string) => new Uint8Array(readFileSync(join(REPO_ROOT, 'test', 'fixtures', name)));

type PageEvent = { type: string; detail: any };
interface PageResult {
  samples: number[];
  startFrame: number;
  skips: { frame: number; frames: number }[];
  sampleRate: number;
  events: PageEvent[];
  metrics: any;
  transport: 'shared' | 'message';
  isolated: boolean;
  exports: string[];
  moduleScripts: number;
  blobUrls: string[];
  origin: string;
  resources: string[];
}

/** The capture with the frames the context skipped removed. */
const capturedOf = (r: PageResult) => withoutSkips(Float32Array.from(r.samples), r.startFrame, r.skips);

/** Mismatching samples of `ref` against `captured`, aligned on their first non-zero samples. */
function mismatches(ref: Float32Array, captured: Float32Array): number {
  const start = captured.findIndex((x) => x !== 0) - ref.findIndex((x) => x !== 0);
  let bad = 0;
  for (let i = 0; i < ref.length; i++) if (captured[start + i] !== ref[i]) bad++;
  return bad;
}

/**
 * dist/mp3-wasm-*.js and the ES chunks it imports (shared with the ES build's MP3 decoder), as
 * request paths: the files the IIFE fetches for the MP3 WASM fallback, and only for it.
 */
function mp3WasmFiles(): string[] {
  const dist = join(REPO_ROOT, 'dist');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(join(dist, file), 'utf8').matchAll(/\bfrom\s*["']\.\/([\w.-]+\.js)["']/g)) visit(m[1]);
  };
  readdirSync(dist)
    .filter((f) => /^mp3-wasm-[\w-]{8}\.js$/.test(f))
    .forEach(visit);
  return [...seen].map((f) => `/dist/${f}`).sort();
}

/**
 * What every page of this file must show: the global has exactly the runtime exports of
 * src/index.ts, voxplay came from no module script, the worklet came from beside the
 * script, no blob: URL, every resource from this server, and no library file other than
 * `extra` (the lazy chunks are inside the IIFE).
 */
function expectScriptTagLoading(result: PageResult, requests: string[], extra: string[] = []) {
  expect(result.exports).toEqual(Object.keys(entry).sort());
  expect(result.moduleScripts).toBe(0);
  expect(result.blobUrls).toEqual([]);
  expect(result.resources.filter((url) => url.startsWith('blob:') || !url.startsWith(`${result.origin}/`))).toEqual([]);
  expect(requests).toContain('/dist/voxplay.iife.js');
  expect(requests).toContain('/dist/playback-processor.js');
  expect(requests).not.toContain('/test/browser/pages/playback-processor.js');
  const library = requests.filter((p) => p.startsWith('/dist/') && p !== '/dist/voxplay.iife.js' && p !== '/dist/playback-processor.js');
  expect([...new Set(library)].sort()).toEqual(extra);
}

/** Opens the page on `server`; `run` gets the page and returns once the page holds its result. */
async function onScriptTagPage(server: StaticServer, run: (page: Awaited<ReturnType<typeof openPage>>['page']) => Promise<void>) {
  const from = server.requests.length;
  const opened = await openPage(suite.browser, `${server.url}${PAGE}`);
  try {
    await run(opened.page);
    const result = (await opened.page.evaluate(() => (globalThis as any).scriptTag.result())) as PageResult;
    return { result, errors: opened.errors, requests: server.requests.slice(from) };
  } finally {
    await opened.close();
  }
}

describe(`voxplay.iife.js from a classic <script> in ${ENGINE}`, () => {
  for (const mode of ['message', 'shared'] as const) {
    it(`new voxplay.StreamPlayer() plays 2 s of PCM16 pushed in random pieces sample for sample; the worklet is the file beside the script (${mode} transport)`, async () => {
      const rate = 24000;
      const source = new Float32Array(2 * rate);
      source.set(sine(440, rate, 1, 0.5));
      source.set(chirp(200, 4000, rate, 1, 0.5), rate);
      const ref = quantizePcm16(source);
      const pieces = randomChunks(toPcm16(ref), mulberry32(mode === 'shared' ? 25 : 26), 1, 3001); // odd byte counts too
      const { result, errors, requests } = await onScriptTagPage(mode === 'shared' ? suite.isolated : suite.plain, async (page) => {
        await page.evaluate(
          async ({ rate, pieces }) => {
            const st = (globalThis as any).scriptTag;
            const player = await st.setup(rate);
            for (const piece of pieces) if (!player.push(piece, { utteranceId: 'tone' })) throw new Error('push refused');
            player.endUtterance('tone');
            await st.waitFor((e: PageEvent) => e.type === 'ended' || e.type === 'error');
            await new Promise((r) => setTimeout(r, 200));
          },
          { rate, pieces },
        );
      });
      expect(errors).toEqual([]);
      expect(result.events.filter((e) => e.type === 'error')).toEqual([]);
      expect(result.transport).toBe(mode);
      expect(result.isolated).toBe(mode === 'shared');
      expectScriptTagLoading(result, requests);
      const captured = capturedOf(result);
      const bad = mismatches(ref, captured);
      const active = findActiveRegion(captured, 0)!;
      console.log(
        `[script-tag ${mode}, ${ENGINE}] ${ref.length} samples, ${bad} mismatched, ${active.end - active.start} frames sounding; requests ${requests.join(' ')}`,
      );
      expect(bad).toBe(0);
      expect(active.end - active.start).toBeLessThanOrEqual(ref.length);
      expect(countGaps(captured, active.start, active.end, 64, 0)).toBe(0);
      expect(result.events.filter((e) => e.type === 'ended').map((e) => e.detail.playedSamples)).toEqual([ref.length]);
      expect(result.metrics.samples).toMatchObject({ received: ref.length, played: ref.length, dropped: 0 });
    });
  }

  it('the lazy paths, inlined: playStream() of an audio/wav Response plays sample for sample (play-stream and WAV modules), setSinkId() loads the output-device module', async () => {
    const wav = fixture('speech-16k-s16.wav');
    const refBytes = fixture('speech-16k-s16.ref.f32le');
    const ref = new Float32Array(refBytes.slice().buffer);
    let sink: { outcome: string; message: string } | undefined;
    const { result, errors, requests } = await onScriptTagPage(suite.plain, async (page) => {
      sink = await page.evaluate(
        async ({ wav }) => {
          const st = (globalThis as any).scriptTag;
          const player = await st.setup(16000);
          // '' is the default device: Chromium and Firefox accept it; WebKitGTK has no way to choose one.
          let sinkOutcome = { outcome: 'ok', message: '' };
          try {
            await player.setSinkId('');
          } catch (e: any) {
            sinkOutcome = { outcome: e.code, message: e.message };
          }
          const played = await player.playStream(new Response(wav, { headers: { 'Content-Type': 'audio/wav' } }), { utteranceId: 'wav' });
          if (!played) throw new Error('playStream resolved with nothing');
          await st.waitFor((e: PageEvent) => e.type === 'ended' || e.type === 'error');
          await new Promise((r) => setTimeout(r, 200));
          return sinkOutcome;
        },
        { wav },
      );
    });
    expect(errors).toEqual([]);
    expect(result.events.filter((e) => e.type === 'error')).toEqual([]);
    expectScriptTagLoading(result, requests);
    expect(sink!.message).not.toMatch(/could not load/);
    expect(sink!.outcome).toBe(ENGINE === 'webkit' ? 'unsupported' : 'ok');
    const bad = mismatches(ref, capturedOf(result));
    console.log(`[script-tag lazy, ${ENGINE}] WAV by playStream: ${ref.length} samples, ${bad} mismatched; setSinkId(''): ${sink!.outcome}`);
    expect(bad).toBe(0);
    expect(result.events.filter((e) => e.type === 'ended').map((e) => e.detail.playedSamples)).toEqual([ref.length]);
  });

  it('MP3 without WebCodecs: the WASM decoder is the ES build’s dist/mp3-wasm-*.js (and the chunks it imports) beside the script, import()ed from the classic script; ≥ 60 dB against mpg123', async () => {
    const mp3 = fixture('speech-44k.mp3');
    const refBytes = fixture('speech-44k.mp3.ref.f32le');
    const ref = new Float32Array(refBytes.slice().buffer);
    const pieces = randomChunks(mp3, mulberry32(27), 1, 500);
    const { result, errors, requests } = await onScriptTagPage(suite.plain, async (page) => {
      await page.evaluate(
        async ({ pieces }) => {
          delete (globalThis as any).AudioDecoder; // as in Safari before 26
          const st = (globalThis as any).scriptTag;
          const player = await st.setup(44100);
          for (const piece of pieces) player.push(piece, { utteranceId: 'mp3', format: 'mp3' });
          player.endUtterance('mp3');
          await st.waitFor((e: PageEvent) => e.type === 'ended' || e.type === 'error', 60_000);
          await new Promise((r) => setTimeout(r, 200));
        },
        { pieces },
      );
    });
    expect(result.events.filter((e) => e.type === 'error').map((e) => e.detail.message)).toEqual([]);
    expect(errors).toEqual([]);
    const wasmFiles = mp3WasmFiles();
    expect(wasmFiles.filter((p) => p.startsWith('/dist/mp3-wasm-'))).toHaveLength(1);
    expectScriptTagLoading(result, requests, wasmFiles);
    expect(result.events.filter((e) => e.type === 'ended').map((e) => e.detail.playedSamples)).toEqual([ref.length]);
    const captured = capturedOf(result);
    const at = bestAlignment(ref, captured, { window: 8000 });
    expect(at).not.toBeNull();
    const snr = snrAgainst(ref, captured, at!.offset);
    console.log(
      `[script-tag mp3-wasm, ${ENGINE}] ${ref.length} samples, SNR against mpg123 ${snr.toFixed(1)} dB (alignment ${at!.exact ? 'exact' : 'by correlation'})`,
    );
    expect(snr).toBeGreaterThanOrEqual(60);
  });
});
