import type { StreamConfig } from './webcodecs-stream.js';

/** Opus always decodes at 48 kHz. */
export const OPUS_RATE = 48000;

/** The WebCodecs stream config for Opus with `channels` channels (20 ms packets, nominal). */
export function opusConfig(channels: number): StreamConfig {
  return { codec: 'opus', label: 'Opus', sampleRate: OPUS_RATE, channels, packetSamples: 960 };
}
