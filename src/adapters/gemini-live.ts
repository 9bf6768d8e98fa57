import type { StreamPlayer } from '../player/stream-player.js';
import { audioOfContentType } from '../sources/content-type.js';
import type { AudioSink } from '../sources/source.js';
import { decodeBase64 } from './base64.js';
import { connectService, ServiceMessageError, type AdapterSession, type ServiceSocket } from './service.js';

/**
 * Plays a Gemini Live (BidiGenerateContent) socket: the base64 PCM (24 kHz, from each part's
 * `mimeType`) in `serverContent.modelTurn.parts[].inlineData`, one utterance per model turn;
 * `interrupted: true` (the server heard the user) interrupts the player. The socket may
 * deliver text or binary JSON frames; set its `binaryType` to `'arraybuffer'` (the adapter
 * does) so binary ones arrive as bytes.
 *
 * The interruption model, from Google's reference of `BidiGenerateContentServerContent`
 * (https://ai.google.dev/api/live#bidigeneratecontentservercontent):
 * - Audio carries no id: it belongs to the model turn in progress, which `turnComplete`
 *   ends ("the model is done generating"; the next content is a new turn).
 * - `generationComplete`: all of the turn's audio was sent, so its tail plays at once; the
 *   turn itself still ends at `turnComplete` ("when model assumes realtime playback there
 *   will be delay between generation_complete and turn_complete").
 * - `interrupted`: "a client message has interrupted current model generation"; such a
 *   turn has no `generationComplete` and ends "interrupted > turn_complete". From
 *   `interrupted` (or the app's own `interrupt()` while the turn sounds) to that
 *   `turnComplete`, audio belongs to the cut turn and is discarded as stale.
 * - A `turnComplete` of a turn with no audio (text or a tool call), or a second one, ends
 *   nothing and is no error.
 */
export function connectGeminiLive(player: StreamPlayer, socket: ServiceSocket): AdapterSession {
  let turn = 1;
  /** The turn has audio the player knows (so it can be ended). */
  let sounding = false;
  /** The turn's audio is all sent (`generationComplete`): already ended in the player. */
  let generated = false;
  /** The turn was cut: its audio is stale until `turnComplete`. */
  let cut = false;
  socket.binaryType = 'arraybuffer';
  const decoder = new TextDecoder();
  const id = (): string => `gemini-${turn}`;
  const handlers = {
    service: 'Gemini Live',
    text(message: Record<string, unknown>, sink: AudioSink) {
      const content = message.serverContent;
      if (content === undefined) return; // setupComplete, toolCall, usage: the app's
      onContent(content, sink);
    },
    // Gemini sends its JSON as binary frames too.
    binary(bytes: Uint8Array, sink: AudioSink) {
      let message: unknown;
      try {
        message = JSON.parse(decoder.decode(bytes));
      } catch {
        throw new ServiceMessageError('a binary message is not JSON');
      }
      if (typeof message === 'object' && message !== null) handlers.text(message as Record<string, unknown>, sink);
    },
    interrupted(ids: readonly (string | null)[]) {
      if (ids.includes(id())) cut = true;
    },
  };
  function onContent(content: unknown, sink: AudioSink): void {
    if (typeof content !== 'object' || content === null) throw new ServiceMessageError('serverContent is not an object');
    const { modelTurn, interrupted, generationComplete, turnComplete } = content as Record<string, unknown>;
    if (interrupted === true && !cut) {
      cut = true; // even when nothing of the turn reached the player yet
      player.interrupt();
    }
    const parts = (modelTurn as { parts?: unknown } | undefined)?.parts;
    if (parts !== undefined) {
      if (!Array.isArray(parts)) throw new ServiceMessageError('modelTurn.parts is not an array');
      for (const part of parts) {
        const inline = (part as { inlineData?: { mimeType?: unknown; data?: unknown } } | null)?.inlineData;
        if (!inline) continue; // text parts
        if (typeof inline.data !== 'string') throw new ServiceMessageError('inlineData has no data string');
        const typed = audioOfContentType(typeof inline.mimeType === 'string' ? inline.mimeType : 'audio/pcm;rate=24000');
        if (!typed) throw new ServiceMessageError(`inlineData of type ${JSON.stringify(inline.mimeType)} is not audio voxplay plays`);
        const bytes = decodeBase64(inline.data);
        const audio = { format: typed.format, sampleRate: typed.sampleRate ?? 24000 };
        if (cut) sink.stale(id(), bytes, audio);
        else {
          sink.write(id(), bytes, audio);
          sounding = true;
        }
      }
    }
    if (generationComplete === true && sounding && !cut && !generated) {
      generated = true;
      sink.endUtterance(id());
    }
    if (turnComplete === true) {
      if (sounding && !cut && !generated) sink.endUtterance(id());
      turn++;
      sounding = generated = cut = false;
    }
  }
  const service = connectService(player, socket, handlers);
  return { detach: service.detach };
}
