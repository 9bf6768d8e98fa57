/**
 * The echo worklet's work at the context rate: microphone and reference down to 16 kHz in
 * lockstep, one detector block at a time, the cancelled signal back up. Pure, so Node tests
 * drive it quantum by quantum.
 *
 * @packageDocumentation
 */
import { StreamingResampler } from '../dsp/resampler.js';
import { ECHO_BLOCK, ECHO_RATE, EchoDetector } from './echo-detector.js';
import type { EchoEventMessage, EchoProcessorOptions, EchoReportMessage, FromEcho } from './messages.js';

/** Kernel half-width of the 16 kHz conversions: speech detection needs no −90 dB images. */
const HALF_TAPS = 16;
/** Blocks between two reports (about 256 ms). */
const REPORT_EVERY = 16;
/** Room for the cancelled signal waiting to go back up to the context rate. */
const FIFO = 4 * ECHO_BLOCK;

/**
 * One detector fed by render quanta. {@link render} takes the quantum's microphone and
 * reference (either may be missing: an unconnected input is silence) and fills `out` with the
 * cancelled microphone, about two blocks (32 ms) late. It returns at most one message per
 * quantum: an event if a block produced one, else a report when one is due. Allocates nothing
 * after construction.
 */
export class EchoHost {
  /** The detector itself (its figures are read for the reports). */
  readonly detector: EchoDetector;
  private readonly micDown: StreamingResampler;
  private readonly refDown: StreamingResampler;
  private readonly up: StreamingResampler;
  private readonly mic = new Float32Array(ECHO_BLOCK);
  private readonly ref = new Float32Array(ECHO_BLOCK);
  private readonly cleaned = new Float32Array(ECHO_BLOCK);
  private readonly fifo = new Float32Array(FIFO);
  private readonly silence = new Float32Array(128);
  private readonly report: EchoReportMessage;
  private readonly event: EchoEventMessage = { type: 'event', event: 'speechstart', frame: 0 };
  private filled = 0;
  private queued = ECHO_BLOCK; // one block of silence first, so the output never runs dry
  private blocks = 0;

  constructor(contextRate: number, options: EchoProcessorOptions) {
    this.detector = new EchoDetector(options);
    this.micDown = new StreamingResampler(contextRate, ECHO_RATE, { halfTaps: HALF_TAPS });
    this.refDown = new StreamingResampler(contextRate, ECHO_RATE, { halfTaps: HALF_TAPS });
    this.up = new StreamingResampler(ECHO_RATE, contextRate, { halfTaps: HALF_TAPS });
    this.report = { type: 'report', ...this.detector.report };
  }

  /** Forgets a tentative or confirmed talker. */
  resetPolicy(): void {
    this.detector.resetPolicy();
  }

  /** One render quantum; see the class. */
  render(micIn: Float32Array | undefined, refIn: Float32Array | undefined, out: Float32Array, frame: number): FromEcho | null {
    const mic = micIn ?? this.silence;
    const ref = refIn ?? this.silence;
    const count = Math.min(mic.length, ref.length);
    let offset = 0;
    let message: FromEcho | null = null;
    while (offset < count) {
      const want = ECHO_BLOCK - this.filled;
      this.micDown.process(mic, offset, count - offset, this.mic, this.filled, want);
      const wrote = this.refDown.process(ref, offset, count - offset, this.ref, this.filled, want);
      offset += this.refDown.consumed;
      this.filled += wrote;
      if (this.filled < ECHO_BLOCK) break;
      this.filled = 0;
      const event = this.detector.process(this.mic, this.ref, this.cleaned);
      if (this.queued + ECHO_BLOCK <= FIFO) {
        this.fifo.set(this.cleaned, this.queued);
        this.queued += ECHO_BLOCK;
      }
      if (event) {
        this.event.event = event;
        this.event.frame = frame;
        message = this.event;
      } else if (++this.blocks % REPORT_EVERY === 0 && !message) {
        Object.assign(this.report, this.detector.report);
        message = this.report;
      }
    }
    const made = this.up.process(this.fifo, 0, this.queued, out, 0, out.length);
    const used = this.up.consumed;
    this.fifo.copyWithin(0, used, this.queued);
    this.queued -= used;
    for (let i = made; i < out.length; i++) out[i] = 0;
    return message;
  }
}
