import { Fader } from '../dsp/fade.js';
import type { SampleRing } from '../ring/sample-ring.js';
import { EventLog } from './event-log.js';
import { MarkScheduler } from './mark-scheduler.js';
import { EngineEvent, type EngineState } from './messages.js';
import { Pipeline } from './pipeline.js';
import { Phase, type Segment } from './segment.js';
import { SegmentQueue } from './segment-queue.js';

/**
 * The playback state machine that runs inside the AudioWorklet: prebuffer, underrun,
 * interrupt, pause, and the utterance queue. Its audio flows through stages:
 *
 * 1. the {@link Pipeline}: source samples from the ring → time-stretch (speed) → resample;
 * 2. a {@link Fader}: interrupt, pause and underrun fades.
 *
 * Around it: the pipeline's source map keeps every output sample's source position (so
 * marks, `played` and every report stay in source time at any speed), the
 * {@link MarkScheduler} fires marks, and the {@link EventLog} collects events for the main
 * thread.
 *
 * Pure: no Web Audio globals, so unit tests drive it directly. After construction,
 * {@link PlaybackEngine.render} never allocates and never throws; the message handlers
 * ({@link PlaybackEngine.begin} and friends) run between render quanta and may allocate
 * only when a new source rate needs its resampler and stretcher.
 */
export class PlaybackEngine {
  readonly outRate: number;
  readonly fadeFrames: number;
  /** Context frame just after the last rendered quantum: where the next one starts at the earliest. */
  nextFrame = 0;
  /** Events since the last {@link PlaybackEngine.takeEvents}. */
  readonly events = new EventLog();
  /** Paused by the app (see {@link PlaybackEngine.pause}). */
  paused = false;

  readonly #queue = new SegmentQueue();
  readonly #pipeline: Pipeline;
  readonly #marks: MarkScheduler;
  readonly #fader = new Fader(1);
  /** Output frames of the pause's fade-out still to play. */
  #pauseFadeLeft = 0;
  #flushTo = -1;
  #dropMarksThrough = -1;
  #interruptFadeFrames = 0;
  #renderFrame = 0;
  /** Serial of the last utterance that left the queue. */
  #lastReleased = -1;

  constructor(ring: SampleRing, outRate: number, fadeFrames: number, rates: readonly number[] = []) {
    this.#pipeline = new Pipeline(ring, outRate);
    this.outRate = outRate;
    this.fadeFrames = Math.max(0, Math.round(fadeFrames));
    this.#marks = new MarkScheduler(this.events, this.#pipeline.map, outRate);
    for (const rate of rates) this.#pipeline.prepareRate(rate);
  }

  /** The ring the source samples come from. */
  get ring(): SampleRing {
    return this.#pipeline.reader.ring;
  }

  /** Absolute count of samples consumed from the ring (played, held by a stage, or dropped). */
  get absRead(): number {
    return this.#pipeline.reader.absRead;
  }

  /** The event log's records (see `EngineEvent`), {@link PlaybackEngine.logCount} of them. */
  get log(): Float64Array {
    return this.events.data;
  }

  /** Events logged since the last {@link PlaybackEngine.takeEvents}. */
  get logCount(): number {
    return this.events.count;
  }

  /** Events that did not fit in the log before it was taken (should stay 0). */
  get logOverflow(): number {
    return this.events.overflow;
  }

  /** The utterance at the head of the queue, or -1. */
  get currentSerial(): number {
    return this.#queue.head?.serial ?? -1;
  }

  /** Source samples of the head utterance played so far. */
  get currentPlayed(): number {
    const head = this.#queue.head;
    return head ? this.#pipeline.played(head) : 0;
  }

  /** Source samples of the head utterance taken from the ring. */
  get currentConsumed(): number {
    return this.#queue.head?.consumed ?? 0;
  }

  /** The playback speed (0.5–2, pitch kept). */
  get speed(): number {
    return this.#pipeline.speed;
  }

  /**
   * Sets the speed (0.5–2; other values are ignored). It applies from the stretcher's next
   * piece of work, at most one pitch period away; at 1 the stretcher is bypassed as soon as
   * it has handed on what it held.
   */
  setSpeed(speed: number): void {
    this.#pipeline.setSpeed(speed, this.#queue.head);
  }

