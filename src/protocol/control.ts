/**
 * JSON text control messages, both directions. See docs/protocol.md.
 *
 * Invariants:
 * - The parsers never throw; they return the first problem found.
 * - A parsed message is a fresh object holding only the fields of its type,
 *   each of the declared type: unknown fields are dropped, and an optional
 *   field sent as `null` is treated as absent (servers that serialise unset
 *   optionals as `null` interoperate).
 * - `encodeControl` only produces text the matching parser accepts, with
 *   `type` first and the other fields in a fixed order.
 *
 * @packageDocumentation
 */

import { describeFormats, isAudioFormat, type AudioFormat } from '../codecs/formats.js';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from './frame.js';

/** Longest `utteranceId` accepted, in UTF-16 code units. */
export const MAX_UTTERANCE_ID_LENGTH = 256;

/**
 * Longest control message text parsed, in UTF-16 code units (1 MiB). Longer
 * text is rejected with `'oversized'` before `JSON.parse` sees it, which
 * bounds parse time and memory per message.
 */
export const MAX_CONTROL_CHARS = 1024 * 1024;

/** Longest mark `name` accepted, in UTF-16 code units. */
export const MAX_MARK_NAME_LENGTH = 4096;

/**
 * Server → client control messages.
 *
 * `start` and `end` bracket an utterance (in raw-PCM mode they are the only
 * boundaries). For framed utterances the id is `String(header.utteranceId)`.
 * `sampleRate` and `format` override the player options for that utterance; `text` and
 * `meta` (any JSON object) reach the page with the `utterancestart` event.
 * `mark` names a point of an utterance (e.g. a word): `sampleOffset` counts samples of
 * that utterance from its first, at its own rate; the player fires a `mark` event when
 * that sample reaches the speakers.
 */
export type ServerControl =
  | { type: 'start'; utteranceId: string; sampleRate?: number; format?: AudioFormat; text?: string; meta?: Record<string, unknown> }
  | { type: 'end'; utteranceId: string }
  | { type: 'mark'; utteranceId: string; sampleOffset: number; name: string }
  | { type: 'error'; message: string };

/**
 * Client → server control messages. `interrupt` with `utteranceId: null`
 * means "whatever is playing now" (barge-in); `speak` asks for synthesis.
 */
export type ClientControl = { type: 'interrupt'; utteranceId: string | null } | { type: 'speak'; text: string; options?: Record<string, unknown> };

/**
 * Why a control message was rejected. `'oversized'` (text over
 * {@link MAX_CONTROL_CHARS}) is checked first, then `'not-json'`,
 * `'not-object'` (null, array or primitive), `'unknown-type'` (a string
 * `type` this direction does not define), and `'bad-field'` (missing or
 * wrongly typed field, `type` included).
 */
export type ControlErrorCode = 'not-json' | 'not-object' | 'unknown-type' | 'bad-field' | 'oversized';

/** A rejected control message: a stable code and a message naming what was wrong. */
export interface ControlError {
  /** What kind of problem it was. */
  code: ControlErrorCode;
  /** Human-readable, e.g. `control message type "foo" is unknown`. */
  message: string;
}

/** Result of {@link parseServerControl} / {@link parseClientControl}. */
export type ParseControlResult<T> = { ok: true; message: T } | { ok: false; error: ControlError };

/** Thrown inside this module only; never escapes a parser. */
class FieldError {
  constructor(
    readonly code: ControlErrorCode,
    readonly message: string,
  ) {}
}

type Json = Record<string, unknown>;

/** Short, bounded rendering of a received value for error messages. */
function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return String(v);
}

// Own properties only: a message that happens to lack `type` must not pick
// up something from Object.prototype.
function get(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function bad(key: string, want: string, got: unknown): FieldError {
  return new FieldError('bad-field', `control field "${key}" must be ${want} (got ${describe(got)})`);
}

function requireString(obj: Json, key: string): string {
  const v = get(obj, key);
  if (typeof v !== 'string') throw bad(key, 'a string', v);
  return v;
}

function isUtteranceId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_UTTERANCE_ID_LENGTH;
}

const UTTERANCE_ID_WANT = `a non-empty string of at most ${MAX_UTTERANCE_ID_LENGTH} characters`;

function requireUtteranceId(obj: Json): string {
  const v = get(obj, 'utteranceId');
  if (!isUtteranceId(v)) throw bad('utteranceId', UTTERANCE_ID_WANT, v);
  return v;
}

