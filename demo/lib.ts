/**
 * The built library, loaded at run time from /dist/voxplay.js — the real artifact, with its
 * own worklet URL resolution (`new URL('./playback-processor.js', import.meta.url)`).
 * Types come from the sources; the import itself is erased (type-only).
 */
export type Voxplay = typeof import('../src/index');
export type { StreamPlayer, PlayerMetrics } from '../src/index';

/** Where the demo server serves the build (see demo/serve.ts). */
export const LIBRARY_URL = '/dist/voxplay.js';

export async function loadVoxplay(url: string = LIBRARY_URL): Promise<Voxplay> {
  return (await import(/* @vite-ignore */ url)) as Voxplay;
}
