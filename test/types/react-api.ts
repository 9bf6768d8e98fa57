/**
 * Type-level test of `voxplay/react`, written the way a component uses it. Like
 * public-api.ts: `npm run typecheck` compiles it against src/, and
 * test/browser/consumer.test.ts compiles it in a fresh app against the packed tarball's
 * .d.ts files (imports rewritten to `'voxplay'` and `'voxplay/react'`), under `strict` with
 * moduleResolution `bundler` and `nodenext`. Nothing here runs.
 */
import type { MarkEvent, OutputLevel, PlayerSnapshot, StreamPlayer } from '../../src/index';
import { useMark, useOutputLevel, usePlayerState, useStreamPlayer, type UseStreamPlayerOptions } from '../../src/react/index';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

export function speaker(button: HTMLButtonElement): string {
  const player = useStreamPlayer({ sampleRate: 24000, format: 'pcm16', unlockTarget: button });
  expectType<Equal<typeof player, StreamPlayer | null>>();
  useStreamPlayer();
  useStreamPlayer({ unlockTarget: null, speed: 1.5 });
  const options: UseStreamPlayerOptions = { prebufferMs: 80, unlockTarget: window };
  useStreamPlayer(options);
  // @ts-expect-error: not a format
  useStreamPlayer({ format: 'aac' });
  // @ts-expect-error: not a gesture target
  useStreamPlayer({ unlockTarget: 'document' });

  const snapshot = usePlayerState(player);
  expectType<Equal<typeof snapshot, PlayerSnapshot>>();
  const level = useOutputLevel(player);
  expectType<Equal<typeof level, OutputLevel>>();
  useMark(player, (mark) => {
    expectType<Equal<typeof mark, MarkEvent>>();
  });
  usePlayerState(null);
  useOutputLevel(null);
  useMark(null, () => undefined);
  // @ts-expect-error: a handler takes a MarkEvent
  useMark(player, (mark: number) => mark);
  return `${snapshot.state} ${level.rmsDb}`;
}
