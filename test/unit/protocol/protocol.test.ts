import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  FLAG_END,
  FLAG_START,
  HEADER_BYTES,
  MAX_CONTROL_CHARS,
  MAX_FRAME_BYTES,
  MAX_SAMPLE_RATE,
  MAX_TRACKED_UTTERANCES,
  MIN_SAMPLE_RATE,
  PROTOCOL_VERSION,
  SequenceTracker,
  decodeFrame,
  encodeControl,
  encodeFrame,
  parseClientControl,
  parseServerControl,
} from '../../../src/protocol';
import type { ClientControl, Codec, DecodeFrameResult, FrameErrorCode, FrameHeader, ServerControl } from '../../../src/protocol';
import { mulberry32 } from '../prng';

type EncodeHeader = Omit<FrameHeader, 'version'>;

const base: EncodeHeader = { codec: 'pcm16', sampleRate: 24000, utteranceId: 7, seq: 3, start: false, end: false };

function frameBytes(overrides: Partial<EncodeHeader> = {}, payload: Uint8Array = new Uint8Array([1, 2, 3, 4])): Uint8Array {
  return encodeFrame({ ...base, ...overrides }, payload);
}

function expectError(result: DecodeFrameResult, code: FrameErrorCode): string {
  if (result.ok) throw new Error(`expected ${code}, got ok`);
  expect(result.error.code).toBe(code);
  expect(result.error.message.length).toBeGreaterThan(0);
  return result.error.message;
}

function expectOk(result: DecodeFrameResult) {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.frame;
}

function detach(buf: ArrayBuffer): void {
  structuredClone(buf, { transfer: [buf] });
}

