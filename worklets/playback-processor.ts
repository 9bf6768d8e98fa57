import { PlaybackEngine } from '../src/playback/playback-engine';
import { PROCESSOR_NAME } from '../src/playback/engine-messages';
import type { EngineOptions, EngineReport, ToEngine } from '../src/playback/engine-messages';
import { SampleRing } from '../src/ring/sample-ring';

/**
 * Thin AudioWorklet shell over {@link PlaybackEngine}: owns the ring (shared with the main
 * thread, or private and filled from messages), forwards control messages, and posts one
 * report per `reportIntervalFrames` or when events happened — never one per quantum
 * unless something happened in it.
 */
export class PlaybackProcessor extends AudioWorkletProcessor {
  private readonly engine: PlaybackEngine;
  private readonly report: EngineReport;
  private readonly reportInterval: number;
  private sinceReport = 0;
  private alive = true;

  constructor(options: { processorOptions: EngineOptions }) {
    super();
    const opts = options.processorOptions;
    const buffer = opts.shared ?? new ArrayBuffer(SampleRing.bytesFor(opts.capacity));
    const ring = new SampleRing(buffer, opts.capacity);
    this.engine = new PlaybackEngine(ring, sampleRate, opts.fadeFrames, opts.rates);
    this.reportInterval = opts.reportIntervalFrames;
    this.report = { t: 'report', frame: 0, absRead: 0, serial: -1, played: 0, consumed: 0, n: 0, log: null, lost: 0 };
    this.port.onmessage = (event: MessageEvent<ToEngine | { t: 'close' }>) => this.onMessage(event.data);
  }

  private onMessage(msg: ToEngine | { t: 'close' }): void {
    const engine = this.engine;
    switch (msg.t) {
      case 'samples':
        // The main thread never sends more than the free space it last heard of, so this fits.
        engine.ring.write(msg.data, 0, msg.data.length);
        break;
      case 'begin':
        engine.begin(msg.serial, msg.rate, msg.at, msg.prebuffer, msg.prebufferStep, msg.prebufferMax);
        break;
      case 'end':
        engine.end(msg.serial, msg.at);
        break;
      case 'interrupt':
        engine.interrupt(msg.flushTo, msg.lastSerial);
        break;
      case 'mark':
        engine.addMark(msg.serial, msg.offset, msg.id);
        break;
      case 'close':
        this.alive = false;
        break;
    }
  }

  override process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const output = outputs[0];
    const channel = output[0];
    const engine = this.engine;
    engine.render(channel, currentFrame);
    for (let c = 1; c < output.length; c++) output[c].set(channel);
    this.sinceReport += channel.length;
    if (engine.logCount > 0 || this.sinceReport >= this.reportInterval) {
      const report = this.report;
      report.frame = engine.nextFrame;
      report.absRead = engine.absRead;
      report.serial = engine.currentSerial;
      report.played = engine.currentPlayed;
      report.consumed = engine.currentConsumed;
      report.n = engine.logCount;
      report.log = engine.logCount > 0 ? engine.log : null;
      report.lost = engine.logOverflow;
      this.port.postMessage(report);
      engine.takeEvents();
      this.sinceReport = 0;
    }
    return this.alive;
  }
}

registerProcessor(PROCESSOR_NAME, PlaybackProcessor);
