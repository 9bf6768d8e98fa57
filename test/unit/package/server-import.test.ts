// @vitest-environment node
/**
 * Safe on a server: an app rendered on the server (Next.js, Remix, Astro, SvelteKit…) imports
 * its modules in Node, where there is no DOM and no Web Audio. Importing any entry of the
 * package must not throw there; only using the player needs a browser.
 *
 * Every entry of package.json `exports` with an `import` condition (so an entry added later is
 * covered without editing this file) is imported:
 * 1. as built, in a fresh Node process, through the package's own name (`import('voxplay/…')`
 *    from the repository root resolves by `exports`, a self-reference), with nothing of
 *    happy-dom or vitest around it; there `new StreamPlayer()` must work too (a component
 *    rendered on the server may make its player; only `start()` needs a browser);
 * 2. from its sources (src/…/index.ts, the file tsc turns into its `types`), in this process,
 *    under vitest's node environment (no happy-dom);
 * and the script-tag build (dist/voxplay.iife.js) is evaluated as a classic script in an
 * empty context: it defines the `voxplay` global, with the same exports as the main entry.
 *
 * The built half needs `npm run build`. `npm test` (scripts/test-all.mjs, which CI runs)
 * builds before the unit tests and sets VOXPLAY_REQUIRE_DIST=1, so there a missing dist/
 * fails; a bare `vitest run --project unit` on a fresh clone skips that half, saying so.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string | Record<string, string>> };

interface Entry {
  /** What an app writes: `voxplay`, `voxplay/protocol`, … */
  specifier: string;
  /** The built file (the `import` condition), repo-relative. */
  dist: string;
  /** Its source: the `types` target with dist/ → src/ and .d.ts → .ts (as tsconfig.build.json maps them). */
  src: string;
}

const ENTRIES: Entry[] = Object.entries(pkg.exports).flatMap(([subpath, target]): Entry[] => {
  if (typeof target !== 'object' || !target.import) return [];
  const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
  if (!target.types) throw new Error(`exports["${subpath}"] has no types condition to find its source by`);
  const stem = target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '');
  const src = ['.ts', '.tsx'].map((ext) => stem + ext).find((file) => existsSync(join(ROOT, file)));
  if (!src) throw new Error(`no source for exports["${subpath}"] (looked for ${stem}.ts and .tsx)`);
  return [{ specifier, dist: target.import.replace(/^\.\//, ''), src }];
});
const MAIN = ENTRIES.find((e) => e.specifier === pkg.name)!;
const IIFE = 'dist/voxplay.iife.js';

const missing = [...ENTRIES.map((e) => e.dist), IIFE].filter((file) => !existsSync(join(ROOT, file)));
const REQUIRE_DIST = process.env.VOXPLAY_REQUIRE_DIST === '1';
if (missing.length > 0 && !REQUIRE_DIST) {
  console.warn(`[server-import] skipping the built entries: ${missing.join(', ')} missing; run \`npm run build\` first (npm test does)`);
}

/** What a fresh `node` made of importing each specifier from the repository root: export names, or the error. */
type Outcome = Record<string, { keys: string[]; resolved: string | null } | { error: string }>;

/** The child's script: import each specifier by name and print what came of it, and which DOM globals Node has. */
const CHILD = `
const specifiers = JSON.parse(process.argv[1]);
const outcome = {};
for (const s of specifiers) {
  try {
    const m = await import(s);
    outcome[s] = { keys: Object.keys(m).sort(), resolved: typeof import.meta.resolve === 'function' ? import.meta.resolve(s) : null };
  } catch (e) {
    outcome[s] = { error: String((e && e.stack) || e) };
  }
}
// A component rendered on the server may make its player there too: only start() needs a browser.
let construct = 'not tried';
try {
  const { StreamPlayer } = await import(process.argv[2]);
  construct = new StreamPlayer().state;
} catch (e) {
  construct = String((e && e.stack) || e);
}
const dom = ['window', 'document', 'HTMLElement', 'AudioContext', 'AudioWorkletNode', 'AudioWorkletProcessor'].filter((n) => n in globalThis);
console.log(JSON.stringify({ outcome, construct, dom }));
`;

function importInNode(specifiers: string[]): Promise<{ outcome: Outcome; construct: string; dom: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(specifiers), pkg.name], { cwd: ROOT }, (error, stdout, stderr) => {
      if (error) reject(new Error(`node exited with ${error.code}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

/** Export names of each entry's sources, imported here. */
async function sourceKeys(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const e of ENTRIES) out[e.specifier] = Object.keys(await import(/* @vite-ignore */ pathToFileURL(join(ROOT, e.src)).href)).sort();
  return out;
}

describe('importing voxplay on a server (Node, no DOM)', () => {
  it('runs without a DOM here (the node environment, not happy-dom)', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
    expect(typeof AudioContext).toBe('undefined');
    expect(ENTRIES.map((e) => e.specifier)).toEqual(expect.arrayContaining(['voxplay', 'voxplay/protocol', 'voxplay/adapters', 'voxplay/barge-in']));
  });

  it('every entry imports from its sources, each with exports; new StreamPlayer() works too (only start() needs a browser)', async () => {
    const keys = await sourceKeys();
    for (const e of ENTRIES) expect(keys[e.specifier].length, `${e.src} exports nothing`).toBeGreaterThan(0);
    const { StreamPlayer } = (await import(/* @vite-ignore */ pathToFileURL(join(ROOT, MAIN.src)).href)) as typeof import('../../../src/index');
    expect(new StreamPlayer().state).toBe('new');
  });

  describe.skipIf(missing.length > 0 && !REQUIRE_DIST)('as built (dist/)', () => {
    it('every entry imports by its package name in a fresh Node process, resolves to its exports target, and has the sources’ exports', async () => {
      expect(missing, 'run `npm run build` before the unit tests').toEqual([]);
      const { outcome, construct, dom } = await importInNode(ENTRIES.map((e) => e.specifier));
      expect(dom).toEqual([]);
      expect(construct, 'new StreamPlayer() in Node').toBe('new');
      const keys = await sourceKeys();
      for (const e of ENTRIES) {
        expect(outcome[e.specifier], `import('${e.specifier}') threw`).not.toHaveProperty('error');
        const got = outcome[e.specifier] as { keys: string[]; resolved: string | null };
        if (got.resolved !== null) expect(got.resolved).toBe(pathToFileURL(join(ROOT, e.dist)).href); // import.meta.resolve: Node 20.6+
        expect(got.keys, `${e.dist} against ${e.src}`).toEqual(keys[e.specifier]);
      }
    });

    it('dist/voxplay.iife.js runs as a classic script in an empty context and defines the voxplay global with the main entry’s exports', async () => {
      const context = createContext({});
      runInContext(readFileSync(join(ROOT, IIFE), 'utf8'), context, { filename: IIFE });
      const global = (context as { voxplay?: object }).voxplay;
      expect(global).toBeTypeOf('object');
      expect(Object.keys(global!).sort()).toEqual((await sourceKeys())[pkg.name]);
    });
  });
});
