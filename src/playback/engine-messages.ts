/**
 * Messages between the player (main thread) and the playback worklet. Positions are
 * absolute sample counts of the ring's input stream (source rate), counted from 0 when the
 * node starts; they only ever grow, so "before/after" comparisons need no wraparound care.
 */

/** The name the playback worklet registers and the player instantiates. */
export const PROCESSOR_NAME = 'voxplay-playback';

/** Options handed to the worklet through `processorOptions` when the node is built. */
export interface EngineOptions {
  /** Ring capacity in samples (source rate). */
  capacity: number;
  /** The ring's buffer when the SharedArrayBuffer transport is used; absent for postMessage. */
  shared?: SharedArrayBuffer;
  /** Fade length in output frames for interrupt and underrun edges. */
  fadeFrames: number;
  /** Output frames between status reports (reports also go out whenever events happen). */
  reportIntervalFrames: number;
  /** Source rates to prepare resamplers for up front. */
  rates: number[];
}

/** Main → worklet. */
export type ToEngine =
  /** postMessage transport: samples to append to the worklet's own ring. */
  | { t: 'samples'; data: Float32Array }
  /**
   * A new utterance starts at absolute position `at` once `prebuffer` samples are buffered;
   * each underrun raises that by `prebufferStep`, up to `prebufferMax` (samples, its rate).
   */
  | { t: 'begin'; serial: number; rate: number; at: number; prebuffer: number; prebufferStep: number; prebufferMax: number }
  /** The utterance `serial` ends at absolute position `at` (no more samples for it). */
  | { t: 'end'; serial: number; at: number }
  /**
   * Fade out what sounds, then drop everything before absolute position `flushTo`, and the
   * marks of every utterance up to serial `lastSerial`.
   */
  | { t: 'interrupt'; flushTo: number; lastSerial: number }
  /** Report mark `id` when input sample `offset` of utterance `serial` is output. */
  | { t: 'mark'; serial: number; offset: number; id: number };

/** Kinds of records in a report's event log. */
export const EngineEvent = {
  /** First output frame of an utterance. */
  Playing: 1,
  /** Last output frame of an utterance. a = input samples played. */
  Ended: 2,
  /** Output went silent mid-utterance (data ran out). */
  UnderrunStart: 3,
  /** Output resumed. a = silent output frames. */
  UnderrunEnd: 4,
  /** The sounding utterance was cut. a = input samples played, b = dropped, c = fade frames. */
  Interrupted: 5,
  /** A queued utterance was dropped by an interrupt before it sounded. b = dropped samples. */
  Flushed: 6,
  /** A mark's sample was output (frame = its output frame). a = mark id, b = sample offset. */
  Mark: 7,
} as const;

/** Numbers per event record: kind, serial, frame, a, b, c. */
export const EVENT_RECORD = 6;
/** Event records one report can carry. */
export const EVENT_LOG_RECORDS = 256;

/** Worklet → main: sent at most every `reportIntervalFrames` and whenever events happened. */
export interface EngineReport {
  t: 'report';
  /** currentFrame at the end of the quantum the report describes. */
  frame: number;
  /** Absolute read position (samples consumed from the ring). */
  absRead: number;
  /** Serial of the utterance at the head of the queue, or -1. */
  serial: number;
  /** Input samples of that utterance played so far (output position mapped to input time). */
  played: number;
  /** Input samples of that utterance taken from the ring (≥ played: the resampler's lookahead). */
  consumed: number;
  /** Number of event records in `log`. */
  n: number;
  /** Event records, EVENT_RECORD numbers each (null when `n` is 0, to spare the copy). */
  log: Float64Array | null;
  /** Events that did not fit in the log since the last report (should stay 0). */
  lost: number;
}