/** Optional field: absent and `null` both mean "not given". */
function optional(obj: Json, key: string): unknown {
  const v = get(obj, key);
  return v === null ? undefined : v;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateServer(obj: Json, type: string): ServerControl {
  switch (type) {
    case 'start': {
      const utteranceId = requireUtteranceId(obj);
      const msg: ServerControl & { type: 'start' } = { type, utteranceId };
      const sampleRate = optional(obj, 'sampleRate');
      if (sampleRate !== undefined) {
        if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
          throw bad('sampleRate', `an integer in ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE}`, sampleRate);
        }
        msg.sampleRate = sampleRate;
      }
      const format = optional(obj, 'format');
      if (format !== undefined) {
        if (!isAudioFormat(format)) throw bad('format', describeFormats(), format);
        msg.format = format;
      }
      const text = optional(obj, 'text');
      if (text !== undefined) {
        if (typeof text !== 'string') throw bad('text', 'a string', text);
        msg.text = text;
      }
      // Anything else the app's server wants the page to have with the utterance (voice,
      // speaker, a turn id…): handed to the `utterancestart` event as it came.
      const meta = optional(obj, 'meta');
      if (meta !== undefined) {
        if (!isPlainObject(meta)) throw bad('meta', 'a JSON object', meta);
        msg.meta = meta;
      }
      return msg;
    }
    case 'end':
      return { type, utteranceId: requireUtteranceId(obj) };
    case 'mark': {
      const utteranceId = requireUtteranceId(obj);
      const sampleOffset = get(obj, 'sampleOffset');
      if (typeof sampleOffset !== 'number' || !Number.isInteger(sampleOffset) || sampleOffset < 0 || sampleOffset > 0xffffffff) {
        throw bad('sampleOffset', 'an integer from 0 to 4294967295', sampleOffset);
      }
      const name = get(obj, 'name');
      if (typeof name !== 'string' || name.length > MAX_MARK_NAME_LENGTH) throw bad('name', `a string of at most ${MAX_MARK_NAME_LENGTH} characters`, name);
      return { type, utteranceId, sampleOffset, name };
    }
    case 'error':
      return { type, message: requireString(obj, 'message') };
    default:
      throw new FieldError('unknown-type', `control message type ${describe(type)} is unknown (server messages are "start", "end", "mark", "error")`);
  }
}

function validateClient(obj: Json, type: string): ClientControl {
  switch (type) {
    case 'interrupt': {
      // Required even though it may be null: a client that forgot the id
      // should not silently turn "stop X" into "stop everything".
      const v = get(obj, 'utteranceId');
      if (v !== null && !isUtteranceId(v)) throw bad('utteranceId', `null or ${UTTERANCE_ID_WANT}`, v);
      return { type, utteranceId: v };
    }
    case 'speak': {
      const msg: ClientControl & { type: 'speak' } = { type, text: requireString(obj, 'text') };
      const options = optional(obj, 'options');
      if (options !== undefined) {
        if (!isPlainObject(options)) throw bad('options', 'an object', options);
        msg.options = options;
      }
      return msg;
    }
    default:
      throw new FieldError('unknown-type', `control message type ${describe(type)} is unknown (client messages are "interrupt", "speak")`);
  }
}

function parseWith<T>(text: string, validate: (obj: Json, type: string) => T): ParseControlResult<T> {
  try {
    if (typeof text !== 'string') {
      return { ok: false, error: { code: 'not-json', message: `control message is not text (got ${typeof text})` } };
    }
    if (text.length > MAX_CONTROL_CHARS) {
      return {
        ok: false,
        error: {
          code: 'oversized',
          message: `control message of ${text.length} characters exceeds the ${MAX_CONTROL_CHARS}-character limit`,
        },
      };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const why = e instanceof Error ? `: ${e.message}` : '';
      return { ok: false, error: { code: 'not-json', message: `control message is not valid JSON${why}` } };
    }
    if (!isPlainObject(value)) {
      return {
        ok: false,
        error: { code: 'not-object', message: `control message must be a JSON object (got ${describe(value)})` },
      };
    }
    const type = get(value, 'type');
    if (typeof type !== 'string') throw bad('type', 'a string', type);
    return { ok: true, message: validate(value, type) };
  } catch (e) {
    if (e instanceof FieldError) return { ok: false, error: { code: e.code, message: e.message } };
    // Unreachable by construction; kept so the "never throws" contract does
    // not depend on that reasoning staying true.
    return { ok: false, error: { code: 'not-json', message: `control message could not be parsed: ${String(e)}` } };
  }
}

/**
 * Parses a text WebSocket message from the server. Never throws.
 *
 * @param text - The whole message text.
 */
export function parseServerControl(text: string): ParseControlResult<ServerControl> {
  return parseWith(text, validateServer);
}

/**
 * Parses a text WebSocket message from the client (used by servers, e.g. the
 * mock server). Never throws.
 *
 * @param text - The whole message text.
 */
export function parseClientControl(text: string): ParseControlResult<ClientControl> {
  return parseWith(text, validateClient);
}

/**
 * Serialises a control message to JSON text, keeping only the fields its type
 * defines (extra runtime properties are not sent).
 *
 * @throws RangeError with the same message the parser would give, if `msg`
 *   would not parse on the other side (e.g. an empty `utteranceId`, a
 *   non-integer `sampleRate`, or text over {@link MAX_CONTROL_CHARS}).
 * @throws TypeError from `JSON.stringify` if `speak` options hold a BigInt
 *   or a cycle.
 */
export function encodeControl(msg: ServerControl | ClientControl): string {
  const obj: unknown = msg;
  if (!isPlainObject(obj) || typeof obj.type !== 'string') {
    throw new RangeError('encodeControl: message must be an object with a string "type"');
  }
  const { type } = obj;
  const server = type === 'start' || type === 'end' || type === 'mark' || type === 'error';
  if (!server && type !== 'interrupt' && type !== 'speak') {
    throw new RangeError(`encodeControl: control message type ${describe(type)} is unknown`);
  }
  let canonical: ServerControl | ClientControl;
  try {
    canonical = server ? validateServer(obj, type) : validateClient(obj, type);
  } catch (e) {
    if (e instanceof FieldError) throw new RangeError(`encodeControl: ${e.message}`, { cause: e });
    throw e;
  }
  const text = JSON.stringify(canonical);
  if (text.length > MAX_CONTROL_CHARS) {
    throw new RangeError(`encodeControl: message of ${text.length} characters exceeds the ${MAX_CONTROL_CHARS}-character limit`);
  }
  return text;
}
