import { StreamPlayer } from 'voxplay';

/**
 * Creates and starts the player for 24 kHz PCM16 speech. When the browser wants a user
 * gesture before audio may start (state `blocked`: the autoplay policy, or an iOS
 * interruption it will not end by itself), the next click, tap or key press resumes it;
 * audio pushed meanwhile is kept.
 */
export async function startPlayer(): Promise<StreamPlayer> {
  const player = new StreamPlayer({ sampleRate: 24000, format: 'pcm16' });
  player.on('error', (e) => console.warn(`voxplay ${e.code}: ${e.message}`));
  player.unlockOnGesture();
  await player.start();
  return player;
}
