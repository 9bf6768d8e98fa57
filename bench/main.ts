/**
 * `npm run bench`: voxplay against the playback designs it replaces, in one headless
 * Chromium session. Writes bench/results/latest.md (table), latest.svg (chart) and
 * latest.json (every run's raw figures), and prints the table.
 *
 *   npm run bench                       # builds dist/, then runs everything (~10 min)
 *   BENCH_RUNS=1 node bench/run.mjs     # quicker: one run per figure instead of three
 *   BENCH_ONLY=stream,cpu,offline,decode,memory,size node bench/run.mjs   # a subset of the sections, written to partial.*
 *   BENCH_REPORT_ONLY=1 node bench/run.mjs   # rewrite latest.md / latest.svg from latest.json
 */
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { launchBrowser, REPO_ROOT, startStaticServer, startStreamServer, type StaticServer } from '../test/browser/harness';
import { bundleSizes, type BundleSizes } from './bundle-size';
import { bundleBreakdown } from './bundle-breakdown';
import { engineSpeed, resamplerSpeed } from './node-speed';
import { buildReport, median, type BenchResults, type CpuResult, type MemoryResult, type SpeedResult } from './report';
import { CONTENDERS, freshPage, runStream, SCENARIOS, type RunResult, type StreamEnv } from './scenarios';
import { renderSvg } from './svg';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const ONLY = new Set((process.env.BENCH_ONLY ?? 'stream,cpu,offline,decode,memory,size').split(','));
/** Repeats of a run whose messages reached the page late (see Scenario.maxLateMs), per run and in all. */
const MAX_RETRIES = 2;
const RETRY_BUDGET = 16;

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const log = (line: string) => console.log(`[bench ${elapsed()}] ${line}`);

/**
 * Copies the built library (dist/voxplay.js, dist/playback-processor.js, dist/protocol.js and their maps) to
 * bench/results/dist.tmp/ (git-ignored), and the whole bench uses that copy: a rebuild of dist/
 * while the bench runs (which empties dist/ for a moment) cannot break or mix the measurements.
 */
const SNAPSHOT = 'bench/results/dist.tmp';
async function snapshotDist(): Promise<void> {
  const files = ['voxplay.js', 'playback-processor.js', 'protocol.js'];
  for (let attempt = 0; ; attempt++) {
    try {
      for (const f of files) if ((await stat(resolve(REPO_ROOT, 'dist', f))).size === 0) throw new Error('empty');
      break;
    } catch {
      if (attempt >= 30)
        throw new Error('dist/voxplay.js, dist/playback-processor.js or dist/protocol.js is missing: run `npm run build` first (`npm run bench` does)');
      await new Promise((r) => setTimeout(r, 2000)); // someone may be rebuilding it right now
    }
  }
  const dir = resolve(REPO_ROOT, SNAPSHOT);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // The codec chunks voxplay.js imports on first use come along (dist/<codec>-<hash>.js).
  const chunks = (await readdir(resolve(REPO_ROOT, 'dist'))).filter((f) => /^[\w-]+-[\w-]{8}\.js$/.test(f));
  for (const f of [...files, ...chunks]) {
    await copyFile(resolve(REPO_ROOT, 'dist', f), resolve(dir, f));
    await copyFile(resolve(REPO_ROOT, 'dist', `${f}.map`), resolve(dir, `${f}.map`)).catch(() => undefined);
  }
  // The legacy path's in-page WAV encoding uses the same encoder as the mock server and the
  // streaming scenarios (src/protocol/pcm-encode.ts), compiled for the page.
  await build({
    entryPoints: [resolve(REPO_ROOT, 'src/protocol/pcm-encode.ts')],
    outfile: resolve(dir, 'pcm-encode.js'),
    bundle: true,
    format: 'esm',
    logLevel: 'warning',
  });
}

async function inPage<T>(env: StreamEnv, server: StaticServer, fn: (arg: any) => Promise<T>, arg: unknown): Promise<{ value: T; errors: string[] }> {
  // The legacy micro-benchmark revokes Blob URLs while elements still load them.
  const opened = await freshPage(env, server, [/ERR_FILE_NOT_FOUND/]);
  try {
    const value = await opened.page.evaluate(fn, arg);
    return { value, errors: [...opened.errors] };
  } finally {
    await opened.close();
  }
}

