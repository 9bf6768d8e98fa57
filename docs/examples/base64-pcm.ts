/**
 * Decodes base64 text, the way JSON-based speech APIs carry audio, into the bytes
 * `player.push()` takes. PCM16 needs no other conversion: the player decodes it.
 */
export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
