import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const ENTRY = fileURLToPath(new URL('./src/react/index.ts', import.meta.url));
const CORE = fileURLToPath(new URL('./src/index.ts', import.meta.url));
const isCore = (id: string): boolean => id === CORE || id.endsWith('/src/index.js');
const isReact = (id: string): boolean => /^react(-dom)?($|\/)/.test(id);
// The directive as the entry's first statement: only comments and blank lines before it.
const DIRECTIVE = /^((?:\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*)*)(['"])use client\2;?/;

/**
 * Bundlers do not carry module directives through: Rollup drops them, Rolldown keeps the
 * entry's with a warning that it may not. This takes `'use client'` out of the entry's source
 * (blanked, so the source map's columns hold) and puts it back as the banner, the first line
 * of dist/react.js whatever the bundler does with directives.
 */
function useClient(): Plugin {
  return {
    name: 'voxplay:use-client',
    transform(code: string, id: string) {
      if (id !== ENTRY) return null;
      const found = DIRECTIVE.exec(code);
      if (!found) this.error(`${id} must start with the 'use client' directive`);
      const [all, before] = found;
      return { code: before + ' '.repeat(all.length - before.length) + code.slice(all.length), map: null };
    },
  };
}

// The `voxplay/react` entry (dist/react.js): hooks over the player. The player is imported
// from the core's own file (./voxplay.js), never bundled again, so an app that imports both
// entries has one StreamPlayer class (and `instanceof` holds); React is the app's (a peer).
export default defineConfig({
  plugins: [useClient()],
  build: {
    lib: { entry: ENTRY, formats: ['es'], fileName: () => 'react.js' },
    target: 'es2022',
    sourcemap: 'hidden',
    emptyOutDir: false,
    rollupOptions: {
      external: (id: string) => isReact(id) || isCore(id),
      output: {
        banner: "'use client';",
        paths: (id: string) => (isCore(id) ? './voxplay.js' : id),
      },
    },
  },
});
