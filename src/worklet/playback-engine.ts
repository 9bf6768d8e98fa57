import { StreamingResampler } from '../dsp/resampler.js';
import { Fader } from '../dsp/fade.js';
import { SampleRing } from '../ring/sample-ring.js';
import { EngineEvent, EVENT_LOG_RECORDS, EVENT_RECORD, MAX_MARKS, MAX_UTTERANCES as MAX_SEGMENTS, type EngineState } from './messages.js';
import { outputIndex, OutputRuns, UNKNOWN } from './output-runs.js';

/**
 * Marks stop filling the event log here, so the lifecycle events of every queued utterance
 * (Ended, Interrupted, Flushed…) always fit in the same quantum's log.
 */
const MARK_LOG_LIMIT = EVENT_LOG_RECORDS - 2 * MAX_SEGMENTS - 8;

const enum Phase {
  Free,
  /** Waiting for the prebuffer to fill before the first sample sounds. */
  Waiting,
  Playing,
  /** Fading out over the last buffered samples because data is about to run out. */
  UnderrunFade,
  /** Silent mid-utterance, waiting for data. */
  Starved,
  /** Fading out because of interrupt(); everything before `flushTo` is dropped after. */
  InterruptFade,
}

/** One utterance's stretch of the ring's input stream. Pooled: never allocated in process(). */
class Segment {
  serial = 0;
  rate = 0;
  start = 0;
  end = Infinity;
  /** Input samples needed before it starts, and again before it resumes after an underrun. */
  prebuffer = 0;
  /** Added to `prebuffer` at each underrun, up to `prebufferMax`. */
  prebufferStep = 0;
  prebufferMax = 0;
  phase = Phase.Free;
  consumed = 0;
  produced = 0;
  starvedFrames = 0;
  /** Output frame of its last sample, once known (-1 before). */
  endFrame = -1;
  resampler: StreamingResampler | null = null;
}

/**
 * The playback state machine that runs inside the AudioWorklet: reads one utterance at a
 * time from the ring, resamples it to the context rate, applies fades at interrupt and
 * underrun edges, and logs events for the main thread.
 *
 * Pure: no Web Audio globals, so unit tests drive it directly. After construction,
 * {@link PlaybackEngine.render} never allocates and never throws; the message handlers
 * ({@link PlaybackEngine.begin} and friends) run between render quanta and may allocate
 * only when a new source rate needs a resampler.
 */
export class PlaybackEngine {
  readonly ring: SampleRing;
  readonly outRate: number;
  readonly fadeFrames: number;
  /** Absolute count of samples consumed from the ring (played or dropped). */
  absRead = 0;
  /** Context frame just after the last rendered quantum: where the next one starts at the earliest. */
  nextFrame = 0;
  /** Event log since the last {@link PlaybackEngine.takeEvents}. */
  readonly log = new Float64Array(EVENT_LOG_RECORDS * EVENT_RECORD);
  logCount = 0;
  /** Events that did not fit in the log before it was taken (should stay 0). */
  logOverflow = 0;

  private readonly pool: Segment[] = [];
  private readonly queue: Segment[] = [];
  private head = 0;
  private size = 0;
  private readonly resamplers = new Map<number, StreamingResampler>();
  private readonly fader = new Fader(1);
  /** Paused by the app (see {@link PlaybackEngine.pause}). */
  paused = false;
  /** Output frames of the pause's fade-out still to play. */
  private pauseFadeLeft = 0;
  private flushTo = -1;
  private dropMarksThrough = -1;
  private interruptFadeFrames = 0;
  private renderFrame = 0;
  /** Serial of the last utterance that left the queue. */
  private lastReleased = -1;
  /** Pending marks, sorted by (serial, offset), in a circular buffer of MAX_MARKS. */
  private readonly markSerial = new Float64Array(MAX_MARKS);
  private readonly markOffset = new Float64Array(MAX_MARKS);
  private readonly markId = new Float64Array(MAX_MARKS);
  private markHead = 0;
  private markCount = 0;
  /** Where the output played, for marks that arrive after their sample did. */
  private readonly runs = new OutputRuns();
  /**
   * Samples a predecessor engine had taken from its ring but not yet played (see
   * {@link PlaybackEngine.takeOver}): read before the ring, from `prefixAt`.
   */
  private prefix: Float32Array = new Float32Array(0);
  private prefixAt = 0;
  private prefixLeft = 0;
  /** Absolute position just after the prefix's last sample. */
  private prefixEnd = 0;