  /**
   * A new utterance starts at absolute position `at`, once `prebuffer` of its samples are
   * buffered. Each underrun raises that threshold for the rest of it by `prebufferStep`, up
   * to `prebufferMax`, so a stream that keeps arriving late stalls less often. Returns false
   * when the queue is full.
   */
  begin(serial: number, rate: number, at: number, prebuffer: number, prebufferStep = 0, prebufferMax = prebuffer): boolean {
    const seg = this.#queue.push();
    if (!seg) return false;
    // Utterances are contiguous in the ring: a new one ends any still-open predecessor.
    if (this.#queue.size > 1) {
      const last = this.#queue.at(this.#queue.size - 2);
      if (last.end > at) last.end = at;
    }
    seg.serial = serial;
    seg.rate = rate;
    seg.start = at;
    seg.end = Infinity;
    seg.prebuffer = Math.max(0, prebuffer);
    seg.prebufferStep = Math.max(0, prebufferStep);
    // Growth stops at half the ring: a threshold near its capacity (an utterance at a higher
    // rate than the ring was sized for) could stay out of reach until the utterance ends.
    seg.prebufferMax = Math.max(seg.prebuffer, Math.min(prebufferMax, this.ring.capacity >> 1));
    seg.phase = Phase.Waiting;
    seg.consumed = 0;
    seg.produced = 0;
    seg.starvedFrames = 0;
    seg.endFrame = -1;
    seg.mapStretched = 0;
    seg.mapSource = 0;
    this.#pipeline.prepareRate(rate, seg);
    return true;
  }

  /** No more samples for utterance `serial` after absolute position `at`. */
  end(serial: number, at: number): void {
    for (let k = 0; k < this.#queue.size; k++) {
      const seg = this.#queue.at(k);
      if (seg.serial === serial) seg.end = at;
    }
  }

