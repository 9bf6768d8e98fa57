import { mulberry32 } from './prng';
/**
 * Delivery scenarios of the mock TTS server: how one utterance's audio is framed and paced
 * on the wire. Pure: option parsing/validation and a deterministic send plan, no I/O.
 */

export type ScenarioMode = 'framed' | 'raw' | 'legacy';
export type Fault = 'drop' | 'malformed' | 'duplicate' | 'reorder' | 'oversized';
/** How the audio is encoded in framed and raw mode (legacy mode always sends WAV in JSON). */
export type WireFormat = 'pcm16' | 'mulaw' | 'alaw' | 'wav' | 'mp3' | 'ogg-opus';

export interface Scenario {
  /**
   * framed = voxplay binary frames (header + PCM16); raw = headerless PCM16 binary frames
   * between JSON start/end text messages; legacy = base64 WAV chunks inside JSON
   * `{type:'audio', utteranceId, wav}` (for comparison only).
   */
  mode: ScenarioMode;
  /**
   * Audio encoding in framed and raw mode (default pcm16): G.711 μ-law or A-law, a WAV stream
   * (header, then PCM16), or an MP3 / Ogg Opus stream cut anywhere (encoded by LAME / opusenc).
   */
  format: WireFormat;
  /** Time from the request to the first frame, ms (default 100; e.g. 900 mimics a batch TTS). */
  firstChunkDelayMs: number;
  /** Audio per frame, ms (default 40). */
  chunkMs: number;
  /** Delivery speed relative to real time (default 4); Infinity = as fast as possible. */
  speed: number;
  /** ± uniform jitter on each frame's send time, ms (default 0). */
  jitterMs: number;
  /** Pause sending for `stallMs` once the audio position reaches `stallAtMs` (both or neither). */
  stallAtMs?: number;
  stallMs?: number;
  /** Inject a fault at audio position `faultAtMs` (default: the middle frame). */
  fault?: Fault;
  faultAtMs?: number;
  /** Seed of the jitter PRNG (u32, default 1). */
  seed: number;
}

export const MODES: readonly ScenarioMode[] = ['framed', 'raw', 'legacy'];
export const FAULTS: readonly Fault[] = ['drop', 'malformed', 'duplicate', 'reorder', 'oversized'];
export const WIRE_FORMATS: readonly WireFormat[] = ['pcm16', 'mulaw', 'alaw', 'wav', 'mp3', 'ogg-opus'];

export const DEFAULT_SCENARIO: Readonly<Scenario> = Object.freeze({
  mode: 'framed',
  format: 'pcm16',
  firstChunkDelayMs: 100,
  chunkMs: 40,
  speed: 4,
  jitterMs: 0,
  seed: 1,
});

/**
 * Accepted ranges. Values outside a range are clamped into it; values of the wrong type
 * (or NaN, or a speed ≤ 0) are errors.
 */
export const LIMITS = Object.freeze({
  firstChunkDelayMs: [0, 60_000],
  chunkMs: [1, 5_000],
  speed: [0.05, 1_000],
  jitterMs: [0, 5_000],
  stallAtMs: [0, 3_600_000],
  stallMs: [0, 120_000],
  faultAtMs: [0, 3_600_000],
} as const satisfies Record<string, readonly [number, number]>);

const KNOWN_KEYS = new Set<string>([
  'mode',
  'format',
  'firstChunkDelayMs',
  'chunkMs',
  'speed',
  'jitterMs',
  'stallAtMs',
  'stallMs',
  'fault',
  'faultAtMs',
  'seed',
]);

export type ParseResult = { ok: true; scenario: Scenario } | { ok: false; error: string };

type NumericKey = keyof typeof LIMITS;

class FieldError extends Error {}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function readNumber(key: NumericKey, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new FieldError(`options.${key} must be a number (got ${describe(v)})`);
  }
  const [lo, hi] = LIMITS[key];
  return Math.min(hi, Math.max(lo, v));
}

