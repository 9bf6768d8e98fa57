/**
 * The player's logic without Web Audio: a {@link PlaybackSession} wired to the real
 * playback engine (EngineHost, the code the worklet runs) through an in-process port, with
 * an audio clock the test advances by rendering quanta. Reports are copied as the
 * structured clone of a real port would copy them.
 */
import { vi } from 'vitest';
import { float32ToPcm16 } from '../../../src/protocol/pcm-encode';
import { mulberry32 } from '../prng';
import type { AudioClock } from '../../../src/player/clock';
import type { EnginePort } from '../../../src/player/engine-port';
import type { Emit } from '../../../src/player/ingest';
import { resolveOptions } from '../../../src/player/options';
import { PlaybackSession } from '../../../src/player/session';
import type { PlayerEvents, StreamPlayerOptions } from '../../../src/player/types';
import { MessageRingWriter, SharedRingWriter, type RingWriter } from '../../../src/ring/ring-transport';
import { EngineHost } from '../../../src/worklet/engine-host';
import type { EngineReport, ToEngine } from '../../../src/worklet/messages';

export const QUANTUM = 128;

/** Every event the session emitted, in order, with the frame the clock had reached. */
export type Logged = { [K in keyof PlayerEvents]: { type: K; event: PlayerEvents[K]; frame: number } }[keyof PlayerEvents];

/** An EnginePort that hands messages to an EngineHost in this thread. */
class LoopbackPort implements EnginePort {
  host: EngineHost | null = null;
  private readonly early: ToEngine[] = [];
  private handler: ((report: EngineReport) => void) | null = null;
  readonly posted: ToEngine[] = [];

  post(message: ToEngine): void {
    this.posted.push(message);
    if (this.host) this.host.receive(message);
    else this.early.push(message);
  }

  onReport(handler: (report: EngineReport) => void): void {
    this.handler = handler;
  }

  connect(host: EngineHost): void {
    this.host = host;
    for (const m of this.early.splice(0)) host.receive(m);
  }

  deliver(report: EngineReport): void {
    // What a MessagePort's structured clone does: the worklet reuses its report and log.
    this.handler?.({ ...report, events: report.events ? report.events.slice(0, report.eventCount * 6) : null });
  }
}

export interface Rig {
  session: PlaybackSession;
  port: LoopbackPort;
  writer: RingWriter;
  log: Logged[];
  /** Output rendered so far. */
  output: number[];
  /** Renders `quanta` render quanta, delivering reports and running events that are due. */
  render(quanta: number): Promise<void>;
  /** Renders until `predicate` holds (at most `maxQuanta`). */
  renderUntil(predicate: () => boolean, maxQuanta?: number): Promise<void>;
  events<K extends keyof PlayerEvents>(type: K): PlayerEvents[K][];
  frame(): number;
  /** Listens to the session's events as the player's `on()` does; returns the unsubscribe function. */
  on<K extends keyof PlayerEvents>(type: K, handler: (event: PlayerEvents[K]) => void): () => void;
}

/**
 * A session at `outRate` with fake timers (the clock maps frame f to t0 + f / outRate s):
 * call `vi.useRealTimers()` in afterEach.
 */
export function makeRig(options: StreamPlayerOptions & { outRate?: number; reportIntervalFrames?: number; transportKind?: 'shared' | 'message' } = {}): Rig {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
  const outRate = options.outRate ?? options.sampleRate ?? 24000;
  const resolved = resolveOptions({ prebufferMs: 0, ...options });
  const port = new LoopbackPort();
  const kind = options.transportKind ?? 'message';
  const writer: RingWriter = kind === 'shared' ? new SharedRingWriter(resolved.capacity) : new MessageRingWriter(resolved.capacity, (msg) => port.post(msg));
  const log: Logged[] = [];
  let frame = 0;
  const listeners: { type: string; handler: (event: never) => void }[] = [];
  const emit: Emit = (type, event) => {
    log.push({ type, event, frame } as Logged);
    for (const l of listeners.slice()) if (l.type === type) l.handler(event as never);
  };
  const session = new PlaybackSession(resolved, writer, port, emit);
  const t0 = performance.now();
  const clock: AudioClock = { sampleRate: outRate, audibleAt: (f) => t0 + (f * 1000) / outRate, latencyMs: () => 0, source: 'timestamp' };
  session.setClock(clock);
  const host = new EngineHost(
    {
      capacity: resolved.capacity,
      shared: writer instanceof SharedRingWriter ? writer.buffer : undefined,
      fadeFrames: Math.round((resolved.fadeMs * outRate) / 1000),
      reportIntervalFrames: options.reportIntervalFrames ?? 480,
      rates: [resolved.sampleRate],
    },
    outRate,
  );
  port.connect(host);
  const output: number[] = [];
  const out = new Float32Array(QUANTUM);
  const rig: Rig = {
    session,
    port,
    writer,
    log,
    output,
    async render(quanta) {
      for (let q = 0; q < quanta; q++) {
        writer.flush(); // what the end of the main thread's task does for the message transport
        const report = host.render(out, frame);
        for (let i = 0; i < QUANTUM; i++) output.push(out[i]);
        frame += QUANTUM;
        if (report) port.deliver(report);
        // The audio clock and performance.now() advance together.
        await vi.advanceTimersByTimeAsync((QUANTUM * 1000) / outRate);
      }
    },
    async renderUntil(predicate, maxQuanta = 2000) {
      // The predicate is called once per quantum, so it may act (e.g. retry a refused write).
      for (let q = 0; q < maxQuanta; q++) {
        if (predicate()) return;
        await rig.render(1);
      }
      throw new Error(`condition not reached in ${maxQuanta} quanta`);
    },
    events(type) {
      return log.filter((l) => l.type === type).map((l) => l.event) as never;
    },
    frame: () => frame,
    on(type, handler) {
      const entry = { type, handler: handler as (event: never) => void };
      listeners.push(entry);
      return () => {
        const at = listeners.indexOf(entry);
        if (at >= 0) listeners.splice(at, 1);
      };
    },
  };
  return rig;
}

/** PCM16 bytes of `samples` (the protocol's encoder), and the exact floats they decode to. */
export function pcm16(samples: ArrayLike<number>): { bytes: Uint8Array; floats: Float32Array } {
  const bytes = float32ToPcm16(Float32Array.from(samples));
  const ints = new Int16Array(bytes.buffer, bytes.byteOffset, samples.length);
  return { bytes, floats: Float32Array.from(ints, (v) => v / 32768) };
}

/** Deterministic white noise in [-0.9, 0.9]. */
export function noise(n: number, seed = 1): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => rng() * 1.8 - 0.9);
}
