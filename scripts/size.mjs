#!/usr/bin/env node
/**
 * Size budget per entry of what the package ships, and the core an app pays for
 * `new StreamPlayer(...)` with its worklet, against the 16 KiB target (issue 26; 8 KiB in issue 12).
 *
 *   node scripts/size.mjs             print the sizes; exit 1 when an entry is over its budget
 *   node scripts/size.mjs --json      the same as JSON
 *   node scripts/size.mjs --modules   also list what each core module adds (min bytes, from src/)
 *
 * Every dist file is measured as shipped (gzip of the unminified file) and as an app's
 * bundler would ship it (minified by esbuild, as size-limit does, then gzip -9). The core
 * is an app bundle of `import { StreamPlayer } from 'voxplay'` (tree-shaken by esbuild from
 * dist/voxplay.js) plus dist/playback-processor.js, which the page loads as it is.
 *
 * Needs `npm run build` first. Budgets are the sizes measured when they were set plus about
 * 10 %: raise them on purpose (in this file), never by accident. The target is reported, not
 * enforced, until the core reaches it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * min+gzip budgets in bytes per dist entry. voxplay.js and playback-processor.js were set at
 * 11 797 / 5 366 and raised for issue 11 (the player split into modules with the AudioSource
 * seam, codec registry, whenWritable/drain, once(), dropped and utterancestart events) at
 * 14 666 / 5 569 measured; the worklet grew to 5 950 with issue 12's longer filter and its
 * octave path. protocol.js (servers and tools only) was added at 3 586 measured. voxplay.js
 * was raised to 16 400 for issue 15 (playStream's loader and host, the compressed-stream
 * backpressure estimate) at 16 194 measured; playStream itself is a lazy chunk. Raised to
 * 16 900 for issue 16's volume, mute and getOutputLevel at 16 497 measured, and to 17 800
 * for its pause, output device loader (the device code is a lazy chunk), audio session,
 * gesture unlock and interruption recovery at 17 583 measured; to 18 200 with the
 * context replacement (handover) at 18 025. playback-processor.js went to 7 300 for the
 * engine's handover (its state out, a successor's in, the lookahead prefix) at 7 163.
 * Issue 22 (interruption rules): playback-processor.js to 7 600 for the output-run history
 * that stamps late marks with the frame their sample played (7 562 measured), voxplay.js to
 * 18 300 for AudioSink.stale (18 235), adapters.js to 7 000 for each service's interruption
 * model (6 907). Issue 24 (speed): the time-stretcher, its pitch finder and the source map
 * (2 095 B min+gzip bundled alone), and the engine split into pipeline stages took
 * playback-processor.js to 10 732; the worklet's classes then moved from TS `private` to
 * `#private` members, which the minifier renames (the old code alone: 7 336 instead of
 * 7 562), so it is 10 105 measured, budget 10 300. voxplay.js to 18 500 for the speed option,
 * setter, event and metric (18 399). Issue 25: voxplay.js to 19 600 for the store
 * (subscribe/getSnapshot), outputStream and record() (19 418: +1 019 B; the recording's
 * assembly and WAV encoder are a lazy chunk of 600 B), playback-processor.js to 10 400 for the
 * recorded blocks (10 328). Issue 26 takes the core down to 16 KiB.
 */
/**
 * voxplay/barge-in (issue 23), measured at 2 860 B (detector, echo node, streams, the <audio>
 * route, mitt) and its worklet dist/echo-processor.js at 8 610 B (FFT, delay estimator, the
 * Kalman foreground/background filter, residual suppressor, policy, two 16 kHz resamplers).
 */
const BARGE_IN_BUDGET = 3_100;
const ECHO_WORKLET_BUDGET = 9_400;
/**
 * dist/voxplay.iife.js (issue 25), the `voxplay` global for a <script> tag: dist/voxplay.js
 * and every lazy chunk but mp3-wasm in one file, minified by its build: 26 731 B gzip as shipped,
 * 27 058 B measured here (esbuild minifies it again, as it does every file); 28 188 with the
 * store, outputStream and record() (its recording chunk is inlined here); budget + 3 %.
 */
