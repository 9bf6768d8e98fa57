import { SampleRing } from '../ring/sample-ring.js';
import { RECORD_BLOCK, type EngineOptions, type EngineReport, type HandoverReply, type ToEngine } from './messages.js';
import { Fader } from '../dsp/fade.js';
import { PlaybackEngine } from './playback-engine.js';

/**
 * Everything the playback worklet does, without the worklet: owns the ring (shared with
 * the main thread, or private and filled from messages) and the {@link PlaybackEngine},
 * applies the main thread's messages, and fills one preallocated report per
 * `reportIntervalFrames` or whenever events happened, never one per quantum otherwise.
 *
 * Pure (no Web Audio globals), so the player's unit tests run it behind a fake port, and
 * the processor class is a thin shell around it. {@link EngineHost.render} never allocates
 * and never throws.
 */
export class EngineHost {
  readonly engine: PlaybackEngine;
  /** Reused for every report: the port's structured clone copies it when posted. */
  readonly report: EngineReport = {
    type: 'report',
    absRead: 0,
    serial: -1,
    played: 0,
    inFlight: 0,
    levelPeak: 0,
    levelSumSquares: 0,
    levelFrames: 0,
    levelEndFrame: 0,
    eventCount: 0,
    events: null,
    lost: 0,
    recorded: null,
    recordedCount: 0,
    recordedFrame: 0,
    recordedFinal: false,
  };
  /** False once the player said `close`. */
  alive = true;
  /** The state went to a successor (`handover`): silent from then on, for good. */
  #retired = false;
  /** A private ring (postMessage transport): its unread samples travel with a handover. */
  readonly #privateRing: boolean;
  /** The gain the last `volume` message asked for. */
  #gain = 1;
  readonly #reportInterval: number;
  #sinceReport = 0;
  /** The output gain (volume, mute), applied after the engine: the accounting is unaffected. */
  readonly #volume = new Fader(1);
  readonly #fadeFrames: number;
  #peak = 0;
  #sumSquares = 0;
  /** Recording the output: the block being filled (made at the first `record`), its fill and first frame. */
  #recording = false;
  #recordBlock: Float32Array | null = null;
  #recordCount = 0;
  #recordFrame = 0;
  /** A stopped recording's last block is still to be sent. */
  #recordFlush = false;

  constructor(options: EngineOptions, outRate: number) {
    const buffer = options.shared ?? new ArrayBuffer(SampleRing.bytesFor(options.capacity));
    this.engine = new PlaybackEngine(new SampleRing(buffer, options.capacity), outRate, options.fadeFrames, options.rates);
    this.#reportInterval = options.reportIntervalFrames;
    this.#fadeFrames = Math.max(1, Math.round(options.fadeFrames));
    this.#privateRing = options.shared === undefined;
    if (options.restore) {
      this.engine.takeOver(options.restore);
      this.#gain = options.restore.gain;
      this.#volume.rampTo(this.#gain, 0);
    }
  }

  /**
   * Applies one message from the main thread (between render quanta). Returns the reply
   * to post, if the message asks for one (`handover`).
   */
  receive(msg: ToEngine): HandoverReply | null {
    const engine = this.engine;
    if (this.#retired) return null;
    switch (msg.type) {
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
      case 'volume':
        // Ramped over the fade length, so a change never clicks.
        this.#gain = msg.gain >= 0 && msg.gain <= 1 ? msg.gain : 1;
        this.#volume.rampTo(this.#gain, this.#fadeFrames);
        break;
      case 'speed':
        engine.setSpeed(msg.speed);
        break;
      case 'record':
        if (msg.on) {
          this.#recordBlock ??= new Float32Array(RECORD_BLOCK);
          this.#recording = true;
          this.#recordCount = 0;
          this.#recordFlush = false;
        } else if (this.#recording) {
          this.#recording = false;
          this.#recordFlush = true;
        }
        break;
      case 'pause':
        engine.pause();
        break;
      case 'resume':
        engine.resume();
        break;
      case 'close':
        this.alive = false;
        break;
      case 'handover': {
        const state = engine.handOver(this.#privateRing);
        state.gain = this.#gain;
        this.#retired = true;
        return { type: 'handover', state };
      }
    }
    return null;
  }

  /**
   * Renders one quantum into `out` (`contextFrame` is the worklet scope's `currentFrame`).
   * Returns the report to post now, or null. The caller posts it before the next call.
   */
  render(out: Float32Array, contextFrame: number): EngineReport | null {
    const engine = this.engine;
    if (this.#retired) {
      out.fill(0);
      return null;
    }
    engine.render(out, contextFrame);
    this.#volume.apply(out, 0, out.length);
    // The level of what reaches the speakers, for a visualiser: reported, never posted per quantum.
    let peak = this.#peak;
    let sum = this.#sumSquares;
    for (let i = 0; i < out.length; i++) {
      const x = out[i];
      sum += x * x;
      if (x > peak) peak = x;
      else if (-x > peak) peak = -x;
    }
    this.#peak = peak;
    this.#sumSquares = sum;
    this.#sinceReport += out.length;
    const recorded = this.#record(out);
    if (engine.logCount === 0 && this.#sinceReport < this.#reportInterval && !recorded) return null;
    const report = this.report;
    report.levelPeak = peak;
    report.levelSumSquares = sum;
    report.levelFrames = this.#sinceReport;
    report.levelEndFrame = contextFrame + out.length;
    this.#peak = 0;
    this.#sumSquares = 0;
    report.absRead = engine.absRead;
    report.serial = engine.currentSerial;
    report.played = engine.currentPlayed;
    report.inFlight = engine.currentConsumed - engine.currentPlayed;
    report.eventCount = engine.logCount;
    report.events = engine.logCount > 0 ? engine.log : null;
    report.lost = engine.logOverflow;
    // The port's structured clone copies the block when the report is posted, before the next render reuses it.
    report.recorded = recorded ? this.#recordBlock : null;
    report.recordedCount = recorded ? this.#recordCount : 0;
    report.recordedFrame = this.#recordFrame;
    report.recordedFinal = recorded && !this.#recording;
    if (recorded) this.#recordCount = 0;
    engine.takeEvents();
    this.#sinceReport = 0;
    return report;
  }

  /**
   * While recording, appends the quantum just rendered (after the volume) to the block; true
   * when the block is to go out with this render's report: full, or the last one of a stopped
   * recording. Copies numbers only: no allocation.
   */
  #record(out: Float32Array): boolean {
    const block = this.#recordBlock;
    if (!block) return false;
    if (this.#recordFlush) {
      this.#recordFlush = false;
      return true;
    }
    if (!this.#recording) return false;
    // The frame of the quantum's first sample, as the engine placed it (stale frames corrected).
    if (this.#recordCount === 0) this.#recordFrame = this.engine.nextFrame - out.length;
    const n = out.length < block.length - this.#recordCount ? out.length : block.length - this.#recordCount;
    for (let i = 0; i < n; i++) block[this.#recordCount + i] = out[i];
    this.#recordCount += n;
    return this.#recordCount === block.length;
  }
}
