import type { EngineReport, EngineState, FromEngine, ToEngine } from '../worklet/messages.js';

/**
 * The seam between the player and the playback worklet: messages go out, reports come
 * back. In the browser it is the AudioWorkletNode's port ({@link WorkletPort}); unit tests
 * put the real engine behind a fake one and run the player's logic without Web Audio.
 */
export interface EnginePort {
  /** Sends a message; `transfer` lists buffers moved rather than copied. */
  post(message: ToEngine, transfer?: Transferable[]): void;
  /** Sets the one handler of the worklet's reports. */
  onReport(handler: (report: EngineReport) => void): void;
}

/**
 * The port of an AudioWorkletNode that may not exist yet: messages posted before
 * {@link WorkletPort.connect} wait in order and go out when it is called.
 */
export class WorkletPort implements EnginePort {
  private port: MessagePort | null = null;
  private outbox: { message: ToEngine; transfer: Transferable[] }[] | null = [];
  private handler: ((report: EngineReport) => void) | null = null;

  post(message: ToEngine, transfer: Transferable[] = []): void {
    if (this.outbox) this.outbox.push({ message, transfer });
    else this.port?.postMessage(message, transfer);
  }

  onReport(handler: (report: EngineReport) => void): void {
    this.handler = handler;
  }

  /** The node exists: flush what waited, then deliver directly. */
  connect(port: MessagePort): void {
    this.port = port;
    port.onmessage = (event: MessageEvent<FromEngine>) => {
      if (event.data.type === 'report') this.handler?.(event.data);
    };
    const queued = this.outbox ?? [];
    this.outbox = null;
    for (const { message, transfer } of queued) port.postMessage(message, transfer);
  }

  /**
   * Asks the worklet for its state and to go silent (the player moves to a new context).
   * From now on messages wait, in order, for the next {@link WorkletPort.connect}: the new
   * node's port. Resolves with the state whenever the worklet answers (reports that were
   * already on their way still arrive); null when there is no node.
   */
  handOver(): Promise<EngineState | null> {
    const port = this.port;
    if (!port) return Promise.resolve(null);
    this.port = null;
    this.outbox = [];
    return new Promise((resolve) => {
      port.onmessage = (event: MessageEvent<FromEngine>) => {
        const data = event.data;
        if (data.type === 'report') this.handler?.(data);
        else {
          port.onmessage = null;
          resolve(data.state);
        }
      };
      port.postMessage({ type: 'handover' } satisfies ToEngine);
    });
  }

  /** Tells the worklet to stop and stops listening; later posts are ignored. */
  close(): void {
    if (this.port) {
      this.port.postMessage({ type: 'close' } satisfies ToEngine);
      this.port.onmessage = null;
    }
    this.port = null;
    this.outbox = null;
  }
}
