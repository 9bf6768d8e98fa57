import { useEffect } from 'react';
import type { MarkEvent, StreamPlayer } from '../index.js';
import { useLatest } from './use-latest.js';

/**
 * Calls `handler` for each `mark` event of the player: when a marked sample (a word of the
 * captions, say) reaches the speakers. The handler may be a new function on every render:
 * the latest one is called, and the subscription is made once per player, not once per
 * render. It ends on unmount.
 *
 * @param player - The player, or `null` (nothing is subscribed until there is one).
 * @param handler - Called with each {@link MarkEvent}.
 */
export function useMark(player: Pick<StreamPlayer, 'on'> | null, handler: (mark: MarkEvent) => void): void {
  const latest = useLatest(handler);
  useEffect(() => {
    if (player === null) return;
    return player.on('mark', (mark) => latest.current(mark));
  }, [player, latest]);
}
