import type { StreamPlayer } from 'voxplay';
import { decodeBase64 } from 'voxplay/adapters';

/**
 * Pushes one base64 audio chunk of a JSON message (PCM16 here; name another `format` in the
 * push options). `decodeBase64` writes the bytes straight into a Uint8Array (native
 * `Uint8Array.fromBase64` where the browser has it): no `atob` string on the hot path.
 */
export function pushBase64(player: StreamPlayer, utteranceId: string, base64: string): boolean {
  return player.push(decodeBase64(base64), { utteranceId });
}
