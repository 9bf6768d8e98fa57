/**
 * The built library, loaded at run time from /dist/voxplay.js — the real artifact, with its
 * own worklet URL resolution (`new URL('./playback-processor.js', import.meta.url)`).
 * Types come from the sources; the import itself is erased (type-only).
 */
export type Voxplay = typeof import('../src/index') & typeof import('../src/protocol/index') & { adapters: typeof import('../src/adapters/index') };
export type { StreamPlayer, PlayerMetrics } from '../src/index';

/** Where the demo server serves the build (see demo/serve.ts). */
export const LIBRARY_URL = '/dist/voxplay.js';
/** The `voxplay/protocol` entry of the build (the demo encodes its `speak` requests with it). */
export const PROTOCOL_URL = '/dist/protocol.js';
/** The `voxplay/adapters` entry of the build (the demo plays the mock voice services with it). */
export const ADAPTERS_URL = '/dist/adapters.js';

export async function loadVoxplay(url: string = LIBRARY_URL, protocolUrl: string = PROTOCOL_URL, adaptersUrl: string = ADAPTERS_URL): Promise<Voxplay> {
  const [lib, protocol, adapters] = await Promise.all([
    import(/* @vite-ignore */ url),
    import(/* @vite-ignore */ protocolUrl),
    import(/* @vite-ignore */ adaptersUrl),
  ]);
  return { ...protocol, ...lib, adapters } as Voxplay;
}
