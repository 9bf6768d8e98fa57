import type { StreamPlayer } from '../player/stream-player.js';
import type { InterruptedEvent } from '../player/types.js';
import { decodeBase64 } from './base64.js';
import { connectService, ServiceMessageError, stringField, type AdapterSession, type ServiceSocket } from './service.js';

/** The output formats of OpenAI Realtime (beta names, and the GA `audio/*` types). */
export type RealtimeAudioFormat = 'pcm16' | 'g711_ulaw' | 'g711_alaw' | 'audio/pcm' | 'audio/pcmu' | 'audio/pcma';

/** Options of {@link connectOpenAIRealtime}. */
export interface OpenAIRealtimeOptions {
  /** The session's `output_audio_format` (beta) or `audio.output.format.type` (GA). Default `'pcm16'` (24 kHz). */
  format?: RealtimeAudioFormat;
  /**
   * Who detects the user's speech. `'server'` (server VAD, the default): on
   * `input_audio_buffer.speech_started` the player is interrupted and the server cancels the
   * response itself. `'client'`: call `bargeIn()` from your own detector; it also sends
   * `response.cancel`.
   */
  turnDetection?: 'server' | 'client';
}

/** A connected OpenAI Realtime adapter. */
export interface OpenAIRealtimeSession extends AdapterSession {
  /** The user started talking (your own detector): stop the audio, cancel the response, truncate at what was heard. */
  bargeIn(): void;
}

const PCM = { format: 'pcm16', sampleRate: 24000 } as const;
const FORMATS: Record<RealtimeAudioFormat, { format: 'pcm16' | 'mulaw' | 'alaw'; sampleRate: number }> = {
  pcm16: PCM,
  'audio/pcm': PCM,
  g711_ulaw: { format: 'mulaw', sampleRate: 8000 },
  'audio/pcmu': { format: 'mulaw', sampleRate: 8000 },
  g711_alaw: { format: 'alaw', sampleRate: 8000 },
  'audio/pcma': { format: 'alaw', sampleRate: 8000 },
};

/**
 * Plays an OpenAI Realtime socket (GA and beta event names): the base64 audio of
 * `response.output_audio.delta` (`response.audio.delta`) as one utterance per `item_id`,
 * ended by `…done`. When the user barges in, the audio fades out at once and the server gets
 * `conversation.item.truncate` with `audio_end_ms` counted from the samples that actually
 * reached the speakers (the player's exact figure, not wall-clock time), so the model's
 * transcript ends where the listener stopped hearing it.
 */
export function connectOpenAIRealtime(player: StreamPlayer, socket: ServiceSocket, options: OpenAIRealtimeOptions = {}): OpenAIRealtimeSession {
  const audio = FORMATS[options.format ?? 'pcm16'];
  if (!audio) throw new TypeError(`voxplay: unknown OpenAI Realtime format ${JSON.stringify(options.format)}`);
  /** The content part each item's audio is in (truncate names it). */
  const contentIndex = new Map<string, number>();
  const send = (message: object): void => socket.send(JSON.stringify(message));

  const service = connectService(player, socket, {
    service: 'OpenAI Realtime',
    text(message, sink) {
      switch (message.type) {
        case 'response.output_audio.delta':
        case 'response.audio.delta': {
          const item = stringField(message, 'item_id');
          const delta = stringField(message, 'delta');
          if (typeof message.content_index === 'number') contentIndex.set(item, message.content_index);
          sink.write(item, decodeBase64(delta), audio);
          break;
        }
        case 'response.output_audio.done':
        case 'response.audio.done':
          sink.endUtterance(stringField(message, 'item_id')); // the tail plays without waiting for more
          break;
        case 'input_audio_buffer.speech_started':
          if (options.turnDetection !== 'client') player.interrupt();
          break;
        case undefined:
          throw new ServiceMessageError('a message has no type');
      }
    },
  });

  // Exact figures from the audio thread: truncate the item at what was heard.
  const onInterrupted = (e: InterruptedEvent): void => {
    if (e.utteranceId === null) return; // nothing was playing
    send({
      type: 'conversation.item.truncate',
      item_id: e.utteranceId,
      content_index: contentIndex.get(e.utteranceId) ?? 0,
      audio_end_ms: Math.floor(e.playedMs),
    });
  };
  const off = player.on('interrupted', onInterrupted);
  return {
    bargeIn() {
      const { utteranceId } = player.interrupt();
      if (utteranceId !== null) send({ type: 'response.cancel' });
    },
    detach() {
      off();
      service.detach();
    },
  };
}
