import type { DecodeError, DecodeErrorCode } from './codec.js';

/**
 * Makes the error a decoder throws for input it cannot decode (see {@link DecodeError}).
 * Only the lazily loaded decoders import this module, so it travels with their chunks and
 * `voxplay.js` keeps no static imports; the player reads the code with `decodeErrorCode`.
 */
export function decodeError(code: DecodeErrorCode, message: string): DecodeError {
  return Object.assign(new Error(message), { code });
}
