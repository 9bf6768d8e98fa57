import { EchoHost } from './echo-host.js';
import type { EchoProcessorOptions, ToEcho } from './messages.js';

/**
 * The echo AudioWorkletProcessor: input 0 is the microphone, input 1 the player's output (the
 * reference); output 0 is the microphone with the player's echo removed. A thin shell around
 * {@link EchoHost}; registered by `echo-register.ts`, kept apart so tests can construct it.
 */
export class EchoProcessor extends AudioWorkletProcessor {
  private readonly host: EchoHost;
  private alive = true;

  constructor(options: { processorOptions: EchoProcessorOptions }) {
    super();
    this.host = new EchoHost(sampleRate, options.processorOptions ?? {});
    this.port.onmessage = (event: MessageEvent<ToEcho>) => {
      if (event.data.type === 'reset-policy') this.host.resetPolicy();
      else if (event.data.type === 'close') this.alive = false;
    };
  }

  override process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0][0];
    const message = this.host.render(inputs[0]?.[0], inputs[1]?.[0], out, currentFrame);
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    if (message) this.port.postMessage(message);
    return this.alive;
  }
}
