import { StreamingResampler } from '../dsp/resampler.js';
import { MAX_SPEED, MIN_SPEED, TimeStretcher } from '../dsp/time-stretch.js';
import type { SampleRing } from '../ring/sample-ring.js';
import type { Segment } from './segment.js';
import { SourceMap } from './source-map.js';
import { SourceReader } from './source-reader.js';

/**
 * Stretched samples buffered between the time-stretcher and the resampler: small, so a new
 * speed is heard within about a period (this, plus what is left of the stretcher's current
 * piece of work: one period at most).
 */
const STRETCH_BUFFER = 64;

/**
 * The engine's audio path for the utterance at the head of its queue, stage by stage:
 *
 * 1. {@link SourceReader}: its source samples from the ring;
 * 2. {@link TimeStretcher}: the speed, pitch kept; bypassed at speed 1, bit for bit;
 * 3. {@link StreamingResampler}: source rate to context rate.
 *
 * (The engine's fader comes last.) The {@link SourceMap} follows the stretched stream back
 * to source positions, so whatever the speed, the engine counts in source samples.
 *
 * No method allocates or throws during render; {@link Pipeline.prepareRate} allocates (a
 * message handler's job).
 */
export class Pipeline {
  readonly reader: SourceReader;
  readonly map = new SourceMap();
  readonly outRate: number;
  readonly #resamplers = new Map<number, StreamingResampler>();
  readonly #stretchers = new Map<number, TimeStretcher>();
  /** Time-stretched samples waiting for the resampler: [stretchAt, stretchEnd). */
  readonly #stretched = new Float32Array(STRETCH_BUFFER);
  #stretchAt = 0;
  #stretchEnd = 0;
  /** The playback speed (0.5–2). */
  speed = 1;

  constructor(ring: SampleRing, outRate: number) {
    this.reader = new SourceReader(ring);
    this.outRate = outRate;
  }

  /** Builds (once) the resampler and stretcher for a source rate and gives them to `seg`; call outside render(). */
  prepareRate(rate: number, seg: Segment | null = null): void {
    let resampler = this.#resamplers.get(rate);
    if (!resampler) {
      resampler = new StreamingResampler(rate, this.outRate);
      this.#resamplers.set(rate, resampler);
      this.#stretchers.set(rate, new TimeStretcher(rate, this.map));
    }
    if (seg) {
      seg.resampler = resampler;
      seg.stretcher = this.#stretchers.get(rate)!;
    }
  }

