import type { EngineReport, ToEngine } from '../worklet/messages.js';

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
    port.onmessage = (event: MessageEvent<EngineReport>) => this.handler?.(event.data);
    const queued = this.outbox ?? [];
    this.outbox = null;
    for (const { message, transfer } of queued) port.postMessage(message, transfer);
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
