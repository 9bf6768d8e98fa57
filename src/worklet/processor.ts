import { EngineHost } from './engine-host.js';
import type { EngineOptions, ToEngine } from './messages.js';

/**
 * The AudioWorkletProcessor: a thin shell that hands messages and render quanta to an
 * {@link EngineHost} and posts the reports it returns. Registered by `register.ts`, kept
 * apart so tests can construct it with a stubbed port.
 */
export class PlaybackProcessor extends AudioWorkletProcessor {
  private readonly host: EngineHost;

  constructor(options: { processorOptions: EngineOptions }) {
    super();
    this.host = new EngineHost(options.processorOptions, sampleRate);
    this.port.onmessage = (event: MessageEvent<ToEngine>) => {
      const reply = this.host.receive(event.data);
      if (!reply) return;
      const { prefix, unread } = reply.state;
      this.port.postMessage(reply, unread ? [prefix.buffer, unread.buffer] : [prefix.buffer]);
    };
  }

  override process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const output = outputs[0];
    const channel = output[0];
    const report = this.host.render(channel, currentFrame);
    for (let c = 1; c < output.length; c++) output[c].set(channel);
    if (report) this.port.postMessage(report);
    return this.host.alive;
  }
}
