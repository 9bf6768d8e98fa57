/** What the page needs from either playback engine (voxplay, or the legacy <audio> queue). */
import type { Captions } from './captions';
import type { StripChart } from './charts/strip-chart';
import type { ErrorLog } from './error-log';
import type { OutputBus } from './output-bus';
import type { EngineKind, Records } from './records';
import type { SpeakOptions } from './scenario-form';
import type { ConnectionStatus } from './server-connection';

/** Live figures of an engine, for the metric tiles (null = not applicable / not yet known). */
export interface LiveFigures {
  /** One word: the player's state, or the legacy queue's. */
  state: string;
  /** How audio reaches the worklet ('shared' / 'message'), or how legacy plays it. */
  transport: string;
  bufferedMs: number;
  lowWaterMs: number | null;
  prebufferMs: number | null;
  /** Of the current (or last) utterance. */
  preloadRate: number | null;
  arrivalSpeed: number | null;
  /** Totals since the page loaded. */
  playedMs: number;
  droppedMs: number;
  underruns: number;
  underrunMs: number;
}

export interface Engine {
  readonly kind: EngineKind;
  /** Sends a speak request (connecting first if needed). */
  speak(text: string, options: SpeakOptions): Promise<void>;
  /** Barge-in: silence now, and tell the server to stop. */
  interrupt(): void;
  /** Audio is sounding or queued. */
  busy(): boolean;
  figures(): LiveFigures;
  connectionStatus(): ConnectionStatus;
}

/** Shared views and stores the engines report to. */
export interface EngineHooks {
  bus: OutputBus;
  records: Records;
  chart: StripChart;
  captions: Captions;
  log: ErrorLog;
  onConnection(kind: EngineKind, status: ConnectionStatus, detail: string): void;
  /** Something changed that the tiles show. */
  onUpdate(): void;
}
