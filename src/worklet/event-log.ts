import { EVENT_LOG_RECORDS, EVENT_RECORD } from './messages.js';

/**
 * The engine's event log for one report: fixed records of six numbers (kind, serial, frame,
 * a, b, c; see `EngineEvent` in messages.ts), preallocated, emptied after each report.
 * {@link EventLog.record} allocates nothing and never throws.
 */
export class EventLog {
  readonly data = new Float64Array(EVENT_LOG_RECORDS * EVENT_RECORD);
  /** Records since the last {@link EventLog.take}. */
  count = 0;
  /** Records that did not fit before the log was taken (should stay 0). */
  overflow = 0;

  /** Appends one record, or counts it in `overflow` when the log is full. */
  record(kind: number, serial: number, frame: number, a: number, b: number, c: number): void {
    if (this.count >= EVENT_LOG_RECORDS) {
      this.overflow++;
      return;
    }
    const o = this.count * EVENT_RECORD;
    const log = this.data;
    log[o] = kind;
    log[o + 1] = serial;
    log[o + 2] = frame;
    log[o + 3] = a;
    log[o + 4] = b;
    log[o + 5] = c;
    this.count++;
  }

  /** Empties the log (after the caller copied or posted it). */
  take(): void {
    this.count = 0;
    this.overflow = 0;
  }
}
