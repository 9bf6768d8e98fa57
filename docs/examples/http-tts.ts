import type { PlayStreamResult, StreamPlayer } from 'voxplay';

/**
 * Speaks `text` with an HTTP text-to-speech endpoint that streams its answer (OpenAI's
 * `audio/speech`, ElevenLabs' `/stream`, Kokoro-FastAPI): MP3, Ogg Opus, WAV or raw PCM,
 * as its `Content-Type` says. Resolves once the speech has played out, or was cut by
 * `player.interrupt()` (which also stops the download).
 */
export async function speak(player: StreamPlayer, url: string, text: string, options: { signal?: AbortSignal } = {}): Promise<PlayStreamResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ input: text }),
    ...options,
  });
  return player.playStream(response, options);
}
