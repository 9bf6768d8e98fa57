import { EngineEvent, EVENT_LOG_RECORDS, MAX_UTTERANCES } from './messages.js';
import type { EventLog } from './event-log.js';
import { MarkQueue } from './mark-queue.js';
import { outputIndex, OutputRuns, UNKNOWN } from './output-runs.js';
import { FORGOTTEN, type SourceMap } from './source-map.js';

/**
 * Marks stop filling the event log here, so the lifecycle events of every queued utterance
 * (Ended, Interrupted, Flushed…) always fit in the same quantum's log.
 */
const MARK_LOG_LIMIT = EVENT_LOG_RECORDS - 2 * MAX_UTTERANCES - 8;

/**
 * When each mark sounds: pending marks ({@link MarkQueue}) are logged at the output frame of
 * their source sample, found through the source map (speed) and the resampler's ratio. A mark
 * that arrives after its sample played is stamped from the history of output runs. The engine
 * tells it what it just rendered; no method allocates or throws.
 */
export class MarkScheduler {
  readonly queue = new MarkQueue();
  /** Where the output played, for marks that arrive after their sample did. */
  readonly runs = new OutputRuns();
  readonly #log: EventLog;
  readonly #map: SourceMap;
  readonly #outRate: number;

  constructor(log: EventLog, map: SourceMap, outRate: number) {
    this.#log = log;
    this.#map = map;
    this.#outRate = outRate;
  }

  /** Output index of source sample `offset` of utterance `serial` (Infinity: not mapped yet; negative: forgotten). */
  indexOf(serial: number, rate: number, offset: number): number {
    const s = this.#map.stretchedAt(serial, offset);
    return s === FORGOTTEN ? -1 : outputIndex(s, rate, this.#outRate);
  }

  /**
   * Logs the marks of utterance `serial` whose output index falls in [from, to): its output
   * frames just written from context frame `frame`. A mark for an earlier sample or utterance
   * (late) is stamped from the history.
   */
  fire(serial: number, rate: number, from: number, to: number, frame: number, renderFrame: number): void {
    const q = this.queue;
    while (q.count > 0) {
      if (q.serial > serial) return;
      // Marks leave room in the log for lifecycle events; the rest fire next quantum.
      if (this.#log.count >= MARK_LOG_LIMIT) return;
      if (q.serial === serial) {
        const index = this.indexOf(serial, rate, q.offset);
        if (index >= to) return;
        if (index >= from) this.#log.record(EngineEvent.Mark, serial, frame + (index - from), q.id, q.offset, 0);
        else this.#reportLate(renderFrame);
      } else this.#reportLate(renderFrame);
      q.shift();
    }
  }

  /**
   * At render start: reports the marks whose sample already played when they arrived, of an
   * utterance that left the queue (up to `lastReleased`), or of the head utterance `serial`
   * (-1: none) behind its output position `produced`. Stops when the log is full.
   */
  fireLate(serial: number, rate: number, produced: number, lastReleased: number, renderFrame: number): void {
    const q = this.queue;
    while (q.count > 0 && this.#log.count < MARK_LOG_LIMIT) {
      if (serial < 0 ? q.serial > lastReleased : q.serial > serial) return;
      if (q.serial === serial && (produced === 0 || this.indexOf(serial, rate, q.offset) >= produced)) return;
      this.#reportLate(renderFrame);
      q.shift();
    }
  }

  /**
   * Logs, at `frame` (the output frame of its last sample), the marks of utterance `serial`
   * past its end, and any late mark before them. False when the log had no room for them all.
   */
  flushThrough(serial: number, rate: number, produced: number, frame: number, renderFrame: number): boolean {
    const q = this.queue;
    while (q.count > 0 && q.serial <= serial) {
      if (this.#log.count >= MARK_LOG_LIMIT) return false;
      if (q.serial === serial && this.indexOf(serial, rate, q.offset) >= produced) this.#log.record(EngineEvent.Mark, serial, frame, q.id, q.offset, 0);
      else this.#reportLate(renderFrame);
      q.shift();
    }
    return true;
  }

  /**
   * Logs the first mark, whose sample already played: with the frame it played at, from the
   * run history; a mark past the last sample of an utterance that ended, with that sample's
   * frame. A mark past the last sample of an interrupted utterance was never heard: dropped.
   * One the history no longer covers (too old, or played in a predecessor's context) is logged
   * as passed at the quantum's first frame. The caller removes the mark.
   */
  #reportLate(renderFrame: number): void {
    const q = this.queue;
    const s = this.#map.stretchedAt(q.serial, q.offset);
    const frame = s === FORGOTTEN ? UNKNOWN : this.runs.frameOf(q.serial, s, this.#outRate);
    if (frame >= 0) this.#log.record(EngineEvent.Mark, q.serial, frame, q.id, q.offset, 0);
    else if (frame === UNKNOWN) this.#log.record(EngineEvent.Mark, q.serial, renderFrame, q.id, q.offset, 1);
  }
}
