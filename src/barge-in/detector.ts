import mitt, { type Emitter } from 'mitt';
import { VoxplayError } from '../errors.js';
import type { EchoMode } from '../echo/echo-detector.js';
import type { FromEcho } from '../echo/messages.js';
import type { InterruptResult } from '../player/types.js';
import type { StreamPlayer } from '../player/stream-player.js';
import { makeEchoNode } from './echo-node.js';
import { micNode, type MicInput } from './mic-input.js';

/** Options of {@link createBargeInDetector}. */
export interface BargeInOptions {
  /** The microphone: the app's `MediaStream` or track, or an `AudioNode` in the player's context. */
  mic: MicInput;
  /** Near-end speech must hold this long (ms) after its onset to be a barge-in. Default 250. */
  confirmMs?: number;
  /** How much the player ducks while a barge-in is tentative, dB (≤ 0). Default −12. */
  duckDb?: number;
  /** 0..1, default 0.5: higher fires on quieter speech (and on more noise). */
  sensitivity?: number;
  /** `'auto'` (default), `'cancel'` or `'gate'`; see {@link BargeInReport.mode}. */
  mode?: EchoMode;
  /** Call `player.interrupt()` on a barge-in (default true). */
  autoInterrupt?: boolean;
  /** Where dist/echo-processor.js is served; default next to this module. */
  workletUrl?: string | URL;
  /** A first guess of the echo delay, ms; default the context's output plus base latency. */
  delayHintMs?: number;
}

/** Figures of a running detector. */
export interface BargeInReport {
  /** Estimated delay of the echo, ms (-1 before one was measured). */
  delayMs: number;
  /** Echo return loss, dB: how much quieter the echo is than the player's output. */
  erlDb: number;
  /** Echo return loss enhancement, dB: how much of the echo the canceller removes. */
  erleDb: number;
  /** How the latest audio was judged: `'cancel'` (the adaptive canceller) or `'gate'` (level only). */
  mode: 'cancel' | 'gate';
  /** True once the canceller has converged. */
  converged: boolean;
  /** The microphone's own `getSettings().echoCancellation` (undefined for an AudioNode). */
  micEchoCancellation: boolean | string | undefined;
}

/** Events of a {@link BargeInDetector}. */
// A type alias (not an interface) so it satisfies mitt's index-signature constraint.
export type BargeInEvents = {
  /** Near-end speech the echo does not explain; tentative: the player is ducked by `duckDb`. */
  speechstart: { contextTime: number };
  /** Confirmed after `confirmMs`; `interrupt` is the player's result when `autoInterrupt`. */
  bargein: { contextTime: number; interrupt: InterruptResult | null };
  /** It was not speech: the volume is back and nothing was cut. */
  rejected: { contextTime: number };
  /**
   * Routing advice: `output-moved` (the player's output device changed while listening), or
   * `context-replaced` (the player moved to a new AudioContext: this detector hears nothing
   * more; make a new one).
   */
  warning: { code: 'output-moved' | 'context-replaced'; message: string };
  /** New figures, about four times a second. */
  report: BargeInReport;
};

/** A running echo-aware barge-in detector; made by {@link createBargeInDetector}. */
export class BargeInDetector {
  private readonly emitter: Emitter<BargeInEvents> = mitt<BargeInEvents>();
  private readonly figures: BargeInReport;
  private readonly duckGain: number;
  private ducked: { restore: number; set: number } | null = null;
  private closed = false;
  private sinkId: string;
  private readonly offState: () => void;
  private orphaned = false;