function readSpeed(v: unknown): number {
  if (v === Infinity || (typeof v === 'string' && /^(\+?inf(inity)?|max)$/i.test(v.trim()))) return Infinity;
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new FieldError(`options.speed must be a positive number or "Infinity" (got ${describe(v)})`);
  }
  if (v <= 0) throw new FieldError(`options.speed must be > 0 (got ${v})`);
  return readNumber('speed', v);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/**
 * Parses the `options` object of a speak message into a complete scenario.
 *
 * - `undefined`/`null` input → the defaults. Anything else must be a plain object.
 * - A field that is absent or `null` takes its default (from `defaults`, then
 *   {@link DEFAULT_SCENARIO}); `null` is accepted because `JSON.stringify(Infinity)` is null,
 *   so to request `speed: Infinity` over JSON send `"Infinity"` (or `"max"`).
 * - Unknown fields are errors (they are usually typos: `chunkMS`).
 * - Numbers are clamped into {@link LIMITS}; wrong types, NaN and speed ≤ 0 are errors.
 * - `stallAtMs` and `stallMs` come together; `faultAtMs` needs `fault`.
 * - `seed` is any finite number, truncated to a u32.
 *
 * Error messages name the field, e.g. `options.chunkMs must be a number (got "40")`.
 */
export function parseScenario(input: unknown, defaults: Partial<Scenario> = {}): ParseResult {
  try {
    return { ok: true, scenario: parseOrThrow(input, defaults) };
  } catch (e) {
    if (e instanceof FieldError) return { ok: false, error: e.message };
    throw e;
  }
}

function parseOrThrow(input: unknown, defaults: Partial<Scenario>): Scenario {
  if (input !== undefined && input !== null && !isPlainObject(input)) {
    throw new FieldError(`options must be an object (got ${describe(input)})`);
  }
  if (!isPlainObject(defaults)) throw new FieldError(`defaults must be an object (got ${describe(defaults)})`);
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(defaults)) {
    if (!KNOWN_KEYS.has(k)) throw new FieldError(`defaults.${k} is not a known option (expected one of ${[...KNOWN_KEYS].join(', ')})`);
    if (v !== null && v !== undefined) raw[k] = v;
  }
  if (input) {
    for (const [k, v] of Object.entries(input)) {
      if (!KNOWN_KEYS.has(k)) {
        throw new FieldError(`options.${k} is not a known option (expected one of ${[...KNOWN_KEYS].join(', ')})`);
      }
      if (v !== null && v !== undefined) raw[k] = v;
    }
  }
  const has = (k: string) => raw[k] !== undefined;

  const mode = has('mode') ? raw.mode : DEFAULT_SCENARIO.mode;
  if (typeof mode !== 'string' || !(MODES as readonly string[]).includes(mode)) {
    throw new FieldError(`options.mode must be one of ${MODES.map((m) => `"${m}"`).join(', ')} (got ${describe(mode)})`);
  }
  const format = has('format') ? raw.format : DEFAULT_SCENARIO.format;
  if (typeof format !== 'string' || !(WIRE_FORMATS as readonly string[]).includes(format)) {
    throw new FieldError(`options.format must be one of ${WIRE_FORMATS.map((f) => `"${f}"`).join(', ')} (got ${describe(format)})`);
  }
  const scenario: Scenario = {
    mode: mode as ScenarioMode,
    format: format as WireFormat,
    firstChunkDelayMs: has('firstChunkDelayMs') ? readNumber('firstChunkDelayMs', raw.firstChunkDelayMs) : DEFAULT_SCENARIO.firstChunkDelayMs,
    chunkMs: has('chunkMs') ? readNumber('chunkMs', raw.chunkMs) : DEFAULT_SCENARIO.chunkMs,
    speed: has('speed') ? readSpeed(raw.speed) : DEFAULT_SCENARIO.speed,
    jitterMs: has('jitterMs') ? readNumber('jitterMs', raw.jitterMs) : DEFAULT_SCENARIO.jitterMs,
    seed: DEFAULT_SCENARIO.seed,
  };
  if (has('seed')) {
    const seed = raw.seed;
    if (typeof seed !== 'number' || !Number.isFinite(seed)) {
      throw new FieldError(`options.seed must be a finite number (got ${describe(seed)})`);
    }
    scenario.seed = Math.trunc(seed) >>> 0;
  }
  if (has('stallAtMs') !== has('stallMs')) {
    const missing = has('stallAtMs') ? 'stallMs' : 'stallAtMs';
    const given = has('stallAtMs') ? 'stallAtMs' : 'stallMs';
    throw new FieldError(`options.${missing} is required when options.${given} is given`);
  }
  if (has('stallAtMs')) {
    scenario.stallAtMs = readNumber('stallAtMs', raw.stallAtMs);
    scenario.stallMs = readNumber('stallMs', raw.stallMs);
  }
  if (has('fault')) {
    const fault = raw.fault;
    if (typeof fault !== 'string' || !(FAULTS as readonly string[]).includes(fault)) {
      throw new FieldError(`options.fault must be one of ${FAULTS.map((f) => `"${f}"`).join(', ')} (got ${describe(fault)})`);
    }
    scenario.fault = fault as Fault;
    if (has('faultAtMs')) scenario.faultAtMs = readNumber('faultAtMs', raw.faultAtMs);
  } else if (has('faultAtMs')) {
    throw new FieldError('options.faultAtMs needs options.fault');
  }
  return scenario;
}

