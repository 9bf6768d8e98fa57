import type { InterruptedEvent, StreamPlayer } from 'voxplay';
import { base64ToBytes } from './base64-pcm.js';

/** The server events this adapter reads (OpenAI Realtime names; the beta API's `response.audio.*` too). */
type RealtimeServerEvent =
  | { type: 'response.output_audio.delta' | 'response.audio.delta'; item_id: string; delta: string }
  | { type: 'response.output_audio.done' | 'response.audio.done'; item_id: string }
  | { type: 'input_audio_buffer.speech_started' };

export interface RealtimeSession {
  /** Call it when your own voice activity detector hears the user start talking. */
  bargeIn(): void;
  /** Stops reading the socket and listening to the player. */
  detach(): void;
}

/**
 * Plays an OpenAI-Realtime-style socket: base64 PCM16 (24 kHz mono) in JSON `delta` events,
 * one utterance per `item_id`. When the user barges in, the audio stops at once and the
 * server learns how much of the item was actually heard, so the model's transcript ends
 * where the listener stopped hearing it.
 */
export function connectRealtime(player: StreamPlayer, ws: WebSocket): RealtimeSession {
  const onMessage = (event: MessageEvent): void => {
    if (typeof event.data !== 'string') return;
    const msg = JSON.parse(event.data) as RealtimeServerEvent;
    switch (msg.type) {
      case 'response.output_audio.delta':
      case 'response.audio.delta':
        player.push(base64ToBytes(msg.delta), { utteranceId: msg.item_id });
        break;
      case 'response.output_audio.done':
      case 'response.audio.done':
        player.endUtterance(msg.item_id); // the tail plays without waiting for more
        break;
      case 'input_audio_buffer.speech_started':
        player.interrupt(); // server-side VAD heard the user; the server cancels the response itself
        break;
    }
  };

  // Exact figures from the audio thread: truncate the item at what was heard.
  const onInterrupted = (e: InterruptedEvent): void => {
    if (e.utteranceId === null) return; // nothing was playing
    ws.send(JSON.stringify({ type: 'conversation.item.truncate', item_id: e.utteranceId, content_index: 0, audio_end_ms: Math.floor(e.playedMs) }));
  };

  ws.addEventListener('message', onMessage);
  player.on('interrupted', onInterrupted);
  return {
    bargeIn() {
      const { utteranceId } = player.interrupt(); // fades out within fadeMs, drops what is queued
      if (utteranceId !== null) ws.send(JSON.stringify({ type: 'response.cancel' }));
    },
    detach() {
      ws.removeEventListener('message', onMessage);
      player.off('interrupted', onInterrupted);
    },
  };
}