describe('frame round trips', () => {
  const flagCases = [
    { start: false, end: false },
    { start: true, end: false },
    { start: false, end: true },
    { start: true, end: true },
  ];

  for (const flags of flagCases) {
    it(`pcm16 with start=${flags.start} end=${flags.end}`, () => {
      const samples = new Int16Array([0, 1, -1, 32767, -32768, 12345]);
      const header: EncodeHeader = { ...base, ...flags, codec: 'pcm16', sampleRate: 16000, utteranceId: 42, seq: 9 };
      const bytes = encodeFrame(header, samples);
      expect(bytes.byteLength).toBe(HEADER_BYTES + samples.byteLength);
      expect(bytes[4]).toBe((flags.start ? FLAG_START : 0) | (flags.end ? FLAG_END : 0));
      const frame = expectOk(decodeFrame(bytes));
      expect(frame.header).toEqual({ ...header, version: PROTOCOL_VERSION });
      const dv = new DataView(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength);
      const back = Array.from({ length: samples.length }, (_, i) => dv.getInt16(i * 2, true));
      expect(back).toEqual(Array.from(samples));
    });

    it(`f32 with start=${flags.start} end=${flags.end}`, () => {
      const samples = new Float32Array([0, 0.5, -1, 1, 1e-7, -0.25]);
      const header: EncodeHeader = { ...base, ...flags, codec: 'f32', sampleRate: 48000, utteranceId: 1, seq: 0 };
      const frame = expectOk(decodeFrame(encodeFrame(header, samples.buffer)));
      expect(frame.header).toEqual({ ...header, version: PROTOCOL_VERSION });
      const dv = new DataView(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength);
      const back = Array.from({ length: samples.length }, (_, i) => dv.getFloat32(i * 4, true));
      expect(back).toEqual(Array.from(samples));
    });
  }

  it('writes the documented little-endian layout', () => {
    const bytes = encodeFrame({ codec: 'f32', sampleRate: 44100, utteranceId: 0x01020304, seq: 0xa0b0c0d0, start: true, end: false }, new Uint8Array([0xee]));
    expect(Array.from(bytes)).toEqual([
      0x56,
      0x58,
      1,
      2,
      1,
      0,
      0,
      0,
      0x44,
      0xac,
      0x00,
      0x00, // 44100
      0x04,
      0x03,
      0x02,
      0x01,
      0xd0,
      0xc0,
      0xb0,
      0xa0,
      0xee,
    ]);
  });

  it('accepts u32 and sample-rate boundaries', () => {
    for (const [utteranceId, seq, sampleRate] of [
      [0, 0, MIN_SAMPLE_RATE],
      [0xffff_ffff, 0xffff_ffff, MAX_SAMPLE_RATE],
    ]) {
      const frame = expectOk(decodeFrame(frameBytes({ utteranceId, seq, sampleRate })));
      expect(frame.header).toMatchObject({ utteranceId, seq, sampleRate });
    }
  });

  it('allows an empty end frame and odd-length payloads', () => {
    const end = expectOk(decodeFrame(frameBytes({ end: true }, new Uint8Array(0))));
    expect(end.payload.byteLength).toBe(0);
    expect(end.header.end).toBe(true);
    const odd = expectOk(decodeFrame(frameBytes({}, new Uint8Array([1, 2, 3]))));
    expect(odd.payload.byteLength).toBe(3);
  });

  it('copies only the bytes a payload view covers', () => {
    const big = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const frame = expectOk(decodeFrame(encodeFrame(base, new DataView(big.buffer, 2, 3))));
    expect(Array.from(frame.payload)).toEqual([1, 2, 3]);
  });

  it('decodes every input kind, payload as a view without copying', () => {
    const bytes = frameBytes({}, new Uint8Array([10, 20, 30, 40, 50]));
    // Odd offset inside a larger buffer, so nothing is accidentally aligned.
    const host = new ArrayBuffer(bytes.byteLength + 7);
    new Uint8Array(host).set(bytes, 3);
    const shared = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(shared).set(bytes);
    const inputs: [string, ArrayBuffer | ArrayBufferView, ArrayBufferLike, number][] = [
      ['Uint8Array', bytes, bytes.buffer, 0],
      ['ArrayBuffer', bytes.slice().buffer, new ArrayBuffer(0), 0],
      ['DataView at offset 3', new DataView(host, 3, bytes.byteLength), host, 3],
      ['Uint8Array at offset 3', new Uint8Array(host, 3, bytes.byteLength), host, 3],
      ['Buffer', Buffer.from(host, 3, bytes.byteLength), host, 3],
      // Outside the declared parameter type, but WebSocket data can be one.
      ['SharedArrayBuffer', shared as unknown as ArrayBuffer, shared, 0],
    ];
    for (const [name, input, buffer, offset] of inputs) {
      const frame = expectOk(decodeFrame(input));
      expect(Array.from(frame.payload), name).toEqual([10, 20, 30, 40, 50]);
      expect(Object.getPrototypeOf(frame.payload), name).toBe(Uint8Array.prototype);
      if (name === 'ArrayBuffer') {
        expect(frame.payload.buffer).toBe(input);
      } else {
        expect(frame.payload.buffer, name).toBe(buffer);
        expect(frame.payload.byteOffset, name).toBe(offset + HEADER_BYTES);
      }
    }
    // No copy: writes to the input show through the payload.
    const frame = expectOk(decodeFrame(bytes));
    bytes[HEADER_BYTES] = 99;
    expect(frame.payload[0]).toBe(99);
  });

  it('passes a decoded header back to encodeFrame unchanged', () => {
    const bytes = frameBytes({ start: true, seq: 0 });
    const frame = expectOk(decodeFrame(bytes));
    expect(encodeFrame(frame.header, frame.payload)).toEqual(bytes);
  });
});

