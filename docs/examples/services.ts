import type { StreamPlayer } from 'voxplay';
import { connectCartesia, connectDeepgram, connectElevenLabsAgent, connectGeminiLive, connectTwilio, type AdapterSession } from 'voxplay/adapters';

// One line per service: the app opens (and authenticates) the socket and keeps it; the
// adapter plays the audio and answers the service where it expects an answer.

/** Cartesia TTS socket; requests ask for `output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 24000 }`. */
export const playCartesia = (player: StreamPlayer, ws: WebSocket): AdapterSession => connectCartesia(player, ws, { encoding: 'pcm_s16le', sampleRate: 24000 });

/** Gemini Live (BidiGenerateContent) with an audio response modality: 24 kHz PCM. */
export const playGemini = (player: StreamPlayer, ws: WebSocket): AdapterSession => connectGeminiLive(player, ws);

/** Deepgram Aura speak socket opened with `encoding=linear16&sample_rate=24000`. */
export const playDeepgram = (player: StreamPlayer, ws: WebSocket): AdapterSession => connectDeepgram(player, ws, { encoding: 'linear16', sampleRate: 24000 });

/** A Twilio-style media stream (μ-law 8 kHz): marks go back once heard, `clear` interrupts. */
export const playTwilio = (player: StreamPlayer, ws: WebSocket): AdapterSession => connectTwilio(player, ws);

/** An ElevenLabs conversational agent socket: its output format comes from the initiation metadata. */
export const playElevenLabsAgent = (player: StreamPlayer, ws: WebSocket): AdapterSession => connectElevenLabsAgent(player, ws);
