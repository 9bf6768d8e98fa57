import type { AudioFormat } from '../codecs/formats.js';
import type { StreamPlayer } from '../player/stream-player.js';
import { connectService, type AdapterSession, type ServiceSocket } from './service.js';

/** Deepgram's streaming TTS encodings. */
export type DeepgramEncoding = 'linear16' | 'mulaw' | 'alaw';

/** Options of {@link connectDeepgram}: the `encoding` and `sample_rate` the socket was opened with. */
export interface DeepgramOptions {
  /** Default `'linear16'`. */
  encoding?: DeepgramEncoding;
  /** Default 24000 (8000 for mulaw and alaw). */
  sampleRate?: number;
}

const ENCODINGS: Record<DeepgramEncoding, AudioFormat> = { linear16: 'pcm16', mulaw: 'mulaw', alaw: 'alaw' };

/**
 * Plays a Deepgram Aura speak socket: binary audio frames between JSON messages, one
 * utterance per `Flush` (ended by the server's `Flushed`). On `interrupt()` the server gets
 * `{"type":"Clear"}`, and every audio frame until its `Cleared` is discarded as stale.
 *
 * The interruption model, from Deepgram's docs ("Text to Speech Streaming", the `Clear`
 * control message, https://developers.deepgram.com/docs/tts-ws-clear, and the API
 * reference https://developers.deepgram.com/reference/text-to-speech-api/speak-streaming):
 * - Audio carries no id: a frame belongs to the text flushed before it. Deepgram has no
 *   server-side barge-in; the interruption is always the client's (`Clear`).
 * - What marks audio stale: anything between the client's `Clear` and the server's
 *   `Cleared` (frames the server had already sent when it read the `Clear`). A `Flushed`
 *   in that window ends text of the cut turn, so it ends nothing here.
 * - What ends a turn: `Flushed`. A `Flushed` for a turn with no audio (an empty `Speak`),
 *   or a second one, ends nothing and is no error.
 * - After `Cleared`, frames belong to the next `Speak`/`Flush`.
 */
export function connectDeepgram(player: StreamPlayer, socket: ServiceSocket, options: DeepgramOptions = {}): AdapterSession {
  const encoding = options.encoding ?? 'linear16';
  const format = ENCODINGS[encoding];
  if (!format) throw new TypeError(`voxplay: unknown Deepgram encoding ${JSON.stringify(encoding)}`);
  const audio = { format, sampleRate: options.sampleRate ?? (format === 'pcm16' ? 24000 : 8000) };
  socket.binaryType = 'arraybuffer';
  let segment = 1;
  /** The current segment has audio (so `Flushed` ends an utterance the player knows). */
  let sounding = false;
  /** `Clear`s sent whose `Cleared` has not come back: until then every frame is stale. */
  let clearing = 0;
  /** The segment the last `Clear` cut: stale frames are counted against it. */
  let cutId = '';
  const id = (): string => `deepgram-${segment}`;
  const service = connectService(player, socket, {
    service: 'Deepgram',
    binary(bytes, sink) {
      if (clearing > 0) {
        sink.stale(cutId, bytes, audio);
        return;
      }
      sink.write(id(), bytes, audio);
      sounding = true;
    },
    text(message, sink) {
      switch (message.type) {
        case 'Flushed':
          if (clearing > 0 || !sounding) break; // the cut turn's flush, or a flush of no audio
          sink.endUtterance(id());
          segment++;
          sounding = false;
          break;
        case 'Cleared':
          if (clearing > 0) clearing--;
          break;
        case 'Warning':
        case 'Error':
          sink.error('bad-control', `Deepgram: ${String(message.description ?? message.err_msg ?? message.type)}`);
          break;
      }
    },
    interrupted() {
      // Whatever the server still has queued, or is sending, belongs to the cut turn.
      clearing++;
      cutId = id();
      segment++;
      sounding = false;
      socket.send(JSON.stringify({ type: 'Clear' }));
    },
  });
  return { detach: service.detach };
}
