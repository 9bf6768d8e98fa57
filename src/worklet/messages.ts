/**
 * The thread contract: every message between the player (main thread) and the playback
 * worklet, and every limit both sides must agree on. Both sides import this module and
 * nothing of each other's implementation.
 *
 * Positions are absolute sample counts of the ring's input stream (source rate), counted
 * from 0 when the node starts; they only ever grow, so "before/after" comparisons need no
 * wraparound care. Frames are context (output) frames.
 *
 * Pure: no DOM, no Web Audio.
 */

/** The name the playback worklet registers and the player instantiates. */
export const PROCESSOR_NAME = 'voxplay-playback';

/** Utterances the engine can hold queued at once; the player refuses more. */
export const MAX_UTTERANCES = 64;
/** Marks the engine can hold pending at once; the player refuses more. */
export const MAX_MARKS = 4096;

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
  /** A predecessor's state to continue from (the player recreated its context); see {@link EngineState}. */
  restore?: EngineState;
}

/** One queued utterance of an {@link EngineState}: the engine's segment, field for field. */
export interface SegmentState {
  serial: number;
  rate: number;
  start: number;
  end: number;
  prebuffer: number;
  prebufferStep: number;
  prebufferMax: number;
  /** The engine's phase (a number private to the engine). */
  phase: number;
  consumed: number;
  produced: number;
  starvedFrames: number;
  /** Where its source map continues: the stretched position heard so far… */
  mapStretched: number;
  /** …and the source position it stands for. */
  mapSource: number;
}

/**
 * Everything an engine needs to continue where another left off, in a new context: the
 * player hands it over when it recreates a context whose clock stopped. Positions stay
 * absolute, so the main thread's bookkeeping carries on unchanged.
 */
export interface EngineState {
  /** Absolute position to continue from: the head utterance's first unheard sample. */
  absRead: number;
  /** Samples from `absRead` on that the old engine had already taken from its ring (its resampler's lookahead); played first. */
  prefix: Float32Array;
  /** postMessage transport: the rest of the old ring, unread. null for a shared ring (the samples are still in it). */
  unread: Float32Array | null;
  /** Lookahead samples already overwritten in the ring, so not in `prefix`: skipped (0 unless the ring was full). */
  lost: number;
  segments: SegmentState[];
  /** Pending marks as (serial, offset, id) triples. */
  marks: number[];
  paused: boolean;
  flushTo: number;
  dropMarksThrough: number;
  lastReleased: number;
  /** The output gain (volume × not muted) the host ramps to. */
  gain: number;
  /** The playback speed (0.5–2). */
  speed: number;
}

/** postMessage transport: samples to append to the worklet's own ring. */
export interface SamplesMessage {
  type: 'samples';
  /** Transferred; the main thread never sends more than the free space it last heard of. */
  data: Float32Array;
}

/**
 * A new utterance starts at absolute position `at` once `prebuffer` samples are buffered;
 * each underrun raises that by `prebufferStep`, up to `prebufferMax` (samples, its rate).
 */
export interface BeginMessage {
  type: 'begin';
  serial: number;
  rate: number;
  at: number;
  prebuffer: number;
  prebufferStep: number;
  prebufferMax: number;
}

/** The utterance `serial` ends at absolute position `at` (no more samples for it). */
export interface EndMessage {
  type: 'end';
  serial: number;
  at: number;
}

/**
 * Fade out what sounds, then drop everything before absolute position `flushTo`, and the
 * marks of every utterance up to serial `lastSerial`.
 */
export interface InterruptMessage {
  type: 'interrupt';
  flushTo: number;
  lastSerial: number;
}

/** Report mark `id` when input sample `offset` (ring offset within the utterance) of utterance `serial` is output. */
export interface MarkMessage {
  type: 'mark';
  serial: number;
  offset: number;
  id: number;
}

/**
 * Start (`on`) or stop recording the output (after the volume): the host sends it in blocks of
 * {@link RECORD_BLOCK} frames inside its reports, and a last, partial one after `on: false`.
 */
export interface RecordMessage {
  type: 'record';
  on: boolean;
}

/** Frames of output per recorded block (32 quanta): one report per block, never one per quantum. */
export const RECORD_BLOCK = 4096;

/** Play at `speed` (0.5–2, pitch kept) from the time-stretcher's next piece of work. */
export interface SpeedMessage {
  type: 'speed';
  speed: number;
}

/** Ramp the output gain (volume × not muted) to `gain` over the fade length: click-free. */
export interface VolumeMessage {
  type: 'volume';
  gain: number;
}

/** Pause (fade out, hold the position) or resume (fade back in from the next sample). */
export interface PauseMessage {
  type: 'pause' | 'resume';
}

/** The player is closing: the processor returns false from `process()` and is collected. */
export interface CloseMessage {
  type: 'close';
}

/**
 * The player moves to a new context: answer with the state ({@link HandoverReply}) and go
 * silent for good, so the old context can never play a sample twice.
 */
export interface HandoverMessage {
  type: 'handover';
}

/** Worklet → main: the answer to a {@link HandoverMessage}. */
export interface HandoverReply {
  type: 'handover';
  state: EngineState;
}