const IIFE_BUDGET = 29_000;
const BUDGETS = {
  'dist/voxplay.js': 19_600,
  'dist/playback-processor.js': 10_400,
  'dist/protocol.js': 3_950,
  'dist/adapters.js': 7_000,
  // Issue 23: the barge-in entry and its echo worklet, loaded only by apps that import
  // voxplay/barge-in (nothing of them is in the core).
  'dist/barge-in.js': BARGE_IN_BUDGET,
  'dist/echo-processor.js': ECHO_WORKLET_BUDGET,
  // Issue 25: voxplay/react, the four hooks (useStreamPlayer, usePlayerState, useOutputLevel,
  // useMark) and the gesture listener, measured at 923 B; it imports the player from
  // ./voxplay.js and React from the app, so neither is in it. Loaded only by React apps.
  'dist/react.js': 950,
  // Issue 25: the script-tag build, already minified: the whole main entry with its lazy
  // chunks inlined (codecs, playStream, output device), not the worklet nor the MP3 WASM chunk.
  'dist/voxplay.iife.js': IIFE_BUDGET,
};
/** min+gzip budget of each lazily loaded codec chunk (G.711, WAV, MP3 measured 0.4 / 1.7 / 2.4 KiB). */
const CODEC_CHUNK_BUDGET = 2_700;
/**
 * min+gzip budget of a WASM fallback decoder chunk (dist/<codec>-wasm-<hash>.js), fetched only
 * where WebCodecs cannot decode the codec: mp3-wasm (libmpg123 via mpg123-decoder) measured 59 780 B.
 */
const WASM_CHUNK_BUDGET = 66_000;
/** Budget for the core (app bundle of StreamPlayer + the worklet), min+gzip. */
const CORE_BUDGET = 30_000; // 29 715 with issue 25's store, outputStream and record(); 28 471 with issue 24's speed stage; 25 760 with issue 22's late-mark history (25 150 after issue 16)
const TARGET_BYTES = 16 * 1024;
const CORE_ENTRY = 'import { StreamPlayer } from "./dist/voxplay.js"; new StreamPlayer();';
/** An app that only pushes PCM (no socket, no control protocol): reported (issue 26, goal 13 KiB with the worklet). */
const PUSH_ENTRY = 'import { StreamPlayer } from "./dist/voxplay.js"; const p = new StreamPlayer(); p.push(new Int16Array(480));';

const gzip = (s) => gzipSync(s, { level: 9 }).length;
const brotli = (s) => brotliCompressSync(s, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const minify = async (code) => (await esbuild.transform(code, { minify: true, format: 'esm', target: 'es2022', legalComments: 'none' })).code;

function read(file) {
  try {
    return readFileSync(join(ROOT, file), 'utf8');
  } catch {
    console.error(`${file} is missing: run npm run build first`);
    process.exit(1);
  }
}

/** esbuild bundle of `contents` (resolved from the repository root), minified. */
async function bundle(contents, sourcefile, metafile = false, extraPlugin = null) {
  const result = await esbuild.build({
    // An entry file, not stdin, for the worklet: its import is for side effects only.
    ...(contents.startsWith('./') ? { entryPoints: [join(ROOT, contents)] } : { stdin: { contents, resolveDir: ROOT, sourcefile, loader: 'ts' } }),
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile,
    legalComments: 'none',
    // The worklet URL is a string for the bundler here; the worklet is measured on its own.
    external: ['./playback-processor.js'],
    // Codecs load on first use (import()): an app that plays PCM never fetches them, so they
    // stay out of the core; their chunks are listed on their own.
    plugins: [
      ...(extraPlugin ? [extraPlugin] : []),
      { name: 'lazy-chunks', setup: (b) => b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined)) },
    ],
  });
  return { code: result.outputFiles[0].text, meta: result.metafile };
}

const rows = [];
const measure = async (file, budget) => {
  const code = read(file);
  const min = await minify(code);
  rows.push({ file, raw: Buffer.byteLength(code), rawGzip: gzip(code), min: Buffer.byteLength(min), gzip: gzip(min), brotli: brotli(min), budget });
};
for (const [file, budget] of Object.entries(BUDGETS)) await measure(file, budget);
// The lazily loaded codec chunks (dist/<codec>-<hash>.js), each against its budget.
for (const name of readdirSync(join(ROOT, 'dist')).sort()) {
  if (/^[a-z0-9-]+-[\w-]{8}\.js$/i.test(name)) await measure(`dist/${name}`, /-wasm-/.test(name) ? WASM_CHUNK_BUDGET : CODEC_CHUNK_BUDGET);
}
const appPlayer = (await bundle(CORE_ENTRY, 'app.js')).code;
const worklet = rows.find((r) => r.file === 'dist/playback-processor.js');
const player = rows.find((r) => r.file === 'dist/voxplay.js');
const core = { player: gzip(appPlayer), worklet: worklet.gzip, shipped: player.rawGzip + worklet.rawGzip };
const pushOnly = gzip((await bundle(PUSH_ENTRY, 'push-app.js')).code) + worklet.gzip;
/**
 * Issue 26's worklet goal is "before the speed stage": the worklet bundled from src/ with the
 * time-stretcher (and its pitch finder) replaced by a pass-through of the same interface.
 */
