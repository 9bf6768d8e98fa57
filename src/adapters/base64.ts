/**
 * Base64 → bytes for the JSON services that carry audio as base64 text. Uses
 * `Uint8Array.fromBase64` where the engine has it (native, one pass); else a table decoder
 * that writes straight into the result: no `atob` string, no per-character string work on
 * the hot path. Whitespace is skipped; anything else outside the alphabet is an error.
 */

const TABLE = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) TABLE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
// The URL-safe alphabet decodes too (some services use it).
TABLE[0x2d] = 62;
TABLE[0x5f] = 63;

type FromBase64 = (text: string) => Uint8Array;
const native = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;

/** Decodes base64 (standard or URL-safe, padded or not); throws a TypeError naming the bad character. */
export function decodeBase64(text: string): Uint8Array {
  if (native && !/[-_\s]/.test(text)) {
    try {
      return native(text);
    } catch {
      // fall through: the table decoder names the offending character
    }
  }
  let length = text.length;
  while (length > 0 && text.charCodeAt(length - 1) === 0x3d) length--; // '=' padding
  const out = new Uint8Array(Math.floor((length * 3) / 4));
  let bits = 0;
  let count = 0;
  let at = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 256 ? TABLE[code] : -1;
    if (value < 0) {
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) continue;
      throw new TypeError(`not base64: ${JSON.stringify(text[i])} at position ${i}`);
    }
    bits = ((bits << 6) | value) & 0xffffff;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[at++] = (bits >> count) & 0xff;
    }
  }
  return at === out.length ? out : out.subarray(0, at);
}