describe('decodeFrame errors', () => {
  const valid = () => frameBytes();

  it('too-short', () => {
    expect(expectError(decodeFrame(new Uint8Array(0)), 'too-short')).toMatch(/0 bytes/);
    expect(expectError(decodeFrame(valid().subarray(0, HEADER_BYTES - 1)), 'too-short')).toMatch(/19 bytes.*20-byte header/);
  });

  it('bad-magic', () => {
    const b = valid();
    b[1] = 0x59;
    expect(expectError(decodeFrame(b), 'bad-magic')).toMatch(/0x56 0x59/);
  });

  it('unsupported-version', () => {
    const b = valid();
    b[2] = 2;
    expect(expectError(decodeFrame(b), 'unsupported-version')).toMatch(/version 2/);
    b[2] = 0;
    expectError(decodeFrame(b), 'unsupported-version');
  });

  it('unknown-codec', () => {
    const b = valid();
    b[3] = 9;
    expect(expectError(decodeFrame(b), 'unknown-codec')).toMatch(/codec 9/);
    b[3] = 0;
    expectError(decodeFrame(b), 'unknown-codec');
  });

  it('bad-flags', () => {
    const b = valid();
    b[4] = FLAG_START | 0x80;
    expect(expectError(decodeFrame(b), 'bad-flags')).toMatch(/0x81.*0x80/);
  });

  it('bad-reserved', () => {
    for (const i of [5, 6, 7]) {
      const b = valid();
      b[i] = 1;
      expectError(decodeFrame(b), 'bad-reserved');
    }
  });

  it('bad-sample-rate', () => {
    expect(expectError(decodeFrame(bytesWithRate(96000)), 'bad-sample-rate')).toBe('frame sample rate 96000 Hz is outside 8000–48000');
    expectError(decodeFrame(bytesWithRate(MIN_SAMPLE_RATE - 1)), 'bad-sample-rate');
    expectError(decodeFrame(bytesWithRate(MAX_SAMPLE_RATE + 1)), 'bad-sample-rate');
    expectError(decodeFrame(bytesWithRate(0)), 'bad-sample-rate');
    expect(expectError(decodeFrame(bytesWithRate(0xffff_ffff)), 'bad-sample-rate')).toMatch(/4294967295 Hz/);

    function bytesWithRate(rate: number): Uint8Array {
      const b = valid();
      new DataView(b.buffer).setUint32(8, rate, true);
      return b;
    }
  });

  it('empty-payload', () => {
    const b = frameBytes({ end: true }, new Uint8Array(0));
    b[4] = FLAG_START; // clear END
    expect(expectError(decodeFrame(b), 'empty-payload')).toMatch(/frame 3 of utterance 7/);
  });

  it('oversized, and exactly MAX_FRAME_BYTES is fine', () => {
    const max = frameBytes({}, new Uint8Array(MAX_FRAME_BYTES - HEADER_BYTES));
    expect(expectOk(decodeFrame(max)).payload.byteLength).toBe(MAX_FRAME_BYTES - HEADER_BYTES);
    const over = new Uint8Array(MAX_FRAME_BYTES + 1);
    over.set(max);
    expect(expectError(decodeFrame(over), 'oversized')).toMatch(/4194305 bytes/);
  });

  it('reports the first problem in wire order', () => {
    const b = valid();
    b[2] = 9; // version
    b[3] = 9; // codec
    b[5] = 9; // reserved
    expectError(decodeFrame(b), 'unsupported-version');
  });

  it('never throws on detached buffers or non-binary input', () => {
    const buf = frameBytes().buffer as ArrayBuffer;
    const view = new Uint8Array(buf);
    detach(buf);
    expectError(decodeFrame(buf), 'too-short');
    expectError(decodeFrame(view), 'too-short');
    const junk: unknown[] = [
      null,
      undefined,
      'VX',
      42,
      {},
      [0x56, 0x58, 1, 1, 0, 0, 0, 0],
      { [Symbol.toStringTag]: 'ArrayBuffer', byteLength: 100 },
      new Proxy(new Uint8Array(32), {}),
    ];
    for (const value of junk) {
      expect(expectError(decodeFrame(value as ArrayBuffer), 'too-short')).toMatch(/not an ArrayBuffer/);
    }
  });
});

describe('encodeFrame validation', () => {
  const cases: [string, Partial<EncodeHeader> & { version?: number }, RegExp][] = [
    ['version', { version: 2 } as Partial<EncodeHeader>, /version 2/],
    ['codec', { codec: 'aac' as Codec }, /codec "aac"/],
    ['sampleRate high', { sampleRate: 96000 }, /sampleRate 96000/],
    ['sampleRate fractional', { sampleRate: 22050.5 }, /sampleRate 22050.5/],
    ['utteranceId negative', { utteranceId: -1 }, /utteranceId -1 is not a u32/],
    ['utteranceId 2^32', { utteranceId: 2 ** 32 }, /utteranceId 4294967296/],
    ['utteranceId NaN', { utteranceId: NaN }, /utteranceId NaN/],
    ['utteranceId string', { utteranceId: '5' as unknown as number }, /utteranceId "5"/],
    ['seq fractional', { seq: 1.5 }, /seq 1.5/],
    ['seq Infinity', { seq: Infinity }, /seq Infinity/],
    ['start', { start: 1 as unknown as boolean }, /start 1 is not a boolean/],
    ['end', { end: undefined as unknown as boolean }, /end undefined/],
  ];
  for (const [name, overrides, message] of cases) {
    it(`rejects bad ${name}`, () => {
      expect(() => encodeFrame({ ...base, ...overrides }, new Uint8Array(2))).toThrow(RangeError);
      expect(() => encodeFrame({ ...base, ...overrides }, new Uint8Array(2))).toThrow(message);
    });
  }

  it('rejects an empty non-end payload and an oversized payload', () => {
    expect(() => encodeFrame(base, new Uint8Array(0))).toThrow(/payload is empty/);
    expect(() => encodeFrame(base, new Uint8Array(MAX_FRAME_BYTES - HEADER_BYTES + 1))).toThrow(RangeError);
  });
});

