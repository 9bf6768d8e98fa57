/**
 * The error a decoder throws for input it cannot decode. A plain Error with a `code`, not a
 * VoxplayError: decoders load as separate chunks, and importing the player's error class
 * would pull a shared chunk into `voxplay.js`'s static imports (an app that copies only
 * `voxplay.js` would break). The player turns it into a VoxplayError with the same code.
 */
export type DecodeErrorCode = 'bad-frame' | 'unsupported-codec';

/** An Error carrying a decode error code. */
export type DecodeError = Error & { code: DecodeErrorCode };

/** Makes a decode error. */
export function decodeError(code: DecodeErrorCode, message: string): DecodeError {
  return Object.assign(new Error(message), { code });
}

/** The code of a decode error, or null for any other thrown value. */
export function decodeErrorCode(value: unknown): DecodeErrorCode | null {
  const code = value instanceof Error ? (value as Partial<DecodeError>).code : undefined;
  return code === 'bad-frame' || code === 'unsupported-codec' ? code : null;
}