  constructor(ring: SampleRing, outRate: number, fadeFrames: number, rates: readonly number[] = []) {
    this.ring = ring;
    this.outRate = outRate;
    this.fadeFrames = Math.max(0, Math.round(fadeFrames));
    for (let i = 0; i < MAX_SEGMENTS; i++) {
      this.pool.push(new Segment());
      this.queue.push(this.pool[i]);
    }
    for (const rate of rates) this.prepareRate(rate);
  }

  /** Builds (once) the resampler for a source rate; call outside render(). */
  prepareRate(rate: number): StreamingResampler {
    let resampler = this.resamplers.get(rate);
    if (!resampler) {
      resampler = new StreamingResampler(rate, this.outRate);
      this.resamplers.set(rate, resampler);
    }
    return resampler;
  }

  /** The utterance at the head of the queue, or -1. */
  get currentSerial(): number {
    return this.size > 0 ? this.queue[this.head].serial : -1;
  }

  /** Input samples of the head utterance played so far. */
  get currentPlayed(): number {
    return this.size > 0 ? played(this.queue[this.head]) : 0;
  }

  /** Input samples of the head utterance taken from the ring. */
  get currentConsumed(): number {
    return this.size > 0 ? this.queue[this.head].consumed : 0;
  }

  /**
   * A new utterance starts at absolute position `at`, once `prebuffer` of its samples are
   * buffered. Each underrun raises that threshold for the rest of it by `prebufferStep`, up
   * to `prebufferMax`, so a stream that keeps arriving late stalls less often. Returns false
   * when the queue is full.
   */
  begin(serial: number, rate: number, at: number, prebuffer: number, prebufferStep = 0, prebufferMax = prebuffer): boolean {
    if (this.size >= MAX_SEGMENTS) return false;
    let seg: Segment | null = null;
    for (const candidate of this.pool) {
      if (candidate.phase === Phase.Free) {
        seg = candidate;
        break;
      }
    }
    if (!seg) return false;
    // Utterances are contiguous in the ring: a new one ends any still-open predecessor.
    if (this.size > 0) {
      const last = this.queue[(this.head + this.size - 1) % MAX_SEGMENTS];
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
    seg.resampler = this.prepareRate(rate);
    this.queue[(this.head + this.size) % MAX_SEGMENTS] = seg;
    this.size++;
    return true;
  }

  /** No more samples for utterance `serial` after absolute position `at`. */
  end(serial: number, at: number): void {
    for (let k = 0; k < this.size; k++) {
      const seg = this.queue[(this.head + k) % MAX_SEGMENTS];
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
    if (this.size > 0 && this.queue[this.head].phase === Phase.Playing) {
      this.fader.rampTo(0, this.fadeFrames);
      this.pauseFadeLeft = this.fadeFrames;
    }
  }

  /** Ends a pause: the audio fades back in from the very next sample. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pauseFadeLeft = 0;
    if (this.size > 0 && this.queue[this.head].phase === Phase.Playing) this.fader.rampTo(1, this.fadeFrames);
  }

  /** Fade out what sounds, then drop everything before absolute position `flushTo`. */
  interrupt(flushTo: number, lastSerial = -1): void {
    if (flushTo > this.flushTo) this.flushTo = flushTo;
    if (lastSerial > this.dropMarksThrough) this.dropMarksThrough = lastSerial;
    // Nothing queued to fade: the marks can go now.
    if (this.size === 0) this.dropMarks();
  }

  /**
   * Reports mark `id` when input sample `offset` of utterance `serial` is output. Marks may
   * come in any order; they are kept sorted. A mark whose sample already played (it arrived
   * late) is reported at the next render with the frame where that sample played, found in
   * the history of output runs; one the history no longer covers is reported as passed
   * (frame: that render's first frame, an upper bound). Returns false when MAX_MARKS are pending.
   */
  addMark(serial: number, offset: number, id: number): boolean {
    if (this.markCount >= MAX_MARKS) return false;
    let k = this.markCount;
    // Insertion from the tail: marks usually arrive in order, so this rarely shifts.
    while (k > 0) {
      const prev = (this.markHead + k - 1) % MAX_MARKS;
      if (this.markSerial[prev] < serial || (this.markSerial[prev] === serial && this.markOffset[prev] <= offset)) break;
      const to = (this.markHead + k) % MAX_MARKS;
      this.markSerial[to] = this.markSerial[prev];
      this.markOffset[to] = this.markOffset[prev];
      this.markId[to] = this.markId[prev];
      k--;
    }
    const at = (this.markHead + k) % MAX_MARKS;
    this.markSerial[at] = serial;
    this.markOffset[at] = offset;
    this.markId[at] = id;
    this.markCount++;
    return true;
  }

  /**
   * The state a successor in a new context needs to continue exactly here (see
   * {@link EngineState}); `copyUnread` for a private ring, whose unread samples must travel
   * too. The head utterance continues from its first unheard sample: the samples its
   * resampler had taken beyond that are copied from just behind the ring's read position,
   * where they stay until new samples overwrite them. Message handler only: allocates.
   */
  handOver(copyUnread: boolean): EngineState {
    const ring = this.ring;
    const head = this.size > 0 ? this.queue[this.head] : null;
    const ahead = head && head.phase !== Phase.Waiting ? head.consumed - played(head) : 0;
    // The lookahead ends at absRead; the part of it before prefixEnd came from a prefix of
    // our own (a second recreation), the rest from just behind the ring's read position.
    const fromRing = Math.min(ahead, Math.max(0, this.absRead - this.prefixEnd));
    const fromPrefix = ahead - fromRing;
    let lost = 0;
    let prefix: Float32Array;
    if (fromRing > ring.availableWrite()) {
      // New samples already overwrote them (the ring was full): skipped, and `lost` says how many.
      lost = ahead;
      prefix = this.prefix.slice(this.prefixAt, this.prefixAt + this.prefixLeft);
    } else {
      prefix = new Float32Array(ahead + this.prefixLeft);
      const prefixStart = this.prefixEnd - this.prefix.length;
      const at = this.absRead - ahead - prefixStart;
      prefix.set(this.prefix.subarray(at, at + fromPrefix), 0);
      const cap = ring.data.length; // slots, one more than the capacity
      const from = (ring.readIndex() - fromRing + cap) % cap;
      for (let k = 0; k < fromRing; k++) prefix[fromPrefix + k] = ring.data[(from + k) % cap];
      prefix.set(this.prefix.subarray(this.prefixAt, this.prefixAt + this.prefixLeft), ahead);
    }
    let unread: Float32Array | null = null;
    if (copyUnread) {
      unread = new Float32Array(ring.availableRead());
      ring.read(unread, 0, unread.length);
    }
    const segments = [];
    for (let k = 0; k < this.size; k++) {
      const seg = this.queue[(this.head + k) % MAX_SEGMENTS];
      const rewind = k === 0 && lost === 0 ? ahead : 0;
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
      });
    }
    const marks: number[] = [];
    for (let k = 0; k < this.markCount; k++) {
      const h = (this.markHead + k) % MAX_MARKS;
      marks.push(this.markSerial[h], this.markOffset[h], this.markId[h]);
    }
    return {
      absRead: this.absRead - (lost === 0 ? ahead : 0),
      prefix,
      unread,
      lost,
      segments,
      marks,
      paused: this.paused,
      flushTo: this.flushTo,
      dropMarksThrough: this.dropMarksThrough,
      lastReleased: this.lastReleased,
      gain: 1,
    };
  }

