import { StreamPlayer } from 'voxplay';

/**
 * Creates and starts the player for 24 kHz PCM16 speech. When the browser wants a user
 * gesture before audio may start (state `blocked`), the next click resumes it; audio
 * pushed meanwhile is kept.
 */
export async function startPlayer(): Promise<StreamPlayer> {
  const player = new StreamPlayer({ sampleRate: 24000, format: 'pcm16' });
  player.on('error', (e) => console.warn(`voxplay ${e.code}: ${e.message}`));
  await player.start();
  if (player.state === 'blocked') document.addEventListener('click', () => void player.resume(), { once: true });
  return player;
}