  /**
   * Pause: the sounding audio fades out over the fade length, then the output is silent and
   * nothing more is read: the position holds, and no underrun is counted. Nothing starts while
   * paused.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    if (this.#queue.head?.phase === Phase.Playing) {
      this.#fader.rampTo(0, this.fadeFrames);
      this.#pauseFadeLeft = this.fadeFrames;
    }
  }

  /** Ends a pause: the audio fades back in from the very next sample. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.#pauseFadeLeft = 0;
    if (this.#queue.head?.phase === Phase.Playing) this.#fader.rampTo(1, this.fadeFrames);
  }

  /** Fade out what sounds, then drop everything before absolute position `flushTo`. */
  interrupt(flushTo: number, lastSerial = -1): void {
    if (flushTo > this.#flushTo) this.#flushTo = flushTo;
    if (lastSerial > this.#dropMarksThrough) this.#dropMarksThrough = lastSerial;
    // Nothing queued to fade: the marks can go now.
    if (this.#queue.size === 0) this.#marks.queue.dropThrough(this.#dropMarksThrough);
  }

  /**
   * Reports mark `id` when source sample `offset` of utterance `serial` is output. Marks may
   * come in any order; they are kept sorted. A mark whose sample already played (it arrived
   * late) is reported at the next render with the frame where that sample played, found in
   * the history of output runs; one the history no longer covers is reported as passed
   * (frame: that render's first frame, an upper bound). Returns false when MAX_MARKS are pending.
   */
  addMark(serial: number, offset: number, id: number): boolean {
    return this.#marks.queue.add(serial, offset, id);
  }

  /**
   * The state a successor in a new context needs to continue exactly here (see
   * {@link EngineState}); `copyUnread` for a private ring, whose unread samples must travel
   * too. The head utterance continues from its first unheard source sample: the samples its
   * stretcher and resampler had taken beyond that are copied from just behind the ring's read
   * position, where they stay until new samples overwrite them. The speed travels, and the
   * source map continues where the heard part ends. Message handler only: allocates.
   */
  handOver(copyUnread: boolean): EngineState {
    const ring = this.ring;
    const head = this.#queue.head;
    const heard = head ? this.#pipeline.played(head) : 0;
    const ahead = head && head.phase !== Phase.Waiting ? head.consumed - heard : 0;
    const reader = this.#pipeline.reader;
    const behind = reader.lookbehind(ahead);
    // Lost: new samples already overwrote them (the ring was full): skipped, and `lost` says how many.
    const lost = behind === null ? ahead : 0;
    const prefix = behind ?? reader.unreadPrefix();
    let unread: Float32Array | null = null;
    if (copyUnread) {
      unread = new Float32Array(ring.availableRead());
      ring.read(unread, 0, unread.length);
    }
    const segments = [];
    for (let k = 0; k < this.#queue.size; k++) {
      const seg = this.#queue.at(k);
      const rewind = k === 0 && lost === 0 ? ahead : 0;
      const sounding = k === 0 && seg.phase !== Phase.Waiting;
      segments.push({
        serial: seg.serial,
        rate: seg.rate,
        start: seg.start,
        end: seg.end,
        prebuffer: seg.prebuffer,
        prebufferStep: seg.prebufferStep,
        prebufferMax: seg.prebufferMax,
        phase: seg.phase,
        consumed: seg.consumed - rewind,
        produced: seg.produced,
        starvedFrames: seg.starvedFrames,
        mapStretched: sounding ? this.#pipeline.stretchedIndex(seg) : 0,
        mapSource: sounding ? seg.consumed - rewind : 0,
      });
    }
    return {
      absRead: this.absRead - (lost === 0 ? ahead : 0),
      prefix,
      unread,
      lost,
      segments,
      marks: this.#marks.queue.toArray(),
      paused: this.paused,
      flushTo: this.#flushTo,
      dropMarksThrough: this.#dropMarksThrough,
      lastReleased: this.#lastReleased,
      gain: 1,
      speed: this.#pipeline.speed,
    };
  }

  /**
   * Continues from a predecessor's {@link EngineState} (call once, before the first render).
   * The sounding utterance fades in over the fade length: the new context starts from
   * silence, and the new resampler and stretcher from empty histories.
   */
  takeOver(state: EngineState): void {
    this.#pipeline.reader.restore(state.absRead, state.prefix);
    if (state.unread) this.ring.write(state.unread, 0, state.unread.length);
    this.#pipeline.setSpeed(state.speed, null);
    for (const s of state.segments) {
      if (!this.begin(s.serial, s.rate, s.start, s.prebuffer, s.prebufferStep, s.prebufferMax)) break;
      const seg = this.#queue.at(this.#queue.size - 1);
      seg.end = s.end;
      // Mid-fade phases restart from their steady state; a pending interrupt (flushTo) redoes its fade.
      seg.phase = s.phase === Phase.UnderrunFade || s.phase === Phase.InterruptFade ? Phase.Playing : s.phase;
      seg.consumed = s.consumed;
      seg.produced = s.produced;
      seg.starvedFrames = s.starvedFrames;
      seg.mapStretched = s.mapStretched;
      seg.mapSource = s.mapSource;
      if (seg === this.#queue.head && seg.phase !== Phase.Waiting) this.#pipeline.start(seg);
    }
    for (let k = 0; k + 2 < state.marks.length; k += 3) this.addMark(state.marks[k], state.marks[k + 1], state.marks[k + 2]);
    this.paused = state.paused;
    this.#flushTo = state.flushTo;
    this.#dropMarksThrough = state.dropMarksThrough;
    this.#lastReleased = state.lastReleased;
    this.#fader.rampTo(0, 0);
    this.#fader.rampTo(1, this.fadeFrames);
  }

  /** Empties the event log (after the caller copied or posted it). */
  takeEvents(): void {
    this.events.take();
  }

  /**
   * Fills `out` with the next output frames. `contextFrame` is the context frame of out[0]
   * as the worklet scope reports it. Never allocates, never throws.
   */
  render(out: Float32Array, contextFrame: number): void {
    const n = out.length;
    let i = 0;
    // Chromium can hand a quantum the previous quantum's currentFrame while the main thread
    // holds the audio graph lock (https://issues.chromium.org/issues/442866743). Every call
    // renders new frames, so a frame behind the expected one is stale; one ahead is a real
    // jump of the clock (frames the context never rendered).
    const frame = contextFrame < this.nextFrame ? this.nextFrame : contextFrame;
    this.#renderFrame = frame;
    this.nextFrame = frame + n;
    // Marks whose sample played before the mark arrived: stamped with the frame it played at.
    if (this.#marks.queue.count > 0) {
      const head = this.#queue.head;
      this.#marks.fireLate(head ? head.serial : -1, head ? head.rate : 0, head ? head.produced : 0, this.#lastReleased, frame);
    }
    if (this.#flushTo >= 0) this.#startInterrupt(frame);
    if (this.paused && this.#flushTo < 0) {
      // The pause's fade-out plays the next samples; after it, silence and no reading.
      const head = this.#queue.head;
      if (this.#pauseFadeLeft > 0 && head && head.phase === Phase.Playing) {
        const count = n < this.#pauseFadeLeft ? n : this.#pauseFadeLeft;
        const done = this.#pull(head, out, 0, count);
        this.#fader.apply(out, 0, done);
        this.#pauseFadeLeft = done < count ? 0 : this.#pauseFadeLeft - done;
        i = done;
      }
      for (; i < n; i++) out[i] = 0;
      return;
    }
    // Each pass either writes frames or changes phase; the cap only guards the audio
    // thread against a phase cycle that a future change might introduce.
    for (let passes = 0; i < n && passes < 16; passes++) {
      const seg = this.#queue.head;
      if (!seg) break;
      const before = i;
      const phaseBefore = seg.phase;
      switch (seg.phase) {
        case Phase.Waiting:
          if (!this.paused && (this.#pipeline.complete(seg) || this.#bufferedFor(seg) >= this.#pipeline.startThreshold(seg, n + this.fadeFrames))) {
            seg.phase = Phase.Playing;
            this.#pipeline.start(seg);
            this.#fader.rampTo(1, 0);
            this.events.record(EngineEvent.Playing, seg.serial, frame + i, 0, 0, 0);
            continue;
          }
          break;
        case Phase.Playing:
          i = this.#renderPlaying(seg, out, i, n, frame);
          break;
        case Phase.UnderrunFade:
          if (this.#pipeline.complete(seg)) {
            // The end arrived: everything left is buffered, so no reason to go silent.
            seg.phase = Phase.Playing;
            this.#fader.rampTo(1, this.fadeFrames);
            continue;
          }
          i = this.#renderFade(seg, out, i, n);
          if (!this.#fader.ramping) this.#starve(seg, frame + i);
          break;
        case Phase.Starved:
          if (this.#pipeline.complete(seg) || this.#bufferedFor(seg) >= this.#pipeline.resumeThreshold(seg, 2 * this.fadeFrames + 1)) {
            seg.phase = Phase.Playing;
            this.#fader.rampTo(1, this.fadeFrames);
            this.events.record(EngineEvent.UnderrunEnd, seg.serial, frame + i, seg.starvedFrames, 0, 0);
            seg.starvedFrames = 0;
            continue;
          }
          seg.starvedFrames += n - i;
          break;
        case Phase.InterruptFade:
          i = this.#renderFade(seg, out, i, n);
          if (!this.#fader.ramping || i === before) this.#finishInterrupt(frame + i);
          break;
      }
      // Stop when a pass changed nothing: the rest of the quantum is silence.
      if (i === before && seg.phase === phaseBefore && this.#queue.head === seg) break;
    }
    for (; i < n; i++) out[i] = 0;
  }

  /** Output went silent at `frame`: wait for more than last time before resuming. */
  #starve(seg: Segment, frame: number): void {
    seg.phase = Phase.Starved;
    const raised = seg.prebuffer + seg.prebufferStep;
    seg.prebuffer = raised < seg.prebufferMax ? raised : seg.prebufferMax;
    this.events.record(EngineEvent.UnderrunStart, seg.serial, frame, 0, 0, 0);
  }

  #renderPlaying(seg: Segment, out: Float32Array, i: number, n: number, frame: number): number {
    const want = n - i;
    if (!this.#pipeline.complete(seg)) {
      const buffered = this.#bufferedFor(seg);
      if (this.#pipeline.sourceNeededFor(seg, want + this.fadeFrames) > buffered) {
        // Data will run out within this quantum plus a fade: play what we can at full
        // gain, then fade over the very last buffered samples, so the cut is click-free
        // and no real sample is skipped.
        const producible = this.#pipeline.maxProducible(seg, buffered, want + this.fadeFrames);
        const fadeLength = Math.min(producible, this.fadeFrames);
        const full = producible - fadeLength;
        const done = this.#pull(seg, out, i, Math.min(full, want));
        this.#fader.apply(out, i, done);
        this.#fader.rampTo(0, fadeLength);
        seg.phase = Phase.UnderrunFade;
        if (fadeLength === 0) this.#starve(seg, frame + i + done);
        return i + done;
      }
    }
    const done = this.#pull(seg, out, i, want);
    this.#fader.apply(out, i, done);
    if (done < want && this.#pipeline.complete(seg) && this.#pipeline.drained(seg, this.#limitOf(seg))) {
      if (seg.endFrame < 0) seg.endFrame = frame + i + done - 1;
      // Marks past the last sample (e.g. an "end" mark) sound with it. If the log cannot take
      // them all this quantum, Ended waits for the next one: it must come after its marks.
      if (this.#marks.queue.count > 0 && !this.#marks.flushThrough(seg.serial, seg.rate, seg.produced, seg.endFrame, this.#renderFrame)) return i + done;
      this.events.record(EngineEvent.Ended, seg.serial, seg.endFrame, seg.consumed, 0, 0);
      this.#marks.runs.ended(seg.serial);
      this.#release();
    }
    return i + done;
  }

  /** Renders while a ramp runs; returns the new write index. */
  #renderFade(seg: Segment, out: Float32Array, i: number, n: number): number {
    const count = Math.min(n - i, this.#fader.remaining);
    const done = this.#pull(seg, out, i, count);
    this.#fader.apply(out, i, done);
    if (seg.phase === Phase.InterruptFade) this.#interruptFadeFrames += done;
    return i + done;
  }

  /** Produces up to `count` output frames of `seg` into out[i..] (the caller fades them); returns how many. */
  #pull(seg: Segment, out: Float32Array, i: number, count: number): number {
    const produced = this.#pipeline.read(seg, this.#limitOf(seg), this.#pipeline.complete(seg), out, i, count);
    if (produced > 0) {
      this.#marks.runs.note(seg.serial, seg.rate, seg.produced, this.#renderFrame + i, produced);
      if (this.#marks.queue.count > 0) this.#marks.fire(seg.serial, seg.rate, seg.produced, seg.produced + produced, this.#renderFrame + i, this.#renderFrame);
    }
    seg.produced += produced;
    return produced;
  }

  /** Where this segment's samples stop: its end, or the interrupt's flush point. */
  #limitOf(seg: Segment): number {
    return this.#flushTo >= 0 && seg.phase === Phase.InterruptFade && this.#flushTo < seg.end ? this.#flushTo : seg.end;
  }

  /** Samples of `seg` in the ring and not yet consumed. */
  #bufferedFor(seg: Segment): number {
    const available = this.#pipeline.reader.available();
    const left = this.#limitOf(seg) - this.absRead;
    return available < left ? available : left;
  }

  #startInterrupt(frame: number): void {
    const seg = this.#queue.head;
    if (!seg || seg.start >= this.#flushTo) {
      this.#finishInterrupt(frame);
      return;
    }
    if (seg.phase === Phase.InterruptFade) return;
    const sounding = seg.phase === Phase.Playing || seg.phase === Phase.UnderrunFade;
    seg.phase = Phase.InterruptFade;
    this.#interruptFadeFrames = 0;
    if (!sounding) {
      this.#finishInterrupt(frame);
      return;
    }
    const buffered = this.#bufferedFor(seg);
    const final = this.absRead + buffered >= this.#limitOf(seg);
    const length = this.#pipeline.maxProducible(seg, buffered, this.fadeFrames, final);
    this.#fader.rampTo(0, length);
    if (length === 0) this.#finishInterrupt(frame);
  }

  /** Drops everything before the flush point and reports it, head utterance first. */
  #finishInterrupt(frame: number): void {
    const flushTo = this.#flushTo;
    let first = true;
    for (let seg = this.#queue.head; seg && seg.start < flushTo; seg = this.#queue.head) {
      const arrived = Math.min(seg.end, flushTo) - seg.start;
      const heard = this.#pipeline.played(seg);
      const kind = first && seg.produced > 0 ? EngineEvent.Interrupted : EngineEvent.Flushed;
      this.events.record(kind, seg.serial, frame, heard, arrived - heard, this.#interruptFadeFrames);
      first = false;
      this.#release();
    }
    this.#pipeline.reader.skipTo(flushTo);
    this.#flushTo = -1;
    this.#marks.queue.dropThrough(this.#dropMarksThrough);
    this.#interruptFadeFrames = 0;
    this.#fader.rampTo(1, 0);
  }

  #release(): void {
    const seg = this.#queue.head!;
    this.#lastReleased = seg.serial;
    this.#pipeline.release(seg);
    this.#queue.shift();
  }
}