const PASS_THROUGH_STRETCHER = `export const MIN_SPEED = 0.5; export const MAX_SPEED = 2;
  export class TimeStretcher { constructor(rate, map) { this.map = map; this.speed = 1; } setSpeed(s) { this.speed = s; } reset() {}
    get held() { return 0; } get idle() { return true; } read() { return 0; } write() { return 0; } finish() {} }`;
const workletSpeedless = gzip(
  (
    await bundle('./src/worklet/register.ts', 'worklet.ts', false, {
      name: 'pass-through-stretcher',
      setup: (b) => {
        b.onResolve({ filter: /time-stretch\.js$/ }, () => ({ path: 'stretcher', namespace: 'pass-through' }));
        b.onLoad({ filter: /.*/, namespace: 'pass-through' }, () => ({ contents: PASS_THROUGH_STRETCHER, loader: 'js' }));
      },
    })
  ).code,
);
const workletFromSrc = gzip((await bundle('./src/worklet/register.ts', 'worklet.ts')).code);
core.total = core.player + core.worklet;

const over = rows.filter((r) => r.gzip > r.budget).map((r) => `${r.file} is ${r.gzip} B min+gzip, over its budget of ${r.budget} B`);
if (core.total > CORE_BUDGET) over.push(`the core is ${core.total} B min+gzip, over its budget of ${CORE_BUDGET} B`);

let modules = null;
if (process.argv.includes('--modules')) {
  // From the sources, so the rows name modules; the same code as dist/voxplay.js and the worklet.
  const out = [];
  for (const [label, entry] of [
    ['core', 'import { StreamPlayer } from "./src/index.ts"; new StreamPlayer();'],
    ['worklet', './src/worklet/register.ts'],
  ]) {
    const { meta } = await bundle(entry, `${label}.ts`, true);
    const inputs = Object.values(meta.outputs)[0].inputs;
    for (const [path, { bytesInOutput }] of Object.entries(inputs)) if (bytesInOutput > 0) out.push({ bundle: label, path, min: bytesInOutput });
  }
  modules = out.sort((a, b) => b.min - a.min);
}

if (process.argv.includes('--json')) {
  console.log(
    JSON.stringify(
      {
        minifier: `esbuild ${esbuild.version}`,
        files: rows,
        core,
        pushOnly,
        workletSpeedless,
        workletFromSrc,
        coreBudget: CORE_BUDGET,
        target: TARGET_BYTES,
        modules,
        over,
      },
      null,
      2,
    ),
  );
} else {
  const kb = (n) => `${(n / 1024).toFixed(2)} KiB`.padStart(11);
  console.log(`minified with esbuild ${esbuild.version}, gzip -9 (brotli -11 for reference)\n`);
  console.log(
    `${'entry'.padEnd(28)}${'raw'.padStart(11)}${'raw+gz'.padStart(11)}${'min'.padStart(11)}${'min+gz'.padStart(11)}${'min+br'.padStart(11)}${'budget'.padStart(11)}`,
  );
  for (const r of rows) console.log(`${r.file.padEnd(28)}${kb(r.raw)}${kb(r.rawGzip)}${kb(r.min)}${kb(r.gzip)}${kb(r.brotli)}${kb(r.budget)}`);
  console.log(`\ncore: what an app ships for new StreamPlayer(...) with its worklet`);
  console.log(`  app bundle of StreamPlayer (tree-shaken, min+gz) ${kb(core.player)}`);
  console.log(`  worklet (min+gz)                                 ${kb(core.worklet)}`);
  console.log(`  total                                            ${kb(core.total)}   budget ${kb(CORE_BUDGET).trim()}`);
  console.log(`  as shipped, unminified gzip                      ${kb(core.shipped)}`);
  // The class's methods cannot be tree-shaken: an app that only pushes still ships attach().
  console.log(
    `${'  worklet before the speed stage (from src/)'.padEnd(51)}${kb(workletSpeedless)}   (issue 26 goal: 5.00 KiB; the speed stage adds ${workletFromSrc - workletSpeedless} B; reported)`,
  );
  console.log(`${'  an app that only push()es, with the worklet'.padEnd(51)}${kb(pushOnly)}   (issue 26 goal: 13.00 KiB; reported)`);
  const verdict = core.total <= TARGET_BYTES ? 'met' : `${((core.total / TARGET_BYTES - 1) * 100).toFixed(0)} % over; not enforced`;
  console.log(`  target                                           ${kb(TARGET_BYTES)}   (${verdict})`);
  if (modules) {
    console.log(`\nmodules by minified bytes in the core (before gzip):`);
    for (const m of modules) console.log(`  ${m.bundle.padEnd(8)}${String(m.min).padStart(7)}  ${m.path}`);
  }
}
if (over.length > 0) {
  console.error(`\nsize budget exceeded:\n  ${over.join('\n  ')}`);
  process.exit(1);
}
