import type { StreamPlayer } from 'voxplay';
import { base64ToBytes } from './base64-pcm.js';

/**
 * A message of an ElevenLabs-style text-to-speech socket asked for raw PCM
 * (`output_format=pcm_24000`): base64 audio, and when to say each character of this
 * chunk (ms from the chunk's start).
 */
interface TtsMessage {
  audio?: string | null;
  isFinal?: boolean | null;
  alignment?: { chars: string[]; charStartTimesMs: number[] } | null;
}

/**
 * Plays one utterance from the socket and reports where each word starts (a sample offset
 * of the utterance) to `onWord`, e.g. `captions.addWord`, which marks it on the player.
 */
export function playWithWordTimes(
  player: StreamPlayer,
  ws: WebSocket,
  utteranceId: string,
  onWord: (sampleOffset: number, word: string) => void,
  sampleRate = 24000,
): void {
  let chunkStart = 0; // samples of this utterance before the current chunk
  let word = '';
  let wordStart = 0;
  const endWord = (): void => {
    if (word !== '') onWord(wordStart, word);
    word = '';
  };
  ws.addEventListener('message', (event: MessageEvent) => {
    if (typeof event.data !== 'string') return;
    const msg = JSON.parse(event.data) as TtsMessage;
    if (msg.audio) {
      const bytes = base64ToBytes(msg.audio);
      const { chars, charStartTimesMs } = msg.alignment ?? { chars: [], charStartTimesMs: [] };
      for (const [i, ch] of chars.entries()) {
        if (ch.trim() === '') {
          endWord();
          continue;
        }
        if (word === '') wordStart = chunkStart + Math.round(((charStartTimesMs[i] ?? 0) * sampleRate) / 1000);
        word += ch;
      }
      player.push(bytes, { utteranceId, sampleRate });
      chunkStart += bytes.length / 2; // PCM16 mono: 2 bytes per sample
    }
    if (msg.isFinal) {
      endWord();
      player.endUtterance(utteranceId);
    }
  });
}
