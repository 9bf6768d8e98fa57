import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * The script-tag build: dist/voxplay.iife.js, a classic script that defines the `voxplay`
 * global (everything src/index.ts exports), minified (no bundler will do it), for pages
 * without a bundler or module scripts: `<script src=".../voxplay.iife.js">`.
 *
 * - The worklet stays a file beside it (dist/playback-processor.js, the worklet build): no
 *   blob: URL, no CDN. A classic script has no `import.meta`, and Rolldown (unlike Rollup)
 *   does not polyfill `import.meta.url` in IIFE output: it emits `{}.url`, i.e. undefined.
 *   So `import.meta.url` is defined as a variable that the bundle's intro sets while the
 *   script runs, from `document.currentScript.src` (the script's own URL; afterwards
 *   currentScript is null), falling back to the document's base URL (a script inlined in
 *   the page) or `location` (a worker). `new URL('./playback-processor.js', import.meta.url)`
 *   then names the file next to the script, as it does for dist/voxplay.js.
 * - Lazy chunks (codecs, playStream, the output device) cannot be separate chunks in an
 *   IIFE: they are inlined (`codeSplitting: false`) and still load on first use, from
 *   memory. The exception is the MP3 WASM fallback (libmpg123, LGPL, 60 KB min+gzip): it
 *   stays the separate ES module dist/mp3-wasm-<hash>.js that the ES build made (which
 *   imports two small ES chunks of that build, concat-* and webcodecs-stream-*), loaded by a
 *   native `import()` from beside the script (classic scripts may import() modules) only
 *   where WebCodecs cannot decode MP3, so the IIFE neither carries it nor makes it
 *   inseparable. Hence: build after the ES build.
 *
 * `npm run build` runs it after the ES build; the sizes are in scripts/size.mjs.
 */
const SCRIPT_URL = '__voxplayScriptUrl';
const DIST = fileURLToPath(new URL('./dist', import.meta.url));

/** Rewrites mp3.ts's `import('./mp3-wasm.js')` to import the ES build's chunk beside the script. */
function mp3WasmBeside(): Plugin {
  return {
    name: 'voxplay:mp3-wasm-beside',
    enforce: 'pre',
    transform(code, id) {
      if (!id.endsWith('/src/codecs/mp3.ts')) return null;
      const chunks = readdirSync(DIST).filter((f) => /^mp3-wasm-[\w-]{8}\.js$/.test(f));
      if (chunks.length !== 1) throw new Error(`expected one dist/mp3-wasm-*.js, found ${chunks.length}: run the ES build (vite build) first`);
      const out = code.replace("import('./mp3-wasm.js')", `import(/* @vite-ignore */ new URL('./${chunks[0]}', ${SCRIPT_URL}).href)`);
      if (out === code) throw new Error("src/codecs/mp3.ts no longer contains import('./mp3-wasm.js'): update vite.iife.config.ts");
      return { code: out, map: null };
    },
  };
}

export default defineConfig({
  define: { 'import.meta.url': SCRIPT_URL },
  plugins: [mp3WasmBeside()],
  build: {
    lib: { entry: 'src/index.ts', formats: ['iife'], name: 'voxplay', fileName: () => 'voxplay.iife.js' },
    target: 'es2022',
    sourcemap: 'hidden',
    emptyOutDir: false,
    minify: true,
    rolldownOptions: {
      output: {
        codeSplitting: false,
        // Runs first, while the script is being evaluated. Safe without a DOM (Node, a worker).
        intro:
          `var ${SCRIPT_URL} = (typeof document !== 'undefined' && document.currentScript && document.currentScript.src) || ` +
          `(typeof document !== 'undefined' ? document.baseURI : typeof location !== 'undefined' ? location.href : undefined);`,
      },
    },
  },
});
