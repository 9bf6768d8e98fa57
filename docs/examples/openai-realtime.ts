import type { StreamPlayer } from 'voxplay';
import { connectOpenAIRealtime, type OpenAIRealtimeSession } from 'voxplay/adapters';

/**
 * Plays an OpenAI Realtime socket that the app opened (and authenticated): its audio
 * deltas, one utterance per item. With server VAD, `input_audio_buffer.speech_started`
 * interrupts the player; with your own detector, call `bargeIn()`. Either way the server
 * gets `conversation.item.truncate` with the milliseconds the listener actually heard.
 */
export function connectRealtime(player: StreamPlayer, ws: WebSocket): OpenAIRealtimeSession {
  return connectOpenAIRealtime(player, ws, { format: 'pcm16' });
}
