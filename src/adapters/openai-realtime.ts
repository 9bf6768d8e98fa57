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
/** Items whose content index is remembered (for their truncate), at most. */
const MAX_ITEMS = 256;
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
 *
 * The interruption model, from OpenAI's Realtime API reference (server events
 * `response.output_audio.delta`, `response.output_audio.done`: "also emitted when a Response
 * is interrupted, incomplete, or cancelled", `response.done`: "always emitted, no matter the
 * final state"; client events `response.cancel`, `conversation.item.truncate`;
 * https://platform.openai.com/docs/api-reference/realtime-server-events) and the stale-audio
 * rule of OpenAI's own Twilio transport (openai/openai-agents-js,
 * `packages/agents-extensions/src/TwilioRealtimeTransport.ts`: `#discardedResponseIds`):
 * - Audio carries `response_id` and `item_id`. A cut turn is the item that was sounding and
 *   every response in progress when the player was interrupted (server VAD's
 *   `input_audio_buffer.speech_started`, `bargeIn()`, or the app's own `interrupt()`),
 *   including one whose first delta had not arrived yet.
 * - Deltas of a cut item or response that are still in flight are discarded as stale; its
 *   `response.output_audio.done` and `response.done` (status `cancelled`) end nothing. An
 *   item cut before any of it was heard is truncated at `audio_end_ms: 0`, so the model's
 *   transcript keeps none of it. Only `bargeIn()` (and the server's own VAD) cancel the
 *   response on the server; after a plain `interrupt()` the server goes on generating it.
 * - What ends a turn: `response.output_audio.done` for its item.
 */
export function connectOpenAIRealtime(player: StreamPlayer, socket: ServiceSocket, options: OpenAIRealtimeOptions = {}): OpenAIRealtimeSession {
  const audio = FORMATS[options.format ?? 'pcm16'];
  if (!audio) throw new TypeError(`voxplay: unknown OpenAI Realtime format ${JSON.stringify(options.format)}`);
  /** The content part each item's audio is in (truncate names it). */
  const contentIndex = new Map<string, number>();
  const send = (message: object): void => socket.send(JSON.stringify(message));
  /** Responses in progress (`response.created` … `response.done`). */
  const live = new Set<string>();
  /** Responses the player cut: their deltas still in flight are stale. Forgotten at `response.done`. */
  const discarded = new Set<string>();
  /** The response each item's audio came from. */
  const responseOf = new Map<string, string>();
  /**
   * Items of live responses whose truncate is settled: heard (the `interrupted` event
   * truncates them at what was heard) or already truncated at 0.
   */
  const settled = new Set<string>();

  const service = connectService(player, socket, {
    service: 'OpenAI Realtime',
    text(message, sink) {
      switch (message.type) {
        case 'response.output_audio.delta':
        case 'response.audio.delta': {
          const item = stringField(message, 'item_id');
          const delta = stringField(message, 'delta');
          const response = typeof message.response_id === 'string' ? message.response_id : null;
          if (response !== null) responseOf.set(item, response);
          if (typeof message.content_index === 'number') {
            contentIndex.set(item, message.content_index);
            // Bounded: an entry is only needed until the item's truncate.
            if (contentIndex.size > MAX_ITEMS) contentIndex.delete(contentIndex.keys().next().value as string);
          }
          if (response !== null && discarded.has(response)) {
            sink.stale(item, decodeBase64(delta), audio);
            // Cut before a sample of it was heard: the model's transcript must not keep it either.
            if (!settled.has(item)) {
              settled.add(item);
              send({ type: 'conversation.item.truncate', item_id: item, content_index: contentIndex.get(item) ?? 0, audio_end_ms: 0 });
            }
          } else {
            sink.write(item, decodeBase64(delta), audio); // a cut item's own id makes it stale too
            if (response !== null) settled.add(item);
          }
          break;
        }
        case 'response.created': {
          const response = (message.response as { id?: unknown } | undefined)?.id;
          if (typeof response === 'string') live.add(response);
          break;
        }
        case 'response.done': {
          const response = (message.response as { id?: unknown } | undefined)?.id;
          if (typeof response === 'string') {
            live.delete(response);
            discarded.delete(response); // nothing of it comes after its done
            for (const [item, of] of responseOf)
              if (of === response) {
                responseOf.delete(item);
                settled.delete(item);
              }
          }
          break;
        }
        case 'response.output_audio.done':
        case 'response.audio.done':
          // A cut response's done ends nothing (its audio, if any, was stale).
          if (typeof message.response_id === 'string' && discarded.has(message.response_id)) break;
          sink.endUtterance(stringField(message, 'item_id')); // the tail plays without waiting for more
          break;
        case 'input_audio_buffer.speech_started':
          if (options.turnDetection !== 'client') player.interrupt();
          break;
        case undefined:
          throw new ServiceMessageError('a message has no type');
      }
    },
    interrupted(ids) {
      for (const response of live) discarded.add(response);
      for (const id of ids) {
        const response = id === null ? undefined : responseOf.get(id);
        if (response !== undefined) discarded.add(response);
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
      // Also a response whose first delta has not arrived: the server is still generating it.
      const generating = [...live].some((response) => !discarded.has(response));
      const { utteranceId } = player.interrupt();
      if (utteranceId !== null || generating) send({ type: 'response.cancel' });
    },
    detach() {
      off();
      service.detach();
    },
  };
}