export interface PlannedFrame {
  /** Send time relative to the request, ms. Non-decreasing along the plan. */
  atMs: number;
  /** Sample range [fromSample, toSample) of the utterance this frame carries. */
  fromSample: number;
  toSample: number;
}

/** Samples per frame for a scenario (at least 1). */
export function chunkSamples(sampleRate: number, s: Pick<Scenario, 'chunkMs'>): number {
  return Math.max(1, Math.round((s.chunkMs * sampleRate) / 1000));
}

/**
 * Splits `totalSamples` into frames of `chunkMs` (the last one shorter) and schedules them:
 *
 *   atMs(i) = firstChunkDelayMs + audioStartMs(i) / speed   (+ stallMs once stalled) + jitter
 *
 * - Frame 0 goes at `firstChunkDelayMs`; the others follow at `speed` × real time (all at
 *   the first-chunk time when speed is Infinity).
 * - Stall: frames from the first one whose audio start is ≥ `stallAtMs` (never frame 0) are
 *   delayed by `stallMs`.
 * - Jitter: each frame moves by a uniform value in [−jitterMs, +jitterMs] from a PRNG seeded
 *   with `seed` (same inputs → same plan), then is clamped to be ≥ 0 and never earlier than
 *   the previous frame.
 * - `totalSamples` 0 → a single empty frame (so start/end flags still have a carrier).
 */
export function planDelivery(totalSamples: number, sampleRate: number, s: Scenario): PlannedFrame[] {
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate)) throw new RangeError(`planDelivery: bad sampleRate ${sampleRate}`);
  const total = Number.isFinite(totalSamples) ? Math.max(0, Math.floor(totalSamples)) : 0;
  const size = chunkSamples(sampleRate, s);
  const rand = mulberry32(s.seed);
  const plan: PlannedFrame[] = [];
  const stallAt = s.stallAtMs !== undefined && s.stallMs !== undefined ? s.stallAtMs : undefined;
  let stalled = false;
  let prev = 0;
  for (let from = 0; from < total || (total === 0 && plan.length === 0); from += size) {
    const to = Math.min(total, from + size);
    const audioMs = (from / sampleRate) * 1000;
    let at = s.firstChunkDelayMs + (s.speed === Infinity ? 0 : audioMs / s.speed);
    if (!stalled && stallAt !== undefined && plan.length > 0 && audioMs >= stallAt) stalled = true;
    if (stalled) at += s.stallMs ?? 0;
    if (s.jitterMs > 0) at += (rand() * 2 - 1) * s.jitterMs;
    at = Math.max(at, prev, 0);
    plan.push({ atMs: at, fromSample: from, toSample: to });
    prev = at;
    if (total === 0) break;
  }
  return plan;
}

/**
 * Index in `plan` of the frame a fault fires at: the frame whose sample range contains
 * `faultAtMs` (the last frame if past the end), or the middle frame when unset.
 */
export function faultFrameIndex(plan: readonly PlannedFrame[], sampleRate: number, faultAtMs: number | undefined): number {
  if (plan.length === 0) return -1;
  if (faultAtMs === undefined) return Math.floor(plan.length / 2);
  const sample = (faultAtMs * sampleRate) / 1000;
  for (let i = 0; i < plan.length; i++) if (sample < plan[i].toSample) return i;
  return plan.length - 1;
}
