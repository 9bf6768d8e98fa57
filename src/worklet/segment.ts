import type { StreamingResampler } from '../dsp/resampler.js';
import type { TimeStretcher } from '../dsp/time-stretch.js';

/** Where an utterance is in its life on the audio thread. */
export const Phase = {
  Free: 0,
  /** Waiting for the prebuffer to fill before the first sample sounds. */
  Waiting: 1,
  Playing: 2,
  /** Fading out over the last buffered samples because data is about to run out. */
  UnderrunFade: 3,
  /** Silent mid-utterance, waiting for data. */
  Starved: 4,
  /** Fading out because of interrupt(); everything before the flush point is dropped after. */
  InterruptFade: 5,
} as const;

/** One utterance's stretch of the ring's input stream. Pooled: never allocated in process(). */
export class Segment {
  serial = 0;
  rate = 0;
  start = 0;
  end = Infinity;
  /** Input samples needed before it starts, and again before it resumes after an underrun. */
  prebuffer = 0;
  /** Added to `prebuffer` at each underrun, up to `prebufferMax`. */
  prebufferStep = 0;
  prebufferMax = 0;
  phase: number = Phase.Free;
  /** Source samples taken from the ring (played, held by a stage, or dropped). */
  consumed = 0;
  /** Output frames made. */
  produced = 0;
  starvedFrames = 0;
  /** Output frame of its last sample, once known (-1 before). */
  endFrame = -1;
  /** Where its source map starts (stretched, source): 0, 0 unless continued from a predecessor. */
  mapStretched = 0;
  mapSource = 0;
  resampler: StreamingResampler | null = null;
  stretcher: TimeStretcher | null = null;
}
