import type { AudioFormat } from '../codecs/formats.js';
import type { StreamPlayer } from '../player/stream-player.js';
import { decodeBase64 } from './base64.js';
import { connectService, objectField, ServiceMessageError, stringField, type AdapterSession, type ServiceSocket } from './service.js';

/** Cartesia's raw output encodings. */
export type CartesiaEncoding = 'pcm_s16le' | 'pcm_f32le' | 'pcm_mulaw' | 'pcm_alaw';

const ENCODINGS: Record<CartesiaEncoding, AudioFormat> = { pcm_s16le: 'pcm16', pcm_f32le: 'f32', pcm_mulaw: 'mulaw', pcm_alaw: 'alaw' };

/** Cut contexts remembered until their `done`, at most. */
const MAX_CUT = 256;

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
 *
 * The interruption model, from Cartesia's docs (TTS WebSocket,
 * https://docs.cartesia.ai/api-reference/tts/websocket, and "Contexts",
 * https://docs.cartesia.ai/use-the-api/tts-websocket/contexts):
 * - Audio carries its `context_id`; "each turn in a conversation should correspond to a
 *   context", so a context is an utterance.
 * - What ends a turn: `done` ("only after outputs for the entire context have been returned").
 * - Cancelling "will only halt requests that have not begun generating a response yet. Any
 *   currently generating request will continue sending responses until completion": so
 *   `chunk` and `timestamps` of a cut context keep arriving, then its `done`. They are
 *   discarded (chunks counted as stale, words neither marked nor passed to `onWord`), and
 *   that `done` ends nothing. Cartesia's own SDK (cartesia-js `src/internal/lib/tts/ws.ts`)
 *   likewise unregisters a cancelled context so its late messages reach no one.
 * - A cut context is every one the socket has spoken of without its `done` (sounding,
 *   queued, or one whose `timestamps` came before its first chunk); those get the cancel.
 */
export function connectCartesia(player: StreamPlayer, socket: ServiceSocket, options: CartesiaOptions = {}): AdapterSession {
  const format = ENCODINGS[options.encoding ?? 'pcm_s16le'];
  if (!format) throw new TypeError(`voxplay: unknown Cartesia encoding ${JSON.stringify(options.encoding)}`);
  const sampleRate = options.sampleRate ?? 24000;
  /** Contexts the server has spoken of without their `done`. */
  const open = new Set<string>();
  /** Cut contexts whose `done` has not come: their messages are stale. */
  const cut = new Set<string>();
  const service = connectService(player, socket, {
    service: 'Cartesia',
    text(message, sink) {
      switch (message.type) {
        case 'chunk': {
          const id = stringField(message, 'context_id');
          const bytes = decodeBase64(stringField(message, 'data'));
          if (cut.has(id)) sink.stale(id, bytes, { format, sampleRate });
          else {
            open.add(id);
            sink.write(id, bytes, { format, sampleRate });
          }
          break;
        }
        case 'timestamps': {
          const id = stringField(message, 'context_id');
          if (cut.has(id)) break; // words never heard: no marks, no captions
          open.add(id);
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
        case 'done': {
          const id = stringField(message, 'context_id');
          open.delete(id);
          if (!cut.delete(id)) sink.endUtterance(id);
          break;
        }
        case 'error':
          sink.error('bad-control', `Cartesia: the server reported an error: ${JSON.stringify(message.error ?? message.message ?? message)}`);
          break;
      }
    },
    interrupted() {
      // The contexts still generating (the player cut every one it had queued, whatever its
      // source; one whose done came has nothing more to send, so nothing to cancel).
      const contexts = [...open];
      for (const id of contexts) {
        cut.add(id);
        open.delete(id);
        // A context cancelled before it began may never send its done: bound the memory.
        if (cut.size > MAX_CUT) cut.delete(cut.values().next().value as string);
        if (options.cancelOnInterrupt !== false) socket.send(JSON.stringify({ context_id: id, cancel: true }));
      }
    },
  });
  return { detach: service.detach };
}