/**
 * Writes the report as bench/results/<name>.md / .svg / .json. A BENCH_ONLY run covers only
 * some sections, so it goes to `partial.*` (not committed) and leaves the full `latest.*` alone.
 */
async function writeResults(results: BenchResults, name = 'latest'): Promise<void> {
  const { markdown, table } = buildReport(results);
  const outDir = resolve(REPO_ROOT, 'bench', 'results');
  await mkdir(outDir, { recursive: true });
  await writeFile(resolve(outDir, `${name}.md`), markdown);
  await writeFile(resolve(outDir, `${name}.svg`), renderSvg(results));
  await writeFile(resolve(outDir, `${name}.json`), JSON.stringify(results, null, 1) + '\n');
  console.log('');
  console.log(table);
  console.log('');
  log(`wrote bench/results/${name}.md, ${name}.svg, ${name}.json (the run took ${results.durationS.toFixed(0)} s)`);
}

/** Every section's results, none run yet: a fresh run fills them, and a saved run lacks none. */
function emptySections(): Pick<BenchResults, 'streams' | 'retries' | 'cpu' | 'speed' | 'nodeSpeed' | 'memory' | 'decode' | 'sizeBreakdown'> {
  return { streams: [], retries: [], cpu: [], speed: [], nodeSpeed: [], memory: [], decode: [], sizeBreakdown: [] };
}

