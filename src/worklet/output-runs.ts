/**
 * Where each stretch of an utterance's output played: the memory that lets a mark which
 * reaches the audio thread after its sample played be stamped with the frame that sample
 * played at, instead of "now". Pure and preallocated: `note()` only writes numbers, so the
 * engine can call it from every render.
 */

/** Output runs remembered (each utterance, underrun, pause or clock jump starts one). */
export const RUN_HISTORY = 128;

/** {@link OutputRuns.frameOf}: the sample was never heard (its utterance was cut before it). */
export const NOT_HEARD = -1;
/** {@link OutputRuns.frameOf}: the history no longer covers the sample (too old, or played in a predecessor's context). */
export const UNKNOWN = -2;

/** Fields of a run record. */
const enum Run {
  Serial,
  /** The utterance's source rate. */
  Rate,
  /** Output index (of the utterance) of the run's first frame. */
  Index,
  /** Context frame of that first frame. */
  Frame,
  /** Output index just after the run's last frame. */
  End,
  /** 1 once the utterance ended with this run (every sample played), else 0. */
  Ended,
  Fields,
}

/** Output index of an utterance's input sample `offset` (ceil: the first output at or after it). */
export function outputIndex(offset: number, inRate: number, outRate: number): number {
  return inRate === outRate ? offset : Math.ceil((offset * outRate) / inRate);
}

/**
 * A circular history of output runs: a run is a stretch of one utterance's output indices
 * [Index, End) that played on consecutive context frames from Frame. Utterances play in
 * serial order, so the history is sorted by serial.
 */
export class OutputRuns {
  readonly #runs = new Float64Array(RUN_HISTORY * Run.Fields);
  #last = -1;
  #count = 0;

  /**
   * `count` output frames of utterance `serial` (at source `rate`), from its output index
   * `index`, played from context frame `frame`: extends the newest run when they continue
   * it, else starts a new one.
   */
  note(serial: number, rate: number, index: number, frame: number, count: number): void {
    const runs = this.#runs;
    let o = this.#last * Run.Fields;
    if (o < 0 || runs[o + Run.Serial] !== serial || runs[o + Run.End] !== index || runs[o + Run.Frame] + index - runs[o + Run.Index] !== frame) {
      this.#last = (this.#last + 1) % RUN_HISTORY;
      if (this.#count < RUN_HISTORY) this.#count++;
      o = this.#last * Run.Fields;
      runs[o + Run.Serial] = serial;
      runs[o + Run.Rate] = rate;
      runs[o + Run.Index] = index;
      runs[o + Run.Frame] = frame;
      runs[o + Run.Ended] = 0;
    }
    runs[o + Run.End] = index + count;
  }

  /** Utterance `serial` played to its last sample (a mark past its end sounds with that sample). */
  ended(serial: number): void {
    const o = this.#last * Run.Fields;
    if (o >= 0 && this.#runs[o + Run.Serial] === serial) this.#runs[o + Run.Ended] = 1;
  }

  /**
   * The context frame at which input sample `offset` of utterance `serial` played (an index
   * of the stream the resampler read: the source, or its time-stretched version); for an
   * offset past the last sample of an utterance that ended, its last sample's frame.
   * {@link NOT_HEARD} past what a cut utterance played; {@link UNKNOWN} when not remembered.
   */
  frameOf(serial: number, offset: number, outRate: number): number {
    const runs = this.#runs;
    for (let k = 0; k < this.#count; k++) {
      const o = ((this.#last - k + RUN_HISTORY) % RUN_HISTORY) * Run.Fields;
      if (runs[o + Run.Serial] < serial) break; // older utterances only from here
      if (runs[o + Run.Serial] > serial) continue;
      const index = outputIndex(offset, runs[o + Run.Rate], outRate);
      if (index < runs[o + Run.Index]) continue; // in an earlier run
      // Past the run's end happens only in the utterance's newest run: past all it played.
      const end = runs[o + Run.End];
      if (index < end) return runs[o + Run.Frame] + index - runs[o + Run.Index];
      return runs[o + Run.Ended] === 1 ? runs[o + Run.Frame] + end - 1 - runs[o + Run.Index] : NOT_HEARD;
    }
    return UNKNOWN;
  }
}