/**
 * Independent reading of docs/protocol.md, used as the fuzzer's oracle: what
 * decodeFrame must report for these bytes (null = accept).
 */
function specVerdict(b: Uint8Array): FrameErrorCode | null {
  if (b.byteLength > MAX_FRAME_BYTES) return 'oversized';
  if (b.byteLength < 20) return 'too-short';
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint16(0, false) !== 0x5658) return 'bad-magic';
  if (dv.getUint8(2) !== 1) return 'unsupported-version';
  if (![1, 2, 3, 4, 5, 6, 7, 8].includes(dv.getUint8(3))) return 'unknown-codec';
  if (dv.getUint8(4) > 3) return 'bad-flags';
  if (dv.getUint8(5) | dv.getUint8(6) | dv.getUint8(7)) return 'bad-reserved';
  const rate = dv.getUint32(8, true);
  if (rate < 8000 || rate > 48000) return 'bad-sample-rate';
  if (b.byteLength === 20 && (dv.getUint8(4) & 2) === 0) return 'empty-payload';
  return null;
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

describe('decodeFrame fuzzing', () => {
  it('never throws; accepts exactly what the spec accepts; ok results stay in bounds and re-encode identically', () => {
    const rand = mulberry32(0x5eed_f00d);
    const int = (n: number) => Math.floor(rand() * n);
    const u32 = () => int(2 ** 32);
    const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
    const interestingRates = [0, 7999, 8000, 16000, 22050, 24000, 44100, 48000, 48001, 96000, 0xffff_ffff];

    function validFrame(): Uint8Array {
      const end = rand() < 0.3;
      const len = end && rand() < 0.3 ? 0 : 1 + int(64);
      return encodeFrame(
        {
          codec: rand() < 0.5 ? 'pcm16' : 'f32',
          sampleRate: MIN_SAMPLE_RATE + int(MAX_SAMPLE_RATE - MIN_SAMPLE_RATE + 1),
          utteranceId: rand() < 0.1 ? 0xffff_ffff : u32(),
          seq: rand() < 0.1 ? 0xffff_ffff : u32(),
          start: rand() < 0.5,
          end,
        },
        randomBytes(len),
      );
    }

    function mutate(): Uint8Array {
      const kind = int(8);
      const b = validFrame();
      switch (kind) {
        case 0: // pure noise, lengths around the header size
          return randomBytes(int(48));
        case 1: // noise behind a valid magic and version, to reach the deeper checks
          return Uint8Array.from([0x56, 0x58, 1, ...randomBytes(int(48))]);
        case 2: // truncation
          return b.subarray(0, int(b.byteLength + 1));
        case 3: {
          // 1–3 bit flips
          const flips = 1 + int(3);
          for (let i = 0; i < flips; i++) b[int(b.byteLength)] ^= 1 << int(8);
          return b;
        }
        case 4: // overwrite one header byte
          b[int(HEADER_BYTES)] = int(256);
          return b;
        case 5: // absurd or boundary sample rates
          new DataView(b.buffer).setUint32(8, interestingRates[int(interestingRates.length)], true);
          return b;
        case 6: // extended with trailing garbage (becomes payload)
          return Uint8Array.from([...b, ...randomBytes(int(16))]);
        default:
          return b;
      }
    }

    const seen = new Map<string, number>();
    const iterations = 6000;
    for (let i = 0; i < iterations; i++) {
      const bytes = mutate();
      // Vary where the frame sits and how it is passed in.
      const offset = int(8);
      const host = new ArrayBuffer(offset + bytes.byteLength + int(8));
      const view = new Uint8Array(host, offset, bytes.byteLength);
      view.set(bytes);
      const asKind = int(3);
      const input: ArrayBuffer | ArrayBufferView = asKind === 0 ? view : asKind === 1 ? new DataView(host, offset, bytes.byteLength) : view.slice().buffer;
      const inputBuffer = asKind === 2 ? (input as ArrayBuffer) : host;
      const inputOffset = asKind === 2 ? 0 : offset;

      let result: DecodeFrameResult;
      try {
        result = decodeFrame(input);
      } catch (e) {
        throw new Error(`iteration ${i}: decodeFrame threw ${String(e)} on ${Buffer.from(bytes).toString('hex')}`, { cause: e });
      }
      const verdict = specVerdict(bytes);
      const key = result.ok ? 'ok' : result.error.code;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (verdict !== (result.ok ? null : result.error.code)) {
        throw new Error(`iteration ${i}: spec says ${verdict}, decodeFrame says ${key} for ${Buffer.from(bytes).toString('hex')}`);
      }
      if (!result.ok) continue;

      // Plain checks rather than expect(): this runs thousands of times.
      const { header, payload } = result.frame;
      const problems = [
        payload.buffer !== inputBuffer && 'payload is not a view of the input',
        payload.byteOffset !== inputOffset + HEADER_BYTES && 'payload starts in the wrong place',
        payload.byteOffset + payload.byteLength !== inputOffset + bytes.byteLength && 'payload ends in the wrong place',
        header.version !== PROTOCOL_VERSION && 'version',
        !['pcm16', 'f32', 'mulaw', 'alaw', 'wav', 'ogg-opus', 'opus'].includes(header.codec) && 'codec',
        !(Number.isInteger(header.sampleRate) && header.sampleRate >= MIN_SAMPLE_RATE && header.sampleRate <= MAX_SAMPLE_RATE) && 'sampleRate',
        !isU32(header.utteranceId) && 'utteranceId',
        !isU32(header.seq) && 'seq',
        typeof header.start !== 'boolean' && 'start',
        typeof header.end !== 'boolean' && 'end',
        payload.byteLength === 0 && !header.end && 'empty non-end payload',
        // Every header byte is validated, so an accepted frame is canonical.
        Buffer.compare(encodeFrame(header, payload), bytes) !== 0 && 're-encoding differs',
      ].filter(Boolean);
      if (problems.length > 0) {
        throw new Error(`iteration ${i}: ${problems.join(', ')} for ${Buffer.from(bytes).toString('hex')}`);
      }
    }

    // The fuzzer is only worth something if it reaches every outcome.
    for (const code of [
      'ok',
      'too-short',
      'bad-magic',
      'unsupported-version',
      'unknown-codec',
      'bad-flags',
      'bad-reserved',
      'bad-sample-rate',
      'empty-payload',
    ]) {
      expect(seen.get(code) ?? 0, code).toBeGreaterThan(0);
    }
    expect(seen.get('ok')!).toBeGreaterThan(iterations / 10);
  });

  it('absurd lengths: empty, header-only, huge, just over the limit', () => {
    const rand = mulberry32(99);
    for (const n of [0, 1, 19, 20, 21, MAX_FRAME_BYTES + 1, 8 * MAX_FRAME_BYTES]) {
      const b = new Uint8Array(n);
      b.set([0x56, 0x58, 1, 1, FLAG_END, 0, 0, 0, 0x40, 0x1f].slice(0, n)); // 0x1f40 = 8000 Hz
      for (let i = 10; i < Math.min(n, 64); i++) b[i] = Math.floor(rand() * 256);
      if (n >= 20) b.fill(0, 5, 8);
      const result = decodeFrame(b);
      expect(result.ok ? null : result.error.code, `length ${n}`).toBe(specVerdict(b));
    }
  });
});

