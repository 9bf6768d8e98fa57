import { useEffect, useRef, useState } from 'react';
import type { OutputLevel, StreamPlayer } from '../index.js';

/** Nothing played yet: what a player's `getOutputLevel()` says before its first report. */
const SILENT: OutputLevel = Object.freeze({ rmsDb: -Infinity, peakDb: -Infinity, rms: 0, peak: 0, frames: 0, contextTime: 0 });

/**
 * The level of what the player sends to the speakers ({@link StreamPlayer.getOutputLevel}),
 * for a meter or a "talking orb".
 *
 * The audio thread reports about every 20 ms; rendering on each report would cost the page
 * more than the meter is worth. So the level is read once per animation frame, in a
 * `requestAnimationFrame` loop, and the component re-renders only in a frame where the RMS
 * or the peak changed: at most once per frame, never while the output stays the same, and
 * not at all while the tab is hidden (no frames run then).
 *
 * @param player - The player, or `null` (as {@link useStreamPlayer} returns before it made one).
 * @returns the latest level; `frames` and `contextTime` are those of the last change of the
 *   level. Silence (`-Infinity` dB) for `null`, on the server, and before anything played.
 */
export function useOutputLevel(player: Pick<StreamPlayer, 'getOutputLevel'> | null): OutputLevel {
  const [level, setLevel] = useState<OutputLevel>(SILENT);
  // What the component shows, to compare each frame's reading with.
  const shown = useRef<OutputLevel>(SILENT);

  useEffect(() => {
    if (player === null) return;
    let frame = requestAnimationFrame(function read() {
      const next = player.getOutputLevel();
      const last = shown.current;
      if (!Object.is(next.rms, last.rms) || !Object.is(next.peak, last.peak)) {
        shown.current = next;
        setLevel(next);
      }
      frame = requestAnimationFrame(read);
    });
    return () => cancelAnimationFrame(frame);
  }, [player]);

  return player === null ? SILENT : level;
}
