/**
 * `voxplay/react`: hooks that give a React component a `StreamPlayer` and what to
 * render from it. React (18 or 19) is an optional peer dependency of voxplay: only apps
 * that import this entry need it. The player itself comes from the `voxplay` entry, so an
 * app that uses both has one copy of it.
 *
 * The `'use client'` directive below marks the entry as client code for React Server
 * Components (Next.js's app router): the hooks use effects and the Web Audio API. It is the
 * first statement; this comment comes first only because TypeDoc reads an entry's
 * description from a comment above the first token. The build keeps the directive as the
 * first line of dist/react.js (vite.react.config.ts).
 *
 * @packageDocumentation
 */
'use client';

export { useStreamPlayer } from './use-stream-player.js';
export type { UseStreamPlayerOptions } from './use-stream-player.js';
export { usePlayerState } from './use-player-state.js';
export { useOutputLevel } from './use-output-level.js';
export { useMark } from './use-mark.js';