/** Worklet → main. */
export type FromEngine = EngineReport | HandoverReply;

/** Main → worklet. */
export type ToEngine =
  | SamplesMessage
  | BeginMessage
  | EndMessage
  | InterruptMessage
  | MarkMessage
  | VolumeMessage
  | SpeedMessage
  | RecordMessage
  | PauseMessage
  | CloseMessage
  | HandoverMessage;

/**
 * Kinds of records in a report's event log. Each record is {@link EVENT_RECORD} numbers:
 * kind, serial, frame, then three payload fields whose meaning depends on the kind (named
 * by {@link decodeEvents}, which is the one place that reads them).
 */
export const EngineEvent = {
  /** First output frame of an utterance. */
  Playing: 1,
  /** Last output frame of an utterance. payload: input samples played. */
  Ended: 2,
  /** Output went silent mid-utterance (data ran out). */
  UnderrunStart: 3,
  /** Output resumed. payload: silent output frames. */
  UnderrunEnd: 4,
  /** The sounding utterance was cut. payload: input samples played, dropped, fade frames. */
  Interrupted: 5,
  /** A queued utterance was dropped by an interrupt before it sounded. payload: played (0), dropped, fade frames. */
  Flushed: 6,
  /**
   * A mark's sample was output (frame = its output frame, also for a mark that arrived after
   * its sample played). payload: mark id, sample offset, passed (1: the sample played before
   * the mark arrived and the engine no longer knows when; frame is then an upper bound).
   */
  Mark: 7,
} as const;

/** Numbers per event record: kind, serial, frame, then three payload fields. */
export const EVENT_RECORD = 6;
/** Event records one report can carry. */
export const EVENT_LOG_RECORDS = 256;

/** Worklet → main: sent at most every `reportIntervalFrames` and whenever events happened. */
export interface EngineReport {
  type: 'report';
  /** Absolute read position (samples consumed from the ring). */
  absRead: number;
  /** Serial of the utterance at the head of the queue, or -1. */
  serial: number;
  /** Input samples of that utterance played so far (output position mapped to input time). */
  played: number;
  /** Input samples taken from the ring but not yet output: the resampler's lookahead (neither buffered nor played). */
  inFlight: number;
  /** Output level since the previous report (after the volume): the largest |sample|. */
  levelPeak: number;
  /** … the sum of the squared samples, over {@link EngineReport.levelFrames} frames. */
  levelSumSquares: number;
  /** … the frames measured. */
  levelFrames: number;
  /** … the context frame just after the last one measured. */
  levelEndFrame: number;
  /** Number of event records in `events`. */
  eventCount: number;
  /** Event records, {@link EVENT_RECORD} numbers each (null when `eventCount` is 0, to spare the copy). */
  events: Float64Array | null;
  /** Events that did not fit in the log since the last report (should stay 0). */
  lost: number;
  /** While recording: output frames (after the volume), the first {@link EngineReport.recordedCount} of them; else null. */
  recorded: Float32Array | null;
  /** How many frames of `recorded` are output. */
  recordedCount: number;
  /** Context frame of `recorded[0]`. */
  recordedFrame: number;
  /** The last block of a recording that was stopped. */
  recordedFinal: boolean;
}

/** One event of a report, with named fields (main thread; allocates). */
export type EngineEventRecord =
  | { kind: 'playing'; serial: number; frame: number }
  | { kind: 'ended'; serial: number; frame: number; played: number }
  | { kind: 'underrun-start'; serial: number; frame: number }
  | { kind: 'underrun-end'; serial: number; frame: number; silentFrames: number }
  | { kind: 'interrupted' | 'flushed'; serial: number; frame: number; played: number; dropped: number; fadeFrames: number }
  | { kind: 'mark'; serial: number; frame: number; markId: number; offset: number; passed: boolean };

/** Reads a report's event log into named records, in the order the engine logged them. */
export function decodeEvents(report: EngineReport): EngineEventRecord[] {
  const out: EngineEventRecord[] = [];
  const log = report.events;
  if (!log) return out;
  for (let k = 0; k < report.eventCount; k++) {
    const o = k * EVENT_RECORD;
    const serial = log[o + 1];
    const frame = log[o + 2];
    const a = log[o + 3];
    const b = log[o + 4];
    const c = log[o + 5];
    switch (log[o]) {
      case EngineEvent.Playing:
        out.push({ kind: 'playing', serial, frame });
        break;
      case EngineEvent.Ended:
        out.push({ kind: 'ended', serial, frame, played: a });
        break;
      case EngineEvent.UnderrunStart:
        out.push({ kind: 'underrun-start', serial, frame });
        break;
      case EngineEvent.UnderrunEnd:
        out.push({ kind: 'underrun-end', serial, frame, silentFrames: a });
        break;
      case EngineEvent.Interrupted:
      case EngineEvent.Flushed:
        out.push({ kind: log[o] === EngineEvent.Interrupted ? 'interrupted' : 'flushed', serial, frame, played: a, dropped: b, fadeFrames: c });
        break;
      case EngineEvent.Mark:
        out.push({ kind: 'mark', serial, frame, markId: a, offset: b, passed: c === 1 });
        break;
    }
  }
  return out;
}