  /** @internal Use {@link createBargeInDetector}. */
  constructor(
    private readonly player: StreamPlayer,
    /** The echo node: its output is the microphone with the player's echo removed. */
    readonly node: AudioWorkletNode,
    private readonly teardown: () => void,
    private readonly options: { duckDb: number; autoInterrupt: boolean; echoCancellation: boolean | string | undefined },
  ) {
    this.duckGain = Math.pow(10, options.duckDb / 20);
    this.figures = { delayMs: -1, erlDb: 0, erleDb: 0, mode: 'cancel', converged: false, micEchoCancellation: options.echoCancellation };
    this.sinkId = player.sinkId;
    node.port.onmessage = (event: MessageEvent<FromEcho>) => this.receive(event.data);
    this.offState = player.on('statechange', ({ state }) => {
      if (state === 'closed') this.close();
      else if (player.audioContext !== node.context && !this.orphaned) {
        this.orphaned = true;
        this.emitter.emit('warning', {
          code: 'context-replaced',
          message: 'the player moved to a new AudioContext, which this detector is not in: close it and make a new one with createBargeInDetector()',
        });
      }
    });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof BargeInEvents>(type: K, handler: (event: BargeInEvents[K]) => void): () => void {
    this.emitter.on(type, handler);
    return () => this.emitter.off(type, handler);
  }

  /** The latest figures: delay, ERL, ERLE, the mode in use and the microphone's own setting. */
  report(): BargeInReport {
    return { ...this.figures };
  }

  /** Stops listening: restores a ducked volume, disconnects, releases the worklet. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.offState();
    this.unduck();
    this.node.port.postMessage({ type: 'close' });
    this.node.port.onmessage = null;
    this.teardown();
    this.emitter.all.clear();
  }

  private receive(message: FromEcho): void {
    if (this.closed) return;
    if (message.type === 'report') {
      const { type: _type, ...figures } = message;
      Object.assign(this.figures, figures);
      this.emitter.emit('report', this.report());
      this.checkRoute();
      return;
    }
    const contextTime = message.frame / this.node.context.sampleRate;
    switch (message.event) {
      case 'speechstart':
        if (this.playing()) this.duck();
        this.emitter.emit('speechstart', { contextTime });
        break;
      case 'rejected':
        this.unduck();
        this.emitter.emit('rejected', { contextTime });
        break;
      case 'bargein': {
        const playing = this.playing() || this.ducked !== null;
        const interrupt = playing && this.options.autoInterrupt ? this.player.interrupt() : null;
        this.unduck();
        this.emitter.emit('bargein', { contextTime, interrupt });
        break;
      }
    }
  }

  /** Something is reaching the speakers now (a barge-in needs an agent to barge in on). */
  private playing(): boolean {
    if (this.player.state !== 'running') return false;
    // The level report can lag a few ms behind the first sound; queued audio counts too.
    return this.player.getOutputLevel().peak > 0 || this.player.getMetrics().samples.buffered > 0;
  }

  private duck(): void {
    if (this.ducked) return;
    const restore = this.player.volume;
    const set = restore * this.duckGain;
    this.player.volume = set;
    this.ducked = { restore, set };
  }

  private unduck(): void {
    const ducked = this.ducked;
    this.ducked = null;
    // Leave the volume alone if the app changed it meanwhile.
    if (ducked && this.player.state !== 'closed' && this.player.volume === ducked.set) this.player.volume = ducked.restore;
  }

  private checkRoute(): void {
    const now = this.player.sinkId;
    if (now === this.sinkId) return;
    this.sinkId = now;
    this.emitter.emit('warning', {
      code: 'output-moved',
      message: `the player's output moved to device "${now}": the browser's own echo canceller may no longer see it (Chrome cancels the default device only); voxplay's canceller still does, as long as the microphone hears that device`,
    });
  }
}

/**
 * Starts an echo-aware barge-in detector on a started player: the player's exact output is
 * the reference an adaptive canceller removes from the microphone, so the agent's own voice
 * through the loudspeaker is not a barge-in, and the user's is, within `confirmMs`.
 *
 * @throws VoxplayError (as a rejection) `bad-option` for a bad option or a player not started;
 *   `unsupported` when the browser cannot connect the microphone to the player's context;
 *   `worklet-load` when dist/echo-processor.js cannot be loaded.
 */
export async function createBargeInDetector(player: StreamPlayer, options: BargeInOptions): Promise<BargeInDetector> {
  const duckDb = options.duckDb ?? -12;
  if (!(duckDb <= 0 && duckDb >= -60)) throw new VoxplayError('bad-option', `duckDb must be from -60 to 0, got ${String(options.duckDb)}`);
  const confirmMs = options.confirmMs ?? 250;
  if (!(confirmMs >= 0 && confirmMs <= 5000)) throw new VoxplayError('bad-option', `confirmMs must be from 0 to 5000, got ${String(options.confirmMs)}`);
  const sensitivity = options.sensitivity ?? 0.5;
  if (!(sensitivity >= 0 && sensitivity <= 1)) throw new VoxplayError('bad-option', `sensitivity must be from 0 to 1, got ${String(options.sensitivity)}`);
  const mode = options.mode ?? 'auto';
  if (mode !== 'auto' && mode !== 'cancel' && mode !== 'gate')
    throw new VoxplayError('bad-option', `mode must be 'auto', 'cancel' or 'gate', got ${String(mode)}`);
  const context = player.audioContext;
  const latency = context && 'outputLatency' in context && !isFirefox() ? (context.outputLatency || 0) + context.baseLatency : 0;
  const delayHintMs = options.delayHintMs ?? latency * 1000;
  const { node } = await makeEchoNode(player, { confirmMs, sensitivity, mode, delayHintMs }, options.workletUrl);
  let mic: ReturnType<typeof micNode>;
  try {
    mic = micNode(node.context as AudioContext, options.mic);
  } catch (error) {
    node.disconnect();
    throw error;
  }
  mic.node.connect(node, 0, 0);
  const pull = keepPulled(node);
  const teardown = (): void => {
    quietly(() => mic.node.disconnect(node));
    if (mic.owned) quietly(() => mic.node.disconnect());
    quietly(() => node.disconnect());
    quietly(() => pull.disconnect());
    quietly(() => player.analyser?.disconnect(node));
  };
  return new BargeInDetector(player, node, teardown, { duckDb, autoInterrupt: options.autoInterrupt !== false, echoCancellation: mic.echoCancellation });
}

/**
 * A silent path from `node` to the destination: engines render only what the destination
 * (or an analyser) pulls, and the detector's output may be wanted by nobody else.
 */
export function keepPulled(node: AudioNode): GainNode {
  const silent = node.context.createGain();
  silent.gain.value = 0;
  node.connect(silent);
  silent.connect(node.context.destination);
  return silent;
}

/** Runs a disconnect that may find nothing to disconnect. */
export function quietly(action: () => void): void {
  try {
    action();
  } catch {
    // nothing was connected
  }
}

/** Firefox can deadlock on `outputLatency` reads (docs/engines); it gets no latency hint. */
function isFirefox(): boolean {
  return typeof navigator !== 'undefined' && /firefox/i.test(navigator.userAgent);
}