  /**
   * Continues from a predecessor's {@link EngineState} (call once, before the first render).
   * The sounding utterance fades in over the fade length: the new context starts from
   * silence, and the new resampler from an empty history.
   */
  takeOver(state: EngineState): void {
    this.absRead = state.absRead;
    this.prefix = state.prefix;
    this.prefixAt = 0;
    this.prefixLeft = state.prefix.length;
    this.prefixEnd = state.absRead + state.prefix.length;
    if (state.unread) this.ring.write(state.unread, 0, state.unread.length);
    for (const s of state.segments) {
      if (!this.begin(s.serial, s.rate, s.start, s.prebuffer, s.prebufferStep, s.prebufferMax)) break;
      const seg = this.queue[(this.head + this.size - 1) % MAX_SEGMENTS];
      seg.end = s.end;
      // Mid-fade phases restart from their steady state; a pending interrupt (flushTo) redoes its fade.
      seg.phase = s.phase === Phase.UnderrunFade || s.phase === Phase.InterruptFade ? Phase.Playing : (s.phase as Phase);
      seg.consumed = s.consumed;
      seg.produced = s.produced;
      seg.starvedFrames = s.starvedFrames;
    }
    for (let k = 0; k + 2 < state.marks.length; k += 3) this.addMark(state.marks[k], state.marks[k + 1], state.marks[k + 2]);
    this.paused = state.paused;
    this.flushTo = state.flushTo;
    this.dropMarksThrough = state.dropMarksThrough;
    this.lastReleased = state.lastReleased;
    this.fader.rampTo(0, 0);
    this.fader.rampTo(1, this.fadeFrames);
  }

