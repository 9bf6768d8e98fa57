import type { RecordedBlock, RecordedSpan, Recording } from './recording.js';

/** How a {@link PlayerRecorder} reaches the player. */
export interface RecorderLinks {
  /** Starts or stops the audio thread's recording. */
  post(on: boolean): void;
  /** Stops listening to reports. */
  detach(): void;
  /** The recording reached its limit (the player emits `record-limit`). */
  limit(): void;
}

/** If the audio thread never sends the last block (its context was replaced or closed), stop() resolves after this. */
const LAST_BLOCK_WAIT_MS = 1000;

/**
 * A recording in progress, from `player.record()`: what reaches the output (after the volume),
 * with each utterance's span. `stop()` gives back the {@link Recording}.
 */
export class PlayerRecorder {
  readonly #sampleRate: number;
  readonly #maxFrames: number;
  readonly #blocks: RecordedBlock[] = [];
  readonly #spans = new Map<string, RecordedSpan>();
  #frames = 0;
  readonly #links: RecorderLinks;
  #stopping = false;
  #finished = false;
  #resolve: (recording: Recording) => void = () => undefined;
  readonly #done: Promise<Recording>;

  /** Made by `player.record()`: output at `sampleRate`, at most `maxFrames` of it. */
  constructor(sampleRate: number, maxFrames: number, links: RecorderLinks) {
    this.#sampleRate = sampleRate;
    this.#maxFrames = maxFrames;
    this.#links = links;
    this.#done = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** True until `stop()` is called or the limit is reached. */
  get recording(): boolean {
    return !this.#stopping;
  }

  /** Stops recording; resolves with everything recorded (once the audio thread has sent its last block). */
  stop(): Promise<Recording> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#links.post(false);
      setTimeout(() => this.#finish(), LAST_BLOCK_WAIT_MS);
    }
    return this.#done;
  }

  /** @internal A block of output from the audio thread. */
  samples(frame: number, samples: Float32Array, final: boolean): void {
    if (this.#finished) return;
    const n = Math.min(samples.length, this.#maxFrames - this.#frames);
    if (n > 0) {
      this.#blocks.push({ frame, samples: samples.slice(0, n) });
      this.#frames += n;
    }
    if (n < samples.length && !this.#stopping) {
      this.#links.limit();
      void this.stop();
    }
    if (final) this.#finish();
  }

  /** @internal An utterance started sounding at context frame `frame`. */
  started(utteranceId: string, frame: number, sampleRate: number): void {
    if (!this.#finished) this.#spans.set(utteranceId, { utteranceId, startFrame: frame, endFrame: Infinity, playedSamples: 0, sampleRate, interrupted: false });
  }

  /** @internal An utterance ended or was cut at context frame `frame`. */
  finished(utteranceId: string, frame: number, playedSamples: number, interrupted: boolean): void {
    const span = this.#spans.get(utteranceId);
    if (this.#finished || !span || span.endFrame !== Infinity) return;
    span.endFrame = frame;
    span.playedSamples = playedSamples;
    span.interrupted = interrupted;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#stopping = true;
    this.#links.detach();
    // Loaded here, not with the player: an app that never records does not ship it.
    void import('./recording.js').then(({ buildRecording }) => this.#resolve(buildRecording(this.#sampleRate, this.#blocks, [...this.#spans.values()])));
  }
}
