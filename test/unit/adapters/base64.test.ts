import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../../src/adapters/base64';
import { mulberry32 } from '../prng';

describe('decodeBase64', () => {
  it('decodes what Node encodes, every length and byte value, padded, unpadded and URL-safe', () => {
    const rnd = mulberry32(7);
    for (let n = 0; n < 300; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
      const text = bytes.toString('base64');
      expect(Buffer.from(decodeBase64(text)).equals(bytes), `length ${n}`).toBe(true);
      expect(Buffer.from(decodeBase64(text.replace(/=+$/, ''))).equals(bytes)).toBe(true);
      expect(Buffer.from(decodeBase64(bytes.toString('base64url'))).equals(bytes)).toBe(true);
    }
  });

  it('skips line breaks and names a character outside the alphabet', () => {
    expect(Array.from(decodeBase64('AAEC\r\nAwQF'))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => decodeBase64('AAE*')).toThrow(/not base64: "\*" at position 3/);
  });
});
