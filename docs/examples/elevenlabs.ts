import type { StreamPlayer } from 'voxplay';
import { connectElevenLabs, type AdapterSession } from 'voxplay/adapters';

/**
 * Plays an ElevenLabs text-to-speech socket (`stream-input`, opened with
 * `output_format=pcm_24000`; `mp3_44100_128` and `ulaw_8000` work the same way) and hands
 * each word with its place in the utterance to `onWord`, e.g. `captions.addWord`, which
 * marks it on the player. Utterances are `<prefix>-1`, `<prefix>-2`, … one per generation.
 */
export function playWithWordTimes(
  player: StreamPlayer,
  ws: WebSocket,
  prefix: string,
  onWord: (utteranceId: string, sampleOffset: number, word: string) => void,
): AdapterSession {
  return connectElevenLabs(player, ws, { outputFormat: 'pcm_24000', utteranceIdPrefix: prefix, markWords: false, onWord });
}
