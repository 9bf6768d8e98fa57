import type { Plugin } from 'vite';

/**
 * Vite rewrites `new URL('./file.js', import.meta.url)` in our own library build to
 * `new URL(..., "" + import.meta.url)`, which consumers' bundlers no longer recognise: their
 * production builds would not copy the worklet. This puts the literal back for `file`.
 */
export function keepWorkletUrl(file: string): Plugin {
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`new URL\\((["'\`])\\./${escaped}\\1,\\s*(["'\`])\\2\\s*\\+\\s*import\\.meta\\.url\\)`, 'g');
  return {
    name: `voxplay:keep-worklet-url:${file}`,
    renderChunk(code: string) {
      const out = code.replace(pattern, `new URL("./${file}", import.meta.url)`);
      return out === code ? null : { code: out, map: null };
    },
  };
}
