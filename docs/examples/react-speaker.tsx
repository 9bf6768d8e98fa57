import { useEffect, useState } from 'react';
import { useMark, useOutputLevel, usePlayerState, useStreamPlayer } from 'voxplay/react';

/**
 * Speaks what the server at `url` streams (raw PCM16 at 24 kHz between voxplay's `start` and
 * `end` control messages, with a `mark` where each word starts) and shows the player's state,
 * a level meter and the word being heard. The first click, tap or key press on the page
 * starts the audio; what arrives before that waits in the buffer.
 */
export function Speaker({ url }: { url: string }) {
  const player = useStreamPlayer({ sampleRate: 24000, format: 'pcm16' });
  const { state } = usePlayerState(player); // re-renders only when the snapshot changes
  const { rmsDb } = useOutputLevel(player); // at most once per animation frame
  const [word, setWord] = useState('');
  useMark(player, (mark) => setWord(mark.name)); // as the word reaches the speakers

  useEffect(() => {
    if (player === null) return; // the first render, before the player exists
    const ws = new WebSocket(url);
    const detach = player.attach(ws, { framing: 'raw' });
    return () => {
      detach();
      ws.close();
    };
  }, [player, url]);

  return (
    <section>
      <p className="state">{state === 'new' ? 'Click anywhere to turn the sound on.' : state}</p>
      <meter min={-60} max={0} value={Math.max(-60, rmsDb)} />
      <p className="word">{word}</p>
    </section>
  );
}
