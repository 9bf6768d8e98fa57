/**
 * The mock server speaking real voice services' message shapes, so the demo can play each
 * through its voxplay adapter (src/adapters/). Pure: given an utterance's audio, one frame's
 * sample range and the word timings, it returns the messages that service would send, and
 * reads the messages the service's client sends back. Shapes from the services' public docs:
 * - OpenAI Realtime: https://platform.openai.com/docs/api-reference/realtime-server-events
 *   (`response.output_audio.delta` / `.done`, client `conversation.item.truncate`, `response.cancel`)
 * - ElevenLabs stream-input: https://elevenlabs.io/docs/api-reference/text-to-speech/v-1-text-to-speech-voice-id-stream-input
 *   (`{audio, isFinal, alignment: {chars, charStartTimesMs, charDurationsMs}}`)
 * - Cartesia: https://docs.cartesia.ai/api-reference/tts/websocket (`chunk`, `timestamps`, `done`; client `{context_id, cancel: true}`)
 * - Gemini Live: https://ai.google.dev/api/live (`serverContent.modelTurn.parts[].inlineData`, `turnComplete`, `interrupted`)
 * - Deepgram speak: https://developers.deepgram.com/docs/streaming-text-to-speech (binary audio, `Flushed`; client `Clear` → `Cleared`)
 * - Twilio media streams: https://www.twilio.com/docs/voice/media-streams/websocket-messages (`media`, `mark`; client `mark`)
 * The client asks for speech with voxplay's own `speak` message (a mock has to be asked somehow).
 */
import { float32ToMulaw } from '../../src/protocol/g711-encode';
import { float32ToPcm16 } from '../../src/protocol/pcm-encode';
import type { WordTiming } from './voice';

/** The services the mock server can speak as. */
export type ServiceName = 'openai-realtime' | 'elevenlabs' | 'cartesia' | 'gemini-live' | 'deepgram' | 'twilio';

export const SERVICES: readonly ServiceName[] = ['openai-realtime', 'elevenlabs', 'cartesia', 'gemini-live', 'deepgram', 'twilio'];

/** The rate a service's audio is synthesized at (Twilio is μ-law at 8 kHz; the rest 24 kHz PCM16). */
export function serviceRate(service: ServiceName): number {
  return service === 'twilio' ? 8000 : 24000;
}

/** A message to send: JSON text, or binary audio. */
export type ServiceMessage = string | Uint8Array;

