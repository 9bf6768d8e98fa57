/**
 * Bundle sizes, min+gzip: each file minified by esbuild (the minifier Vite uses for
 * libraries' consumers most often) and gzipped at level 9.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';
import { REPO_ROOT } from '../test/browser/harness';

export interface SizeRow {
  name: string;
  raw: number;
  min: number;
  gzip: number;
}

async function minifyFile(name: string, file: string): Promise<SizeRow> {
  const src = await readFile(resolve(REPO_ROOT, file), 'utf8');
  const { code } = await transform(src, { minify: true, format: 'esm', target: 'es2022', loader: 'js' });
  return { name, raw: Buffer.byteLength(src), min: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length };
}

/** Bundles `entry` (an ES module source text resolved from the repo root) with tree shaking, minified. */
async function bundle(name: string, contents: string): Promise<SizeRow> {
  const out = await build({
    stdin: { contents, resolveDir: REPO_ROOT, loader: 'js', sourcefile: `${name}.js` },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    // Codec chunks load on first use (import()): not part of what a PCM app ships.
    plugins: [
      { name: 'lazy-chunks', setup: (b) => b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined)) },
    ],
  });
  const code = out.outputFiles[0].text;
  return { name, raw: Buffer.byteLength(code), min: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length };
}

export interface BundleSizes {
  voxplay: { library: SizeRow; worklet: SizeRow; total: SizeRow; streamPlayerOnly: SizeRow };
  wavtools: SizeRow;
  legacy: SizeRow;
  scheduled: SizeRow;
}

/** @param distDir the built library, relative to the repo root (the bench measures its snapshot of dist/). */
export async function bundleSizes(distDir = 'dist'): Promise<BundleSizes> {
  const library = await minifyFile('dist/voxplay.js', `${distDir}/voxplay.js`);
  const worklet = await minifyFile('dist/playback-processor.js', `${distDir}/playback-processor.js`);
  // What an app that imports only the player ships (tree-shaken: no server-side protocol encoders).
  const streamPlayerOnly = await bundle('voxplay-StreamPlayer-only', `export { StreamPlayer } from './${distDir}/voxplay.js';`);
  const total: SizeRow = {
    name: 'library + worklet',
    raw: library.raw + worklet.raw,
    min: library.min + worklet.min,
    gzip: library.gzip + worklet.gzip,
  };
  // wavtools: the player class with its worklet (inlined as a string) and analysis helpers.
  const wavtools = await bundle('wavtools WavStreamPlayer', `export { WavStreamPlayer } from './node_modules/wavtools/lib/wav_stream_player.js';`);
  const legacy = await bundle('legacy queue (bench)', `export { LegacyAudioQueue } from './bench/pages/hand-written.js';`);
  const scheduled = await bundle('scheduled buffers (bench)', `export { ScheduledBuffers } from './bench/pages/hand-written.js';`);
  return { voxplay: { library, worklet, total, streamPlayerOnly }, wavtools, legacy, scheduled };
}
