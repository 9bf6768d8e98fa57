import { useEffect, useRef, useState } from 'react';
import { StreamPlayer, type GestureTarget, type StreamPlayerOptions } from '../index.js';
import { listenForGestures } from '../player/gesture-unlock.js';

/** Options of {@link useStreamPlayer}: the player's own options, and where a gesture starts it. */
export type UseStreamPlayerOptions = StreamPlayerOptions & {
  /**
   * Where the first user gesture (press, key, tap) starts the player and later ones resume
   * it when the browser blocked or preempted it ({@link StreamPlayer.unlockOnGesture}).
   * Default `document`; `null` listens nowhere: the app calls `player.start()` itself.
   */
  unlockTarget?: GestureTarget | null;
};

/** Reports an error nobody awaits as an uncaught one would be (console, the window's `error` event). */
function report(error: unknown): void {
  if (typeof reportError === 'function') reportError(error);
  else console.error(error);
}

/** The player a component owns, kept across StrictMode's extra unmount and mount of effects. */
interface Owned {
  player: StreamPlayer | null;
  /** A close waiting for the microtask; a re-mount clears it to keep the player. */
  closing: object | null;
}

/**
 * Creates a {@link StreamPlayer} for the life of the component and closes it on unmount.
 *
 * The first user gesture on `unlockTarget` (default `document`) calls `player.start()` if
 * the app has not started it yet, inside the gesture, where every browser lets audio start;
 * the player's {@link StreamPlayer.unlockOnGesture} resumes it on later gestures when the
 * browser blocked or preempted it. Audio pushed or attached before that is kept and plays
 * once it runs. An app that may start audio without a gesture calls `player.start()` itself.
 * If the start on the gesture fails (a `worklet-load` error), the error goes to
 * `reportError` (the window's `error` event and the console), as an uncaught one would.
 *
 * The options are read once, when the player is made; change the player afterwards
 * through its setters (`volume`, `speed`, …), or remount the component (a new `key`) for
 * another format or rate. `unlockTarget` may change.
 *
 * Under React's StrictMode, which in development runs effects twice (mount, unmount,
 * mount), it is still one player: the unmount only schedules the close, and the second
 * mount, which runs in the same task, cancels it.
 *
 * @param options - The player's options, plus `unlockTarget`.
 * @returns `null` on the server and in the first render on the client (the player is made
 *   in an effect, so a render that React throws away never makes one), then the same player
 *   until unmount. Every hook of this entry takes that `null`.
 */
export function useStreamPlayer(options: UseStreamPlayerOptions = {}): StreamPlayer | null {
  const [player, setPlayer] = useState<StreamPlayer | null>(null);
  const owned = useRef<Owned>({ player: null, closing: null });
  // The first render's options: the player is made once.
  const initialOptions = useRef(options);

  useEffect(() => {
    const held = owned.current;
    held.closing = null;
    let own = held.player;
    if (own === null) {
      const { unlockTarget: _unlockTarget, ...playerOptions } = initialOptions.current;
      own = new StreamPlayer(playerOptions);
      held.player = own;
    }
    setPlayer(own);
    const mine = own;
    return () => {
      // StrictMode mounts again synchronously, in this same task: a microtask is late enough
      // to see that, and early enough that a real unmount frees the AudioContext at once
      // (browsers cap how many a page may hold).
      const closing = {};
      held.closing = closing;
      queueMicrotask(() => {
        if (held.closing !== closing) return;
        held.closing = null;
        held.player = null;
        mine.close().catch(report);
      });
    };
  }, []);

  const { unlockTarget } = options;
  useEffect(() => {
    // A player closed by an earlier unmount is being replaced in this same commit.
    if (player === null || unlockTarget === null || player.state === 'closed') return;
    const target = unlockTarget ?? document;
    const stopUnlock = player.unlockOnGesture(target);
    const stopStart = listenForGestures(target, () => {
      stopStart();
      // start() creates the AudioContext synchronously, so inside the gesture it may run.
      if (player.state === 'new') player.start().catch(report);
    });
    return () => {
      stopUnlock();
      stopStart();
    };
  }, [player, unlockTarget]);

  return player;
}