  /** Sets the speed (0.5–2; other values are ignored); the sounding utterance `head` hears it at the stretcher's next piece of work. */
  setSpeed(speed: number, head: Segment | null): void {
    if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) return;
    this.speed = speed;
    head?.stretcher?.setSpeed(speed);
  }

  /** `seg` starts sounding (or continues from a predecessor): fresh stages, its map opened. */
  start(seg: Segment): void {
    seg.resampler!.reset();
    const stretcher = seg.stretcher!;
    stretcher.reset();
    stretcher.setSpeed(this.speed);
    this.#stretchAt = 0;
    this.#stretchEnd = 0;
    this.map.open(seg.serial, seg.mapStretched, seg.mapSource);
  }

  /** `seg` leaves the queue: what its stretcher held goes with it. */
  release(seg: Segment): void {
    seg.stretcher?.reset();
    seg.resampler = null;
    seg.stretcher = null;
    this.#stretchAt = 0;
    this.#stretchEnd = 0;
  }

  /**
   * Makes up to `count` output frames of `seg` into out[i..]; returns how many. `limit` is
   * the absolute position where its source stops; `complete` says every sample up to it has
   * arrived, so the stages may empty themselves.
   */
  read(seg: Segment, limit: number, complete: boolean, out: Float32Array, i: number, count: number): number {
    const resampler = seg.resampler!;
    const reader = this.reader;
    let produced = 0;
    while (produced < count) {
      let made: number;
      let used: number;
      if (this.#bypassed(seg)) {
        // Speed 1: the resampler reads the source itself, bit for bit, with no added latency.
        const left = limit - reader.absRead;
        const contiguous = reader.runLength();
        made = resampler.process(reader.runArray(), reader.runIndex(), contiguous < left ? contiguous : left, out, i + produced, count - produced);
        used = resampler.consumed;
        if (used > 0) {
          reader.advance(used);
          seg.consumed += used;
          this.map.plan(used, used);
        }
      } else {
        if (this.#stretchAt === this.#stretchEnd && !this.#stretch(seg, limit)) break;
        made = resampler.process(this.#stretched, this.#stretchAt, this.#stretchEnd - this.#stretchAt, out, i + produced, count - produced);
        used = resampler.consumed;
        this.#stretchAt += used;
      }
      produced += made;
      if (made === 0 && used === 0) break;
    }
    if (produced < count && complete && this.drained(seg, limit)) produced += resampler.drain(out, i + produced, count - produced);
    return produced;
  }

  /** Every sample of `seg` has arrived (its end is known and lies inside the ring). */
  complete(seg: Segment): boolean {
    const reader = this.reader;
    return seg.end !== Infinity && reader.absRead + reader.available() >= seg.end;
  }

  /** Every stage before the resampler has handed on all it held of `seg` up to `limit`. */
  drained(seg: Segment, limit: number): boolean {
    return this.reader.absRead >= limit && seg.stretcher!.idle && this.#stretchAt === this.#stretchEnd;
  }

  /** The resampler's input position (an index of the stretched stream) of `seg`'s output so far. */
  stretchedIndex(seg: Segment): number {
    const resampler = seg.resampler!;
    return resampler.inRate === resampler.outRate ? seg.produced : Math.floor((seg.produced * resampler.inRate) / resampler.outRate);
  }

  /** Source samples of `seg` heard so far: its output position mapped back to source time. */
  played(seg: Segment): number {
    if (seg.produced === 0 || !seg.resampler) return 0;
    const s = this.stretchedIndex(seg);
    let heard = this.map.sourceAt(seg.serial, s);
    if (heard < 0) heard = s;
    return heard < seg.consumed ? heard : seg.consumed;
  }

  /**
   * Source samples needed to make `frames` more output frames of `seg`: exact when the
   * stretcher is bypassed; an upper bound when it stretches (a cycle of splicing plus its
   * lookahead, less what it holds; no lookahead when `final`: its source ends there).
   */
  sourceNeededFor(seg: Segment, frames: number, final = false): number {
    const need = seg.resampler!.inputNeededFor(frames);
    if (this.#bypassed(seg)) return need;
    const stretcher = seg.stretcher!;
    const more = need - (this.#stretchEnd - this.#stretchAt) - stretcher.ready;
    if (more <= 0) return 0;
    const source = Math.ceil(more * this.speed) + 2 * stretcher.maxPeriod + (final ? 0 : stretcher.lookahead) - stretcher.held;
    return source > 0 ? source : 0;
  }

  /** Largest k ≤ max such that k output frames of `seg` can be made from `buffered` source samples (`final`: its last ones). */
  maxProducible(seg: Segment, buffered: number, max: number, final = false): number {
    let lo = 0;
    let hi = max;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.sourceNeededFor(seg, mid, final) <= buffered) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Source samples needed before `seg` starts: its prebuffer, but never less than what makes
   * `frames` (a quantum plus a fade), or a zero prebuffer would start on an empty ring and
   * underrun at once.
   */
  startThreshold(seg: Segment, frames: number): number {
    const minimum = this.sourceNeededFor(seg, frames);
    const prebuffer = this.#prebufferOf(seg);
    return prebuffer > minimum ? prebuffer : minimum;
  }

  /** Source samples needed before `seg` resumes after an underrun: its prebuffer, and at least what makes `frames` (two fades and one more, so resuming always makes progress). */
  resumeThreshold(seg: Segment, frames: number): number {
    const forFade = this.sourceNeededFor(seg, frames);
    const prebuffer = this.#prebufferOf(seg);
    return prebuffer > forFade ? prebuffer : forFade;
  }

  /**
   * The prebuffer in source samples at the current speed: faster, the same source lasts less
   * listening time, so it grows with the speed (up to half the ring) to keep its cover in time.
   */
  #prebufferOf(seg: Segment): number {
    if (this.speed <= 1) return seg.prebuffer;
    const scaled = Math.ceil(seg.prebuffer * this.speed);
    const cap = this.reader.ring.capacity >> 1;
    return scaled < cap ? scaled : cap > seg.prebuffer ? cap : seg.prebuffer;
  }

  /** Speed 1 and nothing left in the stretcher: the resampler reads the source directly. */
  #bypassed(seg: Segment): boolean {
    return this.speed === 1 && seg.stretcher!.idle && this.#stretchAt === this.#stretchEnd;
  }

  /**
   * Refills the stretched buffer: feeds the stretcher the source it can take, then reads what
   * it makes. False when it made nothing (it needs more source, or has ended).
   */
  #stretch(seg: Segment, limit: number): boolean {
    const stretcher = seg.stretcher!;
    const reader = this.reader;
    for (;;) {
      const left = limit - reader.absRead;
      const run = reader.runLength();
      const room = stretcher.space;
      let take = run < left ? run : left;
      if (take > room) take = room;
      if (take <= 0) break;
      const taken = stretcher.write(reader.runArray(), reader.runIndex(), take);
      if (taken <= 0) break;
      reader.advance(taken);
      seg.consumed += taken;
    }
    // Everything up to the end (or the interrupt's flush point) is in: it may use it all up.
    if (reader.absRead >= limit) stretcher.finish();
    this.#stretchAt = 0;
    this.#stretchEnd = stretcher.read(this.#stretched, 0, STRETCH_BUFFER);
    return this.#stretchEnd > 0;
  }
}
