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
 * `{"type":"Clear"}`, which drops what it still has queued; audio it sent before its
 * `Cleared` is discarded as stale by the player.
 */
export function connectDeepgram(player: StreamPlayer, socket: ServiceSocket, options: DeepgramOptions = {}): AdapterSession {
  const encoding = options.encoding ?? 'linear16';
  const format = ENCODINGS[encoding];
  if (!format) throw new TypeError(`voxplay: unknown Deepgram encoding ${JSON.stringify(encoding)}`);
  const sampleRate = options.sampleRate ?? (format === 'pcm16' ? 24000 : 8000);
  socket.binaryType = 'arraybuffer';
  let segment = 1;
  const service = connectService(player, socket, {
    service: 'Deepgram',
    binary(bytes, sink) {
      sink.write(`deepgram-${segment}`, bytes, { format, sampleRate });
    },
    text(message, sink) {
      switch (message.type) {
        case 'Flushed':
          sink.endUtterance(`deepgram-${segment++}`);
          break;
        case 'Warning':
        case 'Error':
          sink.error('bad-control', `Deepgram: ${String(message.description ?? message.err_msg ?? message.type)}`);
          break;
      }
    },
    interrupted(ids) {
      if (ids.some((id) => id !== null && id.startsWith('deepgram-'))) {
        socket.send(JSON.stringify({ type: 'Clear' }));
        segment++; // what is still in flight belongs to the cut segment
      }
    },
  });
  return { detach: service.detach };
}