  /** Empties the event log (after the caller copied or posted it). */
  takeEvents(): void {
    this.logCount = 0;
    this.logOverflow = 0;
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
    this.renderFrame = frame;
    this.nextFrame = frame + n;
    // Marks whose sample played before the mark arrived: stamped with the frame it played at.
    if (this.markCount > 0) this.fireLateMarks();
    if (this.flushTo >= 0) this.startInterrupt(frame);
    if (this.paused && this.flushTo < 0) {
      // The pause's fade-out plays the next samples; after it, silence and no reading.
      if (this.pauseFadeLeft > 0 && this.size > 0 && this.queue[this.head].phase === Phase.Playing) {
        const count = n < this.pauseFadeLeft ? n : this.pauseFadeLeft;
        const done = this.pull(this.queue[this.head], out, 0, count);
        this.fader.apply(out, 0, done);
        this.pauseFadeLeft = done < count ? 0 : this.pauseFadeLeft - done;
        i = done;
      }
      for (; i < n; i++) out[i] = 0;
      return;
    }
    // Each pass either writes frames or changes phase; the cap only guards the audio
    // thread against a phase cycle that a future change might introduce.
    for (let passes = 0; i < n && passes < 16; passes++) {
      if (this.size === 0) break;
      const seg = this.queue[this.head];
      const before = i;
      const phaseBefore = seg.phase;
      switch (seg.phase) {
        case Phase.Waiting:
          if (!this.paused && (this.isComplete(seg) || this.bufferedFor(seg) >= this.startThreshold(seg, n))) {
            seg.phase = Phase.Playing;
            seg.resampler!.reset();
            this.fader.rampTo(1, 0);
            this.record(EngineEvent.Playing, seg.serial, frame + i, 0, 0, 0);
            continue;
          }
          break;
        case Phase.Playing:
          i = this.renderPlaying(seg, out, i, n, frame);
          break;
        case Phase.UnderrunFade:
          if (this.isComplete(seg)) {
            // The end arrived: everything left is buffered, so no reason to go silent.
            seg.phase = Phase.Playing;
            this.fader.rampTo(1, this.fadeFrames);
            continue;
          }
          i = this.renderFade(seg, out, i, n);
          if (!this.fader.ramping) this.starve(seg, frame + i);
          break;
        case Phase.Starved:
          if (this.isComplete(seg) || this.bufferedFor(seg) >= this.resumeThreshold(seg)) {
            seg.phase = Phase.Playing;
            this.fader.rampTo(1, this.fadeFrames);
            this.record(EngineEvent.UnderrunEnd, seg.serial, frame + i, seg.starvedFrames, 0, 0);
            seg.starvedFrames = 0;
            continue;
          }
          seg.starvedFrames += n - i;
          break;
        case Phase.InterruptFade:
          i = this.renderFade(seg, out, i, n);
          if (!this.fader.ramping || i === before) this.finishInterrupt(frame + i);
          break;
      }
      // Stop when a pass changed nothing: the rest of the quantum is silence.
      if (i === before && seg.phase === phaseBefore && this.size > 0 && this.queue[this.head] === seg) break;
    }
    for (; i < n; i++) out[i] = 0;
  }

