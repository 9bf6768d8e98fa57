import type { AudioFormat } from '../codecs/formats.js';
import type { StreamPlayer } from '../player/stream-player.js';
import { decodeBase64 } from './base64.js';
import { connectService, objectField, ServiceMessageError, stringField, type AdapterSession, type ServiceSocket } from './service.js';

/** Cartesia's raw output encodings. */
export type CartesiaEncoding = 'pcm_s16le' | 'pcm_f32le' | 'pcm_mulaw' | 'pcm_alaw';

const ENCODINGS: Record<CartesiaEncoding, AudioFormat> = { pcm_s16le: 'pcm16', pcm_f32le: 'f32', pcm_mulaw: 'mulaw', pcm_alaw: 'alaw' };

/** Options of {@link connectCartesia}: the `output_format` the requests ask for. */
export interface CartesiaOptions {
  /** Default `'pcm_s16le'`. */
  encoding?: CartesiaEncoding;
  /** Default 24000. */
  sampleRate?: number;
  /** On `interrupt()`, send `{ context_id, cancel: true }` for the cut contexts so the server stops generating. Default true. */
  cancelOnInterrupt?: boolean;
  /** Called for each word of `word_timestamps` with its utterance (the `context_id`) and sample offset, e.g. for a caption's word list. */
  onWord?(utteranceId: string, sampleOffset: number, word: string): void;
}

/**
 * Plays a Cartesia TTS WebSocket: `chunk` messages' base64 `data`, one utterance per
 * `context_id`, ended by `done`; `timestamps` messages' `word_timestamps` (seconds from the
 * context's start) become word marks. On `interrupt()` the cut contexts are cancelled.
 */
export function connectCartesia(player: StreamPlayer, socket: ServiceSocket, options: CartesiaOptions = {}): AdapterSession {
  const format = ENCODINGS[options.encoding ?? 'pcm_s16le'];
  if (!format) throw new TypeError(`voxplay: unknown Cartesia encoding ${JSON.stringify(options.encoding)}`);
  const sampleRate = options.sampleRate ?? 24000;
  const service = connectService(player, socket, {
    service: 'Cartesia',
    text(message, sink) {
      switch (message.type) {
        case 'chunk':
          sink.write(stringField(message, 'context_id'), decodeBase64(stringField(message, 'data')), { format, sampleRate });
          break;
        case 'timestamps': {
          const id = stringField(message, 'context_id');
          const { words, start } = objectField(message, 'word_timestamps');
          if (!Array.isArray(words) || !Array.isArray(start) || words.length !== start.length)
            throw new ServiceMessageError('word_timestamps needs words and start arrays of one length');
          words.forEach((word, i) => {
            if (typeof word !== 'string' || typeof start[i] !== 'number') return;
            const offset = Math.round((start[i] as number) * sampleRate);
            sink.mark(id, offset, word);
            options.onWord?.(id, offset, word);
          });
          break;
        }
        case 'done':
          sink.endUtterance(stringField(message, 'context_id'));
          break;
        case 'error':
          sink.error('bad-control', `Cartesia: the server reported an error: ${JSON.stringify(message.error ?? message.message ?? message)}`);
          break;
      }
    },
    interrupted(ids) {
      if (options.cancelOnInterrupt === false) return;
      for (const id of ids) if (id !== null) socket.send(JSON.stringify({ context_id: id, cancel: true }));
    },
  });
  return { detach: service.detach };
}