async function main(): Promise<void> {
  if (process.env.BENCH_REPORT_ONLY) {
    // Results written before a section existed (decode came later) report it as not run.
    const saved = JSON.parse(await readFile(resolve(REPO_ROOT, 'bench', 'results', 'latest.json'), 'utf8')) as Partial<BenchResults>;
    await writeResults({ ...emptySections(), ...saved } as BenchResults);
    return;
  }
  await snapshotDist();
  const load0 = loadavg()[0];
  const browser = await launchBrowser({ args: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] });
  const plain = await startStaticServer({ isolated: false });
  const isolated = await startStaticServer({ isolated: true });
  const stream = await startStreamServer();
  const results: BenchResults = {
    date: new Date().toISOString(),
    runs: RUNS,
    env: {
      chromium: browser.version(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      loadAverageStart: load0,
      loadAverageEnd: 0,
      clock: [],
    },
    ...emptySections(),
    sizes: null as unknown as BundleSizes,
    durationS: 0,
  };
  const env: StreamEnv = { browser, plain, isolated, stream, log, voxplayUrl: `/${SNAPSHOT}/voxplay.js` };
  try {
    // How the audio clock advances in this browser (caveat data).
    const clock = await inPage(
      env,
      plain,
      async () => {
        const m = await (globalThis as any).importModule('/bench/pages/contenders.js');
        return [await m.clockSteps(24000), await m.clockSteps(48000)];
      },
      null,
    );
    results.env.clock = clock.value;

    if (ONLY.has('stream')) {
      for (const scenario of SCENARIOS) {
        for (let run = 0; run < RUNS; run++) {
          for (const c of CONTENDERS) {
            let result: RunResult | null = null;
            for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
              result = await runStream(env, scenario, c.id, run);
              const late = result.deliveryLateMs ?? 0;
              if (scenario.maxLateMs === undefined || late <= scenario.maxLateMs || attempt === MAX_RETRIES || results.retries.length >= RETRY_BUDGET) break;
              results.retries.push({ scenario: scenario.id, contender: c.id, run, deliveryLateMs: late });
              log(`  ${scenario.id} ${c.id} run ${run + 1}: messages reached the page up to ${late.toFixed(0)} ms late (machine load); repeating`);
            }
            results.streams.push(result!);
            const f = result!.figures;
            log(
              `${scenario.id.padEnd(9)} ${c.id.padEnd(15)} run ${run + 1}: ` +
                (f
                  ? `gaps ${f.gaps} (${f.gapMs.toFixed(1)} ms) disc ${f.discontinuities} lost/dup ${f.lostDup ?? '—'} latency ${f.latencyMs?.toFixed(1)} ms` +
                    (f.interruptToSilenceMs !== null ? ` cut→silence ${f.interruptToSilenceMs.toFixed(1)} ms stale ${f.staleMs?.toFixed(0)} ms` : '') +
                    ` (delivery late ≤ ${result!.deliveryLateMs?.toFixed(0)} ms)`
                  : (result!.note ?? 'no output')),
            );
          }
        }
      }
    }

    if (ONLY.has('cpu')) {
      // Rounds interleave the contenders (fresh page each) so load drift on the machine hits them alike;
      // the figure is the median over every pass of every round.
      const kinds = ['voxplay-shared', 'voxplay-message', 'voxplay-push-shared', 'voxplay-push-message', 'bare-postmessage', 'legacy', 'scheduled', 'wavtools'];
      const byKind = new Map<string, CpuResult[]>();
      for (let round = 0; round < RUNS; round++) {
        for (const kind of kinds) {
          // Every kind in a cross-origin isolated page: 5 µs timer resolution (voxplay-message uses transport 'message' explicitly).
          const server = isolated;
          const { value, errors } = await inPage(
            env,
            server,
            async (o: any) => (await (globalThis as any).importModule('/bench/pages/cpu.js')).mainThreadCost(o),
            { kind, frames: 500, passes: 3, voxplayUrl: env.voxplayUrl, pcmEncodeUrl: `/${SNAPSHOT}/pcm-encode.js` },
          );
          const r = { ...(value as CpuResult), errors };
          byKind.set(kind, [...(byKind.get(kind) ?? []), r]);
          log(`main thread ${kind.padEnd(20)} round ${round + 1}: ${(r.perFrameMs * 1000).toFixed(1)} µs/frame`);
        }
      }
      for (const [kind, rounds] of byKind) {
        const passes = rounds.flatMap((r) => r.passesMs.map((t) => t / r.frames));
        const perFrameMs = median(passes)!;
        const breakdown: Record<string, number> = {};
        for (const key of Object.keys(rounds[0].breakdown)) breakdown[key] = median(rounds.map((r) => r.breakdown[key]))!;
        results.cpu.push({
          ...rounds[0],
          kind,
          perFrameMs,
          mbPerS: rounds[0].pcmBytes / 1e6 / (perFrameMs / 1000),
          passesMs: rounds.flatMap((r) => r.passesMs),
          breakdown,
          errors: rounds.flatMap((r) => r.errors ?? []),
        });
        log(`main thread ${kind.padEnd(20)} median ${(perFrameMs * 1000).toFixed(1)} µs/frame over ${passes.length} passes`);
      }
    }

    if (ONLY.has('offline')) {
      for (let run = 0; run < RUNS; run++) {
        for (const kind of ['voxplay-shared', 'voxplay-message', 'voxplay-speed', 'trivial', 'scheduled', 'wavtools']) {
          // voxplay-speed: the postMessage player at speed 1.5 (issue 24's time-stretcher), 24 → 48 kHz.
          const rates = kind === 'wavtools' ? [24000] : kind === 'voxplay-speed' ? [48000] : [24000, 48000, 44100];
          const server = kind === 'voxplay-shared' ? isolated : plain;
          const { value } = await inPage(
            env,
            server,
            async (o: any) => {
              const m = await (globalThis as any).importModule('/bench/pages/offline.js');
              const out = [];
              for (const contextRate of o.rates)
                out.push(await m.renderSpeed({ kind: o.kind, contextRate, seconds: o.seconds, voxplayUrl: o.voxplayUrl, playbackSpeed: o.playbackSpeed }));
              return out;
            },
            // At 1.5, 40 s of output is 60 s of source: what the ring (70 s) holds.
            {
              kind,
              rates,
              seconds: kind === 'scheduled' ? 20 : kind === 'voxplay-speed' ? 40 : 60,
              voxplayUrl: env.voxplayUrl,
              playbackSpeed: kind === 'voxplay-speed' ? 1.5 : 1,
            },
          );
          for (const r of value as SpeedResult[]) {
            results.speed.push({ ...r, run });
            log(`offline ${kind.padEnd(15)} ${r.contextRate} Hz run ${run + 1}: ${r.speed.toFixed(0)}× real time (active ${r.active}/${r.expected})`);
          }
        }
      }
      for (const [a, b] of [
        [24000, 24000],
        [24000, 48000],
        [24000, 44100],
      ]) {
        try {
          results.nodeSpeed.push({ inRate: a, outRate: b, resampler: a === b ? null : resamplerSpeed(a, b), engine: engineSpeed(a, b) });
        } catch (error) {
          results.nodeSpeed.push({ inRate: a, outRate: b, resampler: null, engine: null, error: String(error) });
        }
      }
    }

    if (ONLY.has('decode')) {
      // The test fixtures (real speech; see test/fixtures/README.md), one utterance each.
      const fixtures: { format: string; file: string; samples: number; rate: number; noWebCodecs?: boolean }[] = [
        { format: 'pcm16', file: 'speech-24k.s16le', samples: 60000, rate: 24000 },
        { format: 'mulaw', file: 'speech-8k.ulaw', samples: 8000, rate: 8000 },
        { format: 'wav', file: 'speech-16k-s16.wav', samples: 8000, rate: 16000 },
        { format: 'ogg-opus', file: 'speech-48k.opus', samples: 48000, rate: 48000 },
        { format: 'mp3', file: 'speech-44k.mp3', samples: 44100, rate: 44100 },
        { format: 'mp3', file: 'speech-44k.mp3', samples: 44100, rate: 44100, noWebCodecs: true },
      ];
      for (const f of fixtures) {
        const label = f.noWebCodecs ? `${f.format}-wasm` : f.format;
        const bytes = (await readFile(resolve(REPO_ROOT, 'test', 'fixtures', f.file))).toString('base64');
        const { value } = await inPage(env, plain, async (o: any) => (await (globalThis as any).importModule('/bench/pages/decode.js')).decodeCost(o), {
          voxplayUrl: env.voxplayUrl,
          format: f.format,
          bytes,
          samples: f.samples,
          runs: 5,
          noWebCodecs: f.noWebCodecs ?? false,
        });
        const seconds = f.samples / f.rate;
        const ms = median(value.times);
        results.decode.push({ format: label, seconds, msPerSecond: ms === null ? null : ms / seconds, errors: value.errors });
        log(`decode ${label.padEnd(9)} ${ms === null ? 'n/a' : `${(ms / seconds).toFixed(2)} ms per second of audio`}`);
      }
    }

    if (ONLY.has('memory')) {
      for (let run = 0; run < RUNS; run++) {
        for (const kind of ['voxplay-shared', 'voxplay-message', 'scheduled', 'wavtools']) {
          const server = kind === 'voxplay-shared' ? isolated : plain;
          const { value } = await inPage(env, server, async (o: any) => (await (globalThis as any).importModule('/bench/pages/offline.js')).memoryGrowth(o), {
            kind,
            minutes: 10,
            voxplayUrl: env.voxplayUrl,
          });
          const m = value as MemoryResult;
          results.memory.push({ ...m, run });
          log(`memory ${kind.padEnd(15)} run ${run + 1}: ${m.readings.map((r) => `${r.minute} min ${((r.heap ?? 0) / 1024).toFixed(0)} KB`).join(', ')}`);
        }
      }
    }
  } finally {
    await stream.close();
    await plain.close();
    await isolated.close();
    await browser.close();
  }

  if (ONLY.has('size')) {
    results.sizes = await bundleSizes(SNAPSHOT);
    results.sizeBreakdown = await bundleBreakdown(results.sizes, SNAPSHOT);
  }
  results.env.loadAverageEnd = loadavg()[0];
  results.durationS = (performance.now() - t0) / 1000;
  await writeResults(results, process.env.BENCH_ONLY ? 'partial' : 'latest');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