  /** Output went silent at `frame`: wait for more than last time before resuming. */
  private starve(seg: Segment, frame: number): void {
    seg.phase = Phase.Starved;
    const raised = seg.prebuffer + seg.prebufferStep;
    seg.prebuffer = raised < seg.prebufferMax ? raised : seg.prebufferMax;
    this.record(EngineEvent.UnderrunStart, seg.serial, frame, 0, 0, 0);
  }

  private renderPlaying(seg: Segment, out: Float32Array, i: number, n: number, frame: number): number {
    const want = n - i;
    if (!this.isComplete(seg)) {
      const buffered = this.bufferedFor(seg);
      const resampler = seg.resampler!;
      if (resampler.inputNeededFor(want + this.fadeFrames) > buffered) {
        // Data will run out within this quantum plus a fade: play what we can at full
        // gain, then fade over the very last buffered samples, so the cut is click-free
        // and no real sample is skipped.
        const producible = this.maxProducible(resampler, buffered, want + this.fadeFrames);
        const fadeLength = Math.min(producible, this.fadeFrames);
        const full = producible - fadeLength;
        const done = this.pull(seg, out, i, Math.min(full, want));
        this.fader.apply(out, i, done);
        this.fader.rampTo(0, fadeLength);
        seg.phase = Phase.UnderrunFade;
        if (fadeLength === 0) this.starve(seg, frame + i + done);
        return i + done;
      }
    }
    const done = this.pull(seg, out, i, want);
    this.fader.apply(out, i, done);
    if (done < want && this.isComplete(seg) && this.absRead >= this.limitOf(seg) && seg.resampler!.pendingDrain() === 0) {
      if (seg.endFrame < 0) seg.endFrame = frame + i + done - 1;
      // Marks past the last sample (e.g. an "end" mark) sound with it. If the log cannot take
      // them all this quantum, Ended waits for the next one: it must come after its marks.
      if (this.markCount > 0 && !this.flushMarksThrough(seg, seg.endFrame)) return i + done;
      this.record(EngineEvent.Ended, seg.serial, seg.endFrame, seg.consumed, 0, 0);
      this.runs.ended(seg.serial);
      this.release();
    }
    return i + done;
  }

  /** Renders while a ramp runs; returns the new write index. */
  private renderFade(seg: Segment, out: Float32Array, i: number, n: number): number {
    const count = Math.min(n - i, this.fader.remaining);
    const done = this.pull(seg, out, i, count);
    this.fader.apply(out, i, done);
    if (seg.phase === Phase.InterruptFade) this.interruptFadeFrames += done;
    return i + done;
  }

  /** Produces up to `count` output frames of `seg` into out[i..]; returns how many. */
  private pull(seg: Segment, out: Float32Array, i: number, count: number): number {
    const resampler = seg.resampler!;
    const ring = this.ring;
    let produced = 0;
    while (produced < count) {
      const left = this.limitOf(seg) - this.absRead;
      // A predecessor's lookahead (after a context was recreated) comes before the ring.
      const fromPrefix = this.prefixLeft > 0;
      const contiguous = fromPrefix ? this.prefixLeft : ring.contiguousRead();
      const run = contiguous < left ? contiguous : left;
      const made = fromPrefix
        ? resampler.process(this.prefix, this.prefixAt, run, out, i + produced, count - produced)
        : resampler.process(ring.data, ring.readIndex(), run, out, i + produced, count - produced);
      const used = resampler.consumed;
      if (used > 0) {
        if (fromPrefix) {
          this.prefixAt += used;
          this.prefixLeft -= used;
        } else ring.advance(used);
        this.absRead += used;
        seg.consumed += used;
      }
      produced += made;
      if (made === 0 && used === 0) break;
    }
    if (produced < count && this.isComplete(seg) && this.absRead >= this.limitOf(seg)) {
      produced += resampler.drain(out, i + produced, count - produced);
    }
    if (produced > 0) {
      this.runs.note(seg.serial, seg.rate, seg.produced, this.renderFrame + i, produced);
      if (this.markCount > 0) this.fireMarks(seg, seg.produced, seg.produced + produced, i);
    }
    seg.produced += produced;
    return produced;
  }

