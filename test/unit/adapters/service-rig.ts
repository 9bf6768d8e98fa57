/**
 * A service's side of an adapter test: a scripted socket the test speaks through as the
 * vendor's server would, and a player made of the real session and playback engine (the
 * fake-engine rig), so what the adapter does is checked in the rendered output, sample for
 * sample.
 */
import { afterEach, expect, vi } from 'vitest';
import type { ServiceSocket } from '../../../src/adapters/service';
import { VoxplayError } from '../../../src/errors';
import { FORMATS } from '../../../src/codecs/formats';
import { resolveOptions } from '../../../src/player/options';
import { playStream, type StreamHost } from '../../../src/player/play-stream';
import type { StreamPlayer } from '../../../src/player/stream-player';
import { makeRig, noise, pcm16, QUANTUM, type Rig } from '../player/fake-engine';

// The rig runs on fake timers (makeRig): every test file that imports this module gets them back.
afterEach(() => {
  vi.useRealTimers();
});

/** A socket whose server is the test: `json()` and `binary()` deliver, `sent` keeps what the adapter sent. */
export class ScriptedSocket implements ServiceSocket {
  binaryType?: string;
  readonly sent: Record<string, unknown>[] = [];
  private readonly listeners = new Set<(event: { data: unknown }) => void>();

  addEventListener(_type: 'message', listener: (event: { data: unknown }) => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'message', listener: (event: { data: unknown }) => void): void {
    this.listeners.delete(listener);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  /** The server sends a JSON text message. */
  json(message: object): void {
    for (const l of [...this.listeners]) l({ data: JSON.stringify(message) });
  }

  /** The server sends a binary message (a copy, as a socket with binaryType 'arraybuffer' gives it). */
  binary(bytes: Uint8Array): void {
    for (const l of [...this.listeners]) l({ data: bytes.slice().buffer });
  }
}

/** The rig and the parts of a StreamPlayer an adapter uses (connect, interrupt, on, playStream). */
export function servicePlayer(options: Parameters<typeof makeRig>[0] = {}): { rig: Rig; player: StreamPlayer } {
  const rig = makeRig({ fadeMs: 5, ...options });
  const host: StreamHost = {
    fail: (code, message, utteranceId, cause) => new VoxplayError(code, message, { utteranceId, cause }),
    bytesPerSample: (format) => FORMATS[format].bytesPerSample,
    defaults: { format: 'pcm16', sampleRate: options.sampleRate ?? 24000 },
    capacity: resolveOptions({ prebufferMs: 0, ...options }).capacity,
    checkRate: (rate) => rate,
    checkFormat: (format) => format,
    connect: (source) => rig.session.connect(source),
    on: rig.on,
    onRetire: rig.session.onRetire,
  };
  const player = {
    connect: (source: Parameters<StreamPlayer['connect']>[0]) => rig.session.connect(source),
    interrupt: () => rig.session.interrupt(),
    on: rig.on,
    playStream: (input: Parameters<StreamPlayer['playStream']>[0], opts: Parameters<StreamPlayer['playStream']>[1]) => playStream(host, input, opts),
  } as unknown as StreamPlayer;
  return { rig, player };
}

/** A turn's audio: seeded noise as PCM16 bytes and the exact floats they play as. */
export function speech(seed: number, samples: number): { bytes: Uint8Array; floats: Float32Array } {
  return pcm16(noise(samples, seed));
}

/** `bytes` cut into chunks of `size` bytes. */
export function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** What the output must hold, in order: a signal heard whole, or cut (a prefix, then its fade). */
export interface Heard {
  signal: Float32Array;
  whole: boolean;
}

/**
 * Checks that `output` is exactly the `heard` signals in order with only silence between and
 * after them: a whole one sample for sample; a cut one as its first samples exactly, then a
 * fade of at most `fadeFrames` + one quantum whose gain stays within [0, 1] of the same
 * samples, then silence. Anything else (a stale chunk that played, a gap, a repeat) fails.
 * Returns the samples of each signal heard at full gain.
 */
export function expectHeard(output: ArrayLike<number>, heard: Heard[], fadeFrames: number): number[] {
  const out = Float32Array.from(output as number[]);
  const exact: number[] = [];
  let cursor = 0;
  for (const [n, { signal, whole }] of heard.entries()) {
    const at = find(out, signal, cursor);
    expect(at, `signal ${n} starts in the output after sample ${cursor}`).toBeGreaterThanOrEqual(0);
    expect(
      out.subarray(cursor, at).every((x) => x === 0),
      `only silence before signal ${n}`,
    ).toBe(true);
    let k = 0;
    while (k < signal.length && at + k < out.length && out[at + k] === signal[k]) k++;
    exact.push(k);
    if (whole) expect(k, `signal ${n} plays whole`).toBe(signal.length);
    else {
      expect(k, `signal ${n} is cut`).toBeLessThan(signal.length);
      let f = k;
      while (f < signal.length && out[at + f] !== 0) {
        const gain = out[at + f] / signal[f];
        expect(gain, `signal ${n}'s fade at ${f} scales its own sample`).toBeGreaterThanOrEqual(0);
        expect(gain).toBeLessThanOrEqual(1 + 1e-6);
        f++;
      }
      expect(f - k, `signal ${n}'s fade length`).toBeLessThanOrEqual(fadeFrames + QUANTUM);
      k = f;
    }
    cursor = at + k;
  }
  expect(
    out.subarray(cursor).every((x) => x === 0),
    'only silence after the last signal',
  ).toBe(true);
  return exact;
}

/**
 * Renders until `ended` utterances have ended (then 10 quanta more), and checks that the
 * output is exactly `heard` (see {@link expectHeard}) and that no error was reported.
 */
export async function expectPlayedOut(rig: Rig, ended: number, heard: Heard[], fadeFrames: number): Promise<number[]> {
  await rig.renderUntil(() => rig.events('ended').length === ended);
  await rig.render(10);
  const exact = expectHeard(rig.output, heard, fadeFrames);
  expect(rig.events('error')).toEqual([]);
  return exact;
}

/** `cut` heard in part (then faded), then `next` whole: the usual shape after a barge-in. */
export const cutThenWhole = (cut: { floats: Float32Array }, next: { floats: Float32Array }): Heard[] => [
  { signal: cut.floats, whole: false },
  { signal: next.floats, whole: true },
];

/** First index ≥ `from` where the first 32 samples of `signal` appear in `out`, or -1. */
function find(out: Float32Array, signal: Float32Array, from: number): number {
  const n = Math.min(32, signal.length);
  outer: for (let at = from; at + n <= out.length; at++) {
    for (let i = 0; i < n; i++) if (out[at + i] !== signal[i]) continue outer;
    return at;
  }
  return -1;
}

/** The session's sample accounting; `received = played + buffered + dropped` is asserted. */
export function accounting(rig: Rig): { received: number; played: number; stale: number; dropped: number } {
  const m = rig.session.metrics({ state: 'running', speed: 1, transport: 'message', contextSampleRate: 24000, outputLatencyMs: 0, clockSource: 'timestamp' });
  expect(m.samples.received).toBe(m.samples.played + m.samples.buffered + m.samples.dropped);
  return { received: m.samples.received, played: m.samples.played, stale: m.samples.stale, dropped: m.samples.dropped };
}
