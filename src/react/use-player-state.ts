import { useSyncExternalStore } from 'react';
import type { PlayerSnapshot, StreamPlayer } from '../index.js';

/**
 * The snapshot of a player that does not exist yet: on the server, while hydrating, and
 * before {@link useStreamPlayer} has made its player. It is what a new player with the
 * default options shows. One constant, as `useSyncExternalStore` needs.
 */
const NO_PLAYER: PlayerSnapshot = Object.freeze({
  state: 'new',
  utteranceId: null,
  playing: false,
  paused: false,
  bufferedMs: 0,
  volume: 1,
  muted: false,
  speed: 1,
  error: null,
});

// Module-level, so a null player subscribes once and not on every render.
const subscribeToNothing = (): (() => void) => () => undefined;
const getNoPlayer = (): PlayerSnapshot => NO_PLAYER;

/**
 * The player's {@link PlayerSnapshot} (state, utterance, playing, paused, buffered ms,
 * volume, muted, speed, last error), re-rendering the component only when a field of it
 * changes: `useSyncExternalStore(player.subscribe, player.getSnapshot)`.
 *
 * @param player - The player, or `null` (as {@link useStreamPlayer} returns before it made one).
 * @returns the player's snapshot; for `null`, on the server and while hydrating, a constant
 *   snapshot of a new player with the default options (state `new`, volume 1, speed 1).
 */
export function usePlayerState(player: Pick<StreamPlayer, 'subscribe' | 'getSnapshot'> | null): PlayerSnapshot {
  return useSyncExternalStore(player?.subscribe ?? subscribeToNothing, player?.getSnapshot ?? getNoPlayer, getNoPlayer);
}
