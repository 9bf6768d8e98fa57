import type { PlayStreamResult } from '../player/play-stream.js';
import type { StreamPlayer } from '../player/stream-player.js';
import type { ByteStreamLike, ResponseLike } from '../sources/byte-stream.js';
import { decodeBase64 } from './base64.js';

/** Options of {@link playOpenAISpeechEvents}. */
export interface OpenAISpeechEventsOptions {
  /** The utterance's id (default: playStream's). */
  utteranceId?: string;
  /** Aborts reading (see `playStream`). */
  signal?: AbortSignal;
}

/**
 * Plays OpenAI's `audio/speech` response asked for with `stream_format: 'sse'` and
 * `response_format: 'pcm'`: server-sent events whose `speech.audio.delta` carry base64 PCM16
 * at 24 kHz, ended by `speech.audio.done`. The events become a byte stream for
 * `player.playStream()`, so backpressure, `interrupt()` (which cancels the download) and
 * network errors work as they do there. A `data:` line that is not JSON, or a delta without
 * base64 `audio`, ends the stream with an error (the promise rejects with `network`, after
 * what arrived has played).
 */
export function playOpenAISpeechEvents(player: StreamPlayer, response: ResponseLike, options: OpenAISpeechEventsOptions = {}): Promise<PlayStreamResult> {
  if (!response.ok || response.body === null) return player.playStream(response, { ...options, format: 'pcm16', sampleRate: 24000 });
  return player.playStream(speechAudio(response.body), { ...options, format: 'pcm16', sampleRate: 24000 });
}

/**
 * The PCM of each `speech.audio.delta` event of an SSE body, in order, as a stream pulled
 * only as fast as the player reads; cancelling it cancels the body at once.
 */
function speechAudio(body: ByteStreamLike): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const text = new TextDecoder();
  let pending = '';
  let finished = false;
  /** The next complete event's data in `pending`, or null. */
  const nextData = (): string | null => {
    const end = pending.search(/\r?\n\r?\n/);
    if (end < 0) return null;
    const event = pending.slice(0, end);
    pending = pending.slice(end).replace(/^\r?\n\r?\n/, '');
    return event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          let data: string | null;
          while (!finished && (data = nextData()) !== null) {
            if (data === '' || data === '[DONE]') continue;
            let message: { type?: unknown; audio?: unknown };
            try {
              message = JSON.parse(data) as { type?: unknown; audio?: unknown };
            } catch {
              throw new TypeError(`an event's data is not JSON: ${JSON.stringify(data.slice(0, 60))}`);
            }
            if (message.type === 'speech.audio.done') finished = true;
            else if (message.type === 'speech.audio.delta') {
              if (typeof message.audio !== 'string') throw new TypeError('a speech.audio.delta event has no audio string');
              controller.enqueue(decodeBase64(message.audio));
              return;
            }
          }
          if (finished) {
            controller.close();
            void reader.cancel().catch(() => undefined);
            return;
          }
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          pending += text.decode(value, { stream: true });
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