  /**
   * Logs the marks of `seg` whose output index falls in [from, to): the segment's output
   * frames just written at out[i..]. `renderFrame` is set by render() for this quantum.
   * A mark at the head for an earlier sample or utterance (late) goes to {@link reportLate}.
   */
  private fireMarks(seg: Segment, from: number, to: number, i: number): void {
    while (this.markCount > 0) {
      const h = this.markHead;
      const serial = this.markSerial[h];
      if (serial > seg.serial) return;
      // Marks leave room in the log for lifecycle events; the rest fire next quantum.
      if (this.logCount >= MARK_LOG_LIMIT) return;
      if (serial === seg.serial) {
        const index = outputIndex(this.markOffset[h], seg.rate, this.outRate);
        if (index >= to) return;
        if (index >= from) this.record(EngineEvent.Mark, serial, this.renderFrame + i + (index - from), this.markId[h], this.markOffset[h], 0);
        else this.reportLate(h);
      } else this.reportLate(h);
      this.shiftMark();
    }
  }

  /**
   * Reports the marks at the head whose sample already played when they arrived: of an
   * utterance that left the queue, of one that never reached it, or of the head utterance
   * behind its output position. Render start only; stops when the log is full.
   */
  private fireLateMarks(): void {
    const head = this.size > 0 ? this.queue[this.head] : null;
    while (this.markCount > 0 && this.logCount < MARK_LOG_LIMIT) {
      const h = this.markHead;
      const serial = this.markSerial[h];
      if (head === null ? serial > this.lastReleased : serial > head.serial) return;
      if (head !== null && serial === head.serial && outputIndex(this.markOffset[h], head.rate, this.outRate) >= head.produced) return;
      this.reportLate(h);
      this.shiftMark();
    }
  }

  /**
   * Logs the mark in slot `h`, whose sample already played: with the frame it played at,
   * from the run history; a mark past the last sample of an utterance that ended, with that
   * sample's frame. A mark past the last sample of an interrupted utterance was never heard:
   * dropped. One the history no longer covers (too old, or played in a predecessor's
   * context) is logged as passed at the current quantum's first frame. The caller checked
   * the log has room; the caller removes the mark.
   */
  private reportLate(h: number): void {
    const frame = this.runs.frameOf(this.markSerial[h], this.markOffset[h], this.outRate);
    if (frame >= 0) this.record(EngineEvent.Mark, this.markSerial[h], frame, this.markId[h], this.markOffset[h], 0);
    else if (frame === UNKNOWN) this.record(EngineEvent.Mark, this.markSerial[h], this.renderFrame, this.markId[h], this.markOffset[h], 1);
  }

  /**
   * Logs, at `frame` (the output frame of its last sample), the marks of `seg` that are past
   * its end, and any late mark before them. Returns false when the log had no room for all
   * of them (the rest wait a quantum).
   */
  private flushMarksThrough(seg: Segment, frame: number): boolean {
    while (this.markCount > 0 && this.markSerial[this.markHead] <= seg.serial) {
      if (this.logCount >= MARK_LOG_LIMIT) return false;
      const h = this.markHead;
      const serial = this.markSerial[h];
      if (serial === seg.serial && outputIndex(this.markOffset[h], seg.rate, this.outRate) >= seg.produced)
        this.record(EngineEvent.Mark, serial, frame, this.markId[h], this.markOffset[h], 0);
      else this.reportLate(h);
      this.shiftMark();
    }
    return true;
  }

  /** Removes the mark at the head. */
  private shiftMark(): void {
    this.markHead = (this.markHead + 1) % MAX_MARKS;
    this.markCount--;
  }

  /** Forgets, unreported, the marks of interrupted utterances: their audio was never heard. */
  private dropMarks(): void {
    while (this.markCount > 0 && this.markSerial[this.markHead] <= this.dropMarksThrough) this.shiftMark();
  }