describe('control messages', () => {
  const server = (v: unknown) => parseServerControl(typeof v === 'string' ? v : JSON.stringify(v));
  const client = (v: unknown) => parseClientControl(typeof v === 'string' ? v : JSON.stringify(v));

  function errorOf(r: ReturnType<typeof parseServerControl> | ReturnType<typeof parseClientControl>) {
    if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.message)}`);
    return r.error;
  }

  it('parses every server message and drops unknown fields', () => {
    expect(server({ type: 'start', utteranceId: '1', sampleRate: 24000, format: 'f32', text: 'hi', extra: [1] })).toEqual({
      ok: true,
      message: { type: 'start', utteranceId: '1', sampleRate: 24000, format: 'f32', text: 'hi' },
    });
    expect(server({ type: 'start', utteranceId: 'u' })).toEqual({ ok: true, message: { type: 'start', utteranceId: 'u' } });
    expect(server({ type: 'end', utteranceId: 'u', seq: 3 })).toEqual({ ok: true, message: { type: 'end', utteranceId: 'u' } });
    expect(server({ type: 'error', message: 'tts backend down' })).toEqual({
      ok: true,
      message: { type: 'error', message: 'tts backend down' },
    });
  });

  it('treats null optional fields as absent', () => {
    expect(server({ type: 'start', utteranceId: 'u', sampleRate: null, format: null, text: null })).toEqual({
      ok: true,
      message: { type: 'start', utteranceId: 'u' },
    });
    expect(client({ type: 'speak', text: 'x', options: null })).toEqual({ ok: true, message: { type: 'speak', text: 'x' } });
  });

  it('parses every client message', () => {
    expect(client({ type: 'interrupt', utteranceId: null })).toEqual({ ok: true, message: { type: 'interrupt', utteranceId: null } });
    expect(client({ type: 'interrupt', utteranceId: '12' })).toEqual({ ok: true, message: { type: 'interrupt', utteranceId: '12' } });
    expect(client({ type: 'speak', text: 'Hello', options: { voice: 'a', speed: 1.2 } })).toEqual({
      ok: true,
      message: { type: 'speak', text: 'Hello', options: { voice: 'a', speed: 1.2 } },
    });
  });

  it('rejects non-JSON', () => {
    for (const text of ['', 'not json', '{"type":', "{'type':'end'}", '\u0000', '{"type":"end","utteranceId":"1"} x']) {
      expect(errorOf(server(text)).code, text).toBe('not-json');
    }
    expect(errorOf(parseServerControl(42 as unknown as string)).code).toBe('not-json');
  });

  it('rejects non-objects', () => {
    for (const text of ['[]', '[{"type":"end","utteranceId":"1"}]', 'null', '1', '"start"', 'true']) {
      const e = errorOf(server(text));
      expect(e.code, text).toBe('not-object');
      expect(errorOf(client(text)).code, text).toBe('not-object');
    }
    expect(errorOf(server('[]')).message).toBe('control message must be a JSON object (got an array)');
  });

  it('rejects unknown types, including the other direction', () => {
    expect(errorOf(server({ type: 'foo' }))).toEqual({
      code: 'unknown-type',
      message: 'control message type "foo" is unknown (server messages are "start", "end", "mark", "error")',
    });
    expect(errorOf(server({ type: 'speak', text: 'x' })).code).toBe('unknown-type');
    expect(errorOf(client({ type: 'start', utteranceId: '1' })).code).toBe('unknown-type');
    // Not fooled by Object.prototype.
    expect(errorOf(server({ type: 'toString' })).code).toBe('unknown-type');
    expect(errorOf(server('{"__proto__":{"type":"end"},"utteranceId":"1"}')).code).toBe('bad-field');
  });

  it('rejects a missing or non-string type as bad-field', () => {
    for (const v of [{}, { type: 1 }, { type: null }, { type: ['end'] }]) {
      expect(errorOf(server(v)).code).toBe('bad-field');
    }
    expect(errorOf(server({})).message).toBe('control field "type" must be a string (got missing)');
  });

  it('rejects wrong field types, naming field and value', () => {
    const bad: [unknown, RegExp][] = [
      [{ type: 'start' }, /"utteranceId".*got missing/],
      [{ type: 'start', utteranceId: 5 }, /"utteranceId".*got 5/],
      [{ type: 'start', utteranceId: '' }, /"utteranceId" must be a non-empty string of at most 256/],
      [{ type: 'start', utteranceId: 'x'.repeat(257) }, /"utteranceId"/],
      [{ type: 'start', utteranceId: 'u', sampleRate: '24000' }, /"sampleRate" must be an integer in 8000–48000 \(got "24000"\)/],
      [{ type: 'start', utteranceId: 'u', sampleRate: 24000.5 }, /"sampleRate"/],
      [{ type: 'start', utteranceId: 'u', sampleRate: 96000 }, /got 96000/],
      [
        { type: 'start', utteranceId: 'u', format: 'aac' },
        /"format" must be "pcm16", "f32", "mulaw", "alaw", "wav", "ogg-opus", "opus" or "mp3" \(got "aac"\)/,
      ],
      [{ type: 'start', utteranceId: 'u', text: 3 }, /"text"/],
      [{ type: 'end', utteranceId: null }, /"utteranceId".*got null/],
      [{ type: 'error' }, /"message" must be a string/],
      [{ type: 'error', message: { text: 'x' } }, /got an object/],
    ];
    for (const [v, message] of bad) {
      const e = errorOf(server(v));
      expect(e.code, JSON.stringify(v)).toBe('bad-field');
      expect(e.message).toMatch(message);
    }
    expect(server({ type: 'end', utteranceId: 'x'.repeat(256) }).ok).toBe(true);

    const badClient: unknown[] = [
      { type: 'interrupt' },
      { type: 'interrupt', utteranceId: 3 },
      { type: 'interrupt', utteranceId: '' },
      { type: 'speak' },
      { type: 'speak', text: null },
      { type: 'speak', text: 'x', options: [] },
      { type: 'speak', text: 'x', options: 'fast' },
    ];
    for (const v of badClient) expect(errorOf(client(v)).code, JSON.stringify(v)).toBe('bad-field');
  });

  it('caps parsed text at MAX_CONTROL_CHARS', () => {
    const pad = (n: number) => {
      const head = '{"type":"error","message":"';
      return head + 'a'.repeat(n - head.length - 2) + '"}';
    };
    expect(pad(MAX_CONTROL_CHARS).length).toBe(MAX_CONTROL_CHARS);
    expect(server(pad(MAX_CONTROL_CHARS)).ok).toBe(true);
    const e = errorOf(server(pad(MAX_CONTROL_CHARS + 1)));
    expect(e.code).toBe('oversized');
    expect(e.message).toMatch(/1048577 characters exceeds the 1048576-character limit/);
  });

  it('keeps error messages short for huge values', () => {
    expect(errorOf(server({ type: 'x'.repeat(100_000) })).message.length).toBeLessThan(200);
  });

  it('encodeControl round-trips, canonically', () => {
    const serverMsgs: ServerControl[] = [
      { type: 'start', utteranceId: '1', sampleRate: 22050, format: 'pcm16', text: 'héllo "quoted"' },
      { type: 'start', utteranceId: '4294967295' },
      { type: 'end', utteranceId: '1' },
      { type: 'error', message: 'boom' },
    ];
    for (const m of serverMsgs) expect(parseServerControl(encodeControl(m))).toEqual({ ok: true, message: m });
    const clientMsgs: ClientControl[] = [
      { type: 'interrupt', utteranceId: null },
      { type: 'interrupt', utteranceId: 'abc' },
      { type: 'speak', text: 'hi', options: { voice: 'x', nested: { a: [1, 2] } } },
    ];
    for (const m of clientMsgs) expect(parseClientControl(encodeControl(m))).toEqual({ ok: true, message: m });
    const withExtra = { type: 'end', utteranceId: '1', secret: 'x' } as ServerControl;
    expect(encodeControl(withExtra)).toBe('{"type":"end","utteranceId":"1"}');
    expect(encodeControl({ utteranceId: 'u', type: 'start', text: undefined } as ServerControl)).toBe('{"type":"start","utteranceId":"u"}');
  });

  it('parses and round-trips mark messages; rejects malformed ones naming the field', () => {
    const mark: ServerControl = { type: 'mark', utteranceId: '7', sampleOffset: 4800, name: 'héllo' };
    expect(parseServerControl(encodeControl(mark))).toEqual({ ok: true, message: mark });
    expect(server({ type: 'mark', utteranceId: '7', sampleOffset: 0, name: '' })).toEqual({
      ok: true,
      message: { type: 'mark', utteranceId: '7', sampleOffset: 0, name: '' },
    });
    for (const [bad, field] of [
      [{ type: 'mark', utteranceId: '7', sampleOffset: -1, name: 'a' }, 'sampleOffset'],
      [{ type: 'mark', utteranceId: '7', sampleOffset: 1.5, name: 'a' }, 'sampleOffset'],
      [{ type: 'mark', utteranceId: '7', sampleOffset: '10', name: 'a' }, 'sampleOffset'],
      [{ type: 'mark', utteranceId: '7', sampleOffset: 2 ** 32, name: 'a' }, 'sampleOffset'],
      [{ type: 'mark', utteranceId: '7', sampleOffset: 1 }, 'name'],
      [{ type: 'mark', utteranceId: '7', sampleOffset: 1, name: 'x'.repeat(5000) }, 'name'],
      [{ type: 'mark', sampleOffset: 1, name: 'a' }, 'utteranceId'],
    ] as const) {
      const error = errorOf(server(bad));
      expect(error.code).toBe('bad-field');
      expect(error.message).toContain(`"${field}"`);
    }
  });

  it('encodeControl rejects what the peer would reject', () => {
    expect(() => encodeControl({ type: 'end', utteranceId: '' })).toThrow(RangeError);
    expect(() => encodeControl({ type: 'start', utteranceId: 'u', sampleRate: 1 })).toThrow(/"sampleRate"/);
    expect(() => encodeControl({ type: 'nope' } as unknown as ServerControl)).toThrow(/type "nope" is unknown/);
    expect(() => encodeControl({ type: 'error', message: 'x'.repeat(MAX_CONTROL_CHARS) })).toThrow(/character limit/);
  });
});

describe('SequenceTracker', () => {
  it('accepts an in-order stream', () => {
    const t = new SequenceTracker();
    for (let seq = 0; seq < 10; seq++) expect(t.check(1, seq)).toEqual({ kind: 'ok' });
    expect(t.size).toBe(1);
  });

  it('reports a first frame other than 0 as a gap of `got` frames', () => {
    const t = new SequenceTracker();
    expect(t.check(1, 3)).toEqual({ kind: 'gap', missing: 3, expected: 0, got: 3 });
    expect(t.check(1, 4)).toEqual({ kind: 'ok' });
  });

  it('reports a gap once, then resynchronises', () => {
    const t = new SequenceTracker();
    t.check('a', 0);
    t.check('a', 1);
    expect(t.check('a', 5)).toEqual({ kind: 'gap', missing: 3, expected: 2, got: 5 });
    expect(t.check('a', 6)).toEqual({ kind: 'ok' });
  });

  it('reports duplicates and late frames without moving the expectation', () => {
    const t = new SequenceTracker();
    t.check(1, 0);
    t.check(1, 1);
    expect(t.check(1, 1)).toEqual({ kind: 'duplicate-or-reordered', expected: 2, got: 1 });
    expect(t.check(1, 0)).toEqual({ kind: 'duplicate-or-reordered', expected: 2, got: 0 });
    expect(t.check(1, 2)).toEqual({ kind: 'ok' });
    // Swapped pair: 4 arrives before 3.
    expect(t.check(1, 4)).toEqual({ kind: 'gap', missing: 1, expected: 3, got: 4 });
    expect(t.check(1, 3)).toEqual({ kind: 'duplicate-or-reordered', expected: 5, got: 3 });
    expect(t.check(1, 5)).toEqual({ kind: 'ok' });
  });

  it('tracks utterances independently; numeric and string ids are the same utterance', () => {
    const t = new SequenceTracker();
    t.check(7, 0);
    t.check(8, 0);
    expect(t.check('7', 1)).toEqual({ kind: 'ok' });
    expect(t.check(8, 1)).toEqual({ kind: 'ok' });
    expect(t.size).toBe(2);
  });

  it('forget restarts an utterance at 0', () => {
    const t = new SequenceTracker();
    t.check(1, 0);
    t.check(1, 1);
    t.forget('1');
    expect(t.size).toBe(0);
    expect(t.check(1, 0)).toEqual({ kind: 'ok' });
    t.forget(99); // unknown id is a no-op
    expect(t.size).toBe(1);
  });

  it(`holds at most ${MAX_TRACKED_UTTERANCES} utterances, evicting the least recently checked`, () => {
    const t = new SequenceTracker();
    for (let id = 0; id < MAX_TRACKED_UTTERANCES; id++) t.check(id, 0);
    expect(t.size).toBe(MAX_TRACKED_UTTERANCES);
    t.check(0, 1); // touch 0, so 1 is now the least recent
    t.check(1000, 0);
    expect(t.size).toBe(MAX_TRACKED_UTTERANCES);
    expect(t.check(0, 2)).toEqual({ kind: 'ok' });
    // 1 was evicted: it is new again, so seq 1 looks like a gap from 0.
    expect(t.check(1, 1)).toEqual({ kind: 'gap', missing: 1, expected: 0, got: 1 });
    expect(t.size).toBe(MAX_TRACKED_UTTERANCES);
    for (let id = 2000; id < 2000 + 10 * MAX_TRACKED_UTTERANCES; id++) t.check(id, 0);
    expect(t.size).toBe(MAX_TRACKED_UTTERANCES);
  });

  it('handles the u32 seq ceiling and rejects non-u32 seq', () => {
    const t = new SequenceTracker();
    expect(t.check(1, 0xffff_ffff)).toEqual({ kind: 'gap', missing: 0xffff_ffff, expected: 0, got: 0xffff_ffff });
    expect(t.check(1, 0xffff_ffff).kind).toBe('duplicate-or-reordered');
    for (const seq of [-1, 1.5, NaN, 2 ** 32]) expect(() => t.check(2, seq)).toThrow(RangeError);
    expect(t.size).toBe(1);
  });
});
