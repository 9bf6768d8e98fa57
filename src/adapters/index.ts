/**
 * Service adapters (the `voxplay/adapters` entry): each wires a voice service's own socket,
 * which the app opens and keeps, to a `StreamPlayer`: the service's audio plays gapless
 * through the player's one ingest policy, its word timings become marks, its interrupt
 * events interrupt the player, and what the listener heard goes back to the service where it
 * has a message for it. Malformed service messages are `bad-control` errors on the player;
 * playback goes on.
 *
 * @packageDocumentation
 */

export { connectOpenAIRealtime } from './openai-realtime.js';
export type { OpenAIRealtimeOptions, OpenAIRealtimeSession, RealtimeAudioFormat } from './openai-realtime.js';
export { connectElevenLabs, connectElevenLabsAgent, elevenLabsAudio } from './elevenlabs.js';
export type { ElevenLabsAgentOptions, ElevenLabsOptions, ElevenLabsOutputFormat } from './elevenlabs.js';
export { connectCartesia } from './cartesia.js';
export type { CartesiaEncoding, CartesiaOptions } from './cartesia.js';
export { connectGeminiLive } from './gemini-live.js';
export { connectDeepgram } from './deepgram.js';
export type { DeepgramEncoding, DeepgramOptions } from './deepgram.js';
export { connectTwilio } from './twilio.js';
export { playOpenAISpeechEvents } from './openai-speech-sse.js';
export type { OpenAISpeechEventsOptions } from './openai-speech-sse.js';
export { decodeBase64 } from './base64.js';
export type { AdapterSession, ServiceSocket } from './service.js';