/** One utterance as the service sends it. */
export interface ServiceUtterance {
  service: ServiceName;
  /** The service's id for it (item id, context id, …). */
  id: string;
  samples: Float32Array;
  rate: number;
  words: readonly WordTiming[];
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const json = (message: unknown) => JSON.stringify(message);

/** The messages that carry samples [from, to) of `u`, frame `index` of `count`. */
export function serviceFrame(u: ServiceUtterance, index: number, count: number, from: number, to: number): ServiceMessage[] {
  const part = u.samples.subarray(from, to);
  const pcm = () => float32ToPcm16(part);
  const out: ServiceMessage[] = [];
  switch (u.service) {
    case 'openai-realtime': {
      // One response per utterance, as the API opens and closes each (the adapter discards a cut response's deltas by its id).
      const response = `resp_${u.id}`;
      if (index === 0) out.push(json({ type: 'response.created', response: { id: response, object: 'realtime.response', status: 'in_progress' } }));
      out.push(json({ type: 'response.output_audio.delta', response_id: response, item_id: u.id, output_index: 0, content_index: 0, delta: b64(pcm()) }));
      if (index === count - 1)
        out.push(
          json({ type: 'response.output_audio.done', response_id: response, item_id: u.id, output_index: 0, content_index: 0 }),
          json({ type: 'response.done', response: { id: response, object: 'realtime.response', status: 'completed' } }),
        );
      break;
    }
    case 'elevenlabs': {
      // Characters of the words that start in this chunk, timed from the chunk's start.
      const chars: string[] = [];
      const charStartTimesMs: number[] = [];
      for (const w of u.words) {
        if (w.startSample < from || w.startSample >= to) continue;
        const ms = ((w.startSample - from) / u.rate) * 1000;
        const step = (((w.endSample - w.startSample) / u.rate) * 1000) / Math.max(1, w.text.length);
        [...w.text].forEach((ch, i) => {
          chars.push(ch);
          charStartTimesMs.push(Math.round(ms + i * step));
        });
        chars.push(' ');
        charStartTimesMs.push(Math.round(ms + w.text.length * step));
      }
      out.push(json({ audio: b64(pcm()), isFinal: null, alignment: chars.length ? { chars, charStartTimesMs, charDurationsMs: chars.map(() => 0) } : null }));
      if (index === count - 1) out.push(json({ audio: null, isFinal: true }));
      break;
    }
    case 'cartesia':
      if (index === 0 && u.words.length > 0) {
        out.push(
          json({
            type: 'timestamps',
            context_id: u.id,
            status_code: 206,
            done: false,
            word_timestamps: {
              words: u.words.map((w) => w.text),
              start: u.words.map((w) => w.startSample / u.rate),
              end: u.words.map((w) => w.endSample / u.rate),
            },
          }),
        );
      }
      out.push(json({ type: 'chunk', context_id: u.id, status_code: 206, done: false, data: b64(pcm()), step_time: 0 }));
      if (index === count - 1) out.push(json({ type: 'done', context_id: u.id, status_code: 206, done: true }));
      break;
    case 'gemini-live':
      out.push(json({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: `audio/pcm;rate=${u.rate}`, data: b64(pcm()) } }] } } }));
      if (index === count - 1) out.push(json({ serverContent: { generationComplete: true } }), json({ serverContent: { turnComplete: true } }));
      break;
    case 'deepgram':
      out.push(pcm());
      if (index === count - 1) out.push(json({ type: 'Flushed', sequence_id: 0 }));
      break;
    case 'twilio':
      out.push(
        json({
          event: 'media',
          streamSid: 'MZmock',
          media: { track: 'outbound', chunk: String(index + 1), timestamp: String(Math.round((from / u.rate) * 1000)), payload: b64(float32ToMulaw(part)) },
        }),
      );
      // A mark after each word's audio, as a bridge marks what it sent.
      for (const w of u.words) if (w.endSample > from && w.endSample <= to) out.push(json({ event: 'mark', streamSid: 'MZmock', mark: { name: w.text } }));
      // The mock ends each reply with `stop` (a real stream stops once, at the call's end).
      if (index === count - 1) out.push(json({ event: 'stop', streamSid: 'MZmock' }));
      break;
  }
  return out;
}

/**
 * What the server must do about a message the service's client sent: stop sending utterance
 * `cancel` (null: all of them), send `reply`, and log `note`.
 */
export interface ClientAction {
  cancel?: string | null;
  reply?: string;
  note: string;
}

/** Reads a client message in `service`'s shapes (voxplay's `speak` is handled by the caller); null when it means nothing here. */
export function serviceClientMessage(service: ServiceName, message: Record<string, unknown>): ClientAction | null {
  switch (service) {
    case 'openai-realtime':
      if (message.type === 'conversation.item.truncate')
        return { cancel: String(message.item_id), note: `conversation.item.truncate ${String(message.item_id)} audio_end_ms ${String(message.audio_end_ms)}` };
      if (message.type === 'response.cancel') return { cancel: null, note: 'response.cancel' };
      return null;
    case 'cartesia':
      if (message.cancel === true) return { cancel: String(message.context_id), note: `cancel ${String(message.context_id)}` };
      return null;
    case 'deepgram':
      if (message.type === 'Clear') return { cancel: null, reply: json({ type: 'Cleared', sequence_id: 0 }), note: 'Clear' };
      return null;
    case 'twilio':
      if (message.event === 'mark') return { note: `mark ${JSON.stringify((message.mark as { name?: unknown } | undefined)?.name)} heard` };
      return null;
    default:
      return null;
  }
}
