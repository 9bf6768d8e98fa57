import type { StreamPlayer } from '../player/stream-player.js';
import { audioOfContentType } from '../sources/content-type.js';
import type { AudioSink } from '../sources/source.js';
import { decodeBase64 } from './base64.js';
import { connectService, ServiceMessageError, type AdapterSession, type ServiceSocket } from './service.js';

/**
 * Plays a Gemini Live (BidiGenerateContent) socket: the base64 PCM (24 kHz, from each part's
 * `mimeType`) in `serverContent.modelTurn.parts[].inlineData`, one utterance per model turn,
 * ended by `turnComplete`; `interrupted: true` (the server heard the user) interrupts the
 * player. The socket may deliver text or binary JSON frames; set its `binaryType` to
 * `'arraybuffer'` (the adapter does) so binary ones arrive as bytes.
 */
export function connectGeminiLive(player: StreamPlayer, socket: ServiceSocket): AdapterSession {
  let turn = 1;
  socket.binaryType = 'arraybuffer';
  const decoder = new TextDecoder();
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
  };
  function onContent(content: unknown, sink: AudioSink): void {
    if (typeof content !== 'object' || content === null) throw new ServiceMessageError('serverContent is not an object');
    const { modelTurn, interrupted, turnComplete } = content as Record<string, unknown>;
    if (interrupted === true) {
      player.interrupt();
      turn++;
      return;
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
        sink.write(`gemini-${turn}`, decodeBase64(inline.data), { format: typed.format, sampleRate: typed.sampleRate ?? 24000 });
      }
    }
    if (turnComplete === true) sink.endUtterance(`gemini-${turn++}`);
  }
  const service = connectService(player, socket, handlers);
  return { detach: service.detach };
}