  /** Largest k ≤ max such that k output frames can be made from `buffered` input samples. */
  private maxProducible(resampler: StreamingResampler, buffered: number, max: number): number {
    let lo = 0;
    let hi = max;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (resampler.inputNeededFor(mid) <= buffered) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Input needed before an utterance starts: its prebuffer, but never less than one quantum
   * plus a fade, or a zero prebuffer would start on an empty ring and underrun at once.
   */
  private startThreshold(seg: Segment, quantum: number): number {
    const minimum = seg.resampler!.inputNeededFor(quantum + this.fadeFrames);
    return seg.prebuffer > minimum ? seg.prebuffer : minimum;
  }

  private resumeThreshold(seg: Segment): number {
    // At least one frame beyond two fades, so resuming always makes progress.
    const forFade = seg.resampler!.inputNeededFor(2 * this.fadeFrames + 1);
    return seg.prebuffer > forFade ? seg.prebuffer : forFade;
  }

  /** Where this segment's samples stop: its end, or the interrupt's flush point. */
  private limitOf(seg: Segment): number {
    return this.flushTo >= 0 && seg.phase === Phase.InterruptFade && this.flushTo < seg.end ? this.flushTo : seg.end;
  }

  /** Samples of `seg` in the ring and not yet consumed. */
  private bufferedFor(seg: Segment): number {
    const available = this.prefixLeft + this.ring.availableRead();
    const left = this.limitOf(seg) - this.absRead;
    return available < left ? available : left;
  }

  /** Every sample of `seg` has arrived (its end is known and lies inside the ring). */
  private isComplete(seg: Segment): boolean {
    return seg.end !== Infinity && this.absRead + this.prefixLeft + this.ring.availableRead() >= seg.end;
  }

  private startInterrupt(frame: number): void {
    if (this.size === 0 || this.queue[this.head].start >= this.flushTo) {
      this.finishInterrupt(frame);
      return;
    }
    const seg = this.queue[this.head];
    if (seg.phase === Phase.InterruptFade) return;
    const sounding = seg.phase === Phase.Playing || seg.phase === Phase.UnderrunFade;
    seg.phase = Phase.InterruptFade;
    this.interruptFadeFrames = 0;
    if (!sounding) {
      this.finishInterrupt(frame);
      return;
    }
    const length = this.maxProducible(seg.resampler!, this.bufferedFor(seg), this.fadeFrames);
    this.fader.rampTo(0, length);
    if (length === 0) this.finishInterrupt(frame);
  }

  /** Drops everything before the flush point and reports it, head utterance first. */
  private finishInterrupt(frame: number): void {
    const flushTo = this.flushTo;
    let first = true;
    while (this.size > 0 && this.queue[this.head].start < flushTo) {
      const seg = this.queue[this.head];
      const arrived = Math.min(seg.end, flushTo) - seg.start;
      const heard = played(seg);
      const kind = first && seg.produced > 0 ? EngineEvent.Interrupted : EngineEvent.Flushed;
      this.record(kind, seg.serial, frame, heard, arrived - heard, this.interruptFadeFrames);
      first = false;
      this.release();
    }
    if (flushTo > this.absRead && this.prefixLeft > 0) {
      const skipped = Math.min(this.prefixLeft, flushTo - this.absRead);
      this.prefixAt += skipped;
      this.prefixLeft -= skipped;
      this.absRead += skipped;
    }
    if (flushTo > this.absRead) {
      const skipped = this.ring.advance(flushTo - this.absRead);
      this.absRead += skipped;
    }
    this.flushTo = -1;
    this.dropMarks();
    this.interruptFadeFrames = 0;
    this.fader.rampTo(1, 0);
  }

  private release(): void {
    const seg = this.queue[this.head];
    this.lastReleased = seg.serial;
    seg.phase = Phase.Free;
    seg.resampler = null;
    this.head = (this.head + 1) % MAX_SEGMENTS;
    this.size--;
  }

  private record(kind: number, serial: number, frame: number, a: number, b: number, c: number): void {
    if (this.logCount >= EVENT_LOG_RECORDS) {
      this.logOverflow++;
      return;
    }
    const o = this.logCount * EVENT_RECORD;
    const log = this.log;
    log[o] = kind;
    log[o + 1] = serial;
    log[o + 2] = frame;
    log[o + 3] = a;
    log[o + 4] = b;
    log[o + 5] = c;
    this.logCount++;
  }
}

/** Input samples heard so far: the output position mapped back to input time. */
function played(seg: Segment): number {
  const resampler = seg.resampler;
  if (!resampler || resampler.inRate === resampler.outRate) return seg.produced;
  const heard = Math.floor((seg.produced * resampler.inRate) / resampler.outRate);
  return heard < seg.consumed ? heard : seg.consumed;
}
