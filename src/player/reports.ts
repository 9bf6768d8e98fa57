import { decodeEvents, type EngineReport } from '../worklet/messages.js';
import type { AudioClock, Scheduler } from './clock.js';
import type { Emit, EmitError } from './ingest.js';
import type { MarkBook } from './marks.js';
import { samplesToMs, type PrebufferPolicy, type ReportState, type Totals } from './metrics.js';
import type { InterruptedEvent } from './types.js';
import type { Finish, Utterance, UtteranceRegistry } from './utterances.js';

/** What the report handler works with; the session owns all of it. */
export interface ReportDeps {
  registry: UtteranceRegistry;
  marks: MarkBook;
  totals: Totals;
  prebuffer: PrebufferPolicy;
  scheduler: Scheduler;
  emit: Emit;
  error: EmitError;
  retire(utt: Utterance, how: Finish): void;
  /** Samples written to the ring so far. */
  written(): number;
}

/** Where a recording (`player.record()`) gets the output and the utterance boundaries, in context frames. */
export interface RecordTap {
  samples(frame: number, samples: Float32Array, final: boolean): void;
  started(utteranceId: string, frame: number, sampleRate: number): void;
  finished(utteranceId: string, frame: number, playedSamples: number, interrupted: boolean): void;
}

const NO_SAMPLES = new Float32Array(0);

/**
 * Turns the worklet's reports into the player's state and typed events. Each event is
 * scheduled on the audio clock: it fires when the frame it concerns reaches the speakers,
 * so events arrive in the order the listener hears them.
 */
export class ReportHandler {
  /** What the latest report said. */
  readonly last: ReportState = { absRead: 0, serial: -1, played: 0, inFlight: 0 };
  /** The output level of the latest report's window (see `StreamPlayer.getOutputLevel`). */
  readonly level = { peak: 0, sumSquares: 0, frames: 0, endFrame: 0 };
  /** Lowest buffered level seen while an utterance was playing, ms (null before any). */
  lowWaterMs: number | null = null;
  /** The recording in progress, if any. */
  tap: RecordTap | null = null;
  private readonly d: ReportDeps;

  constructor(deps: ReportDeps) {
    this.d = deps;
  }

  /** Applies one report; `clock` maps its frames to the speakers. */
  handle(report: EngineReport, clock: AudioClock): void {
    const { registry, scheduler, emit } = this.d;
    const head = registry.bySerial(report.serial);
    if (head) head.stats.played = report.played;
    this.last.absRead = report.absRead;
    this.last.serial = report.serial;
    this.last.played = report.played;
    this.last.inFlight = report.inFlight;
    if (report.levelFrames > 0) {
      this.level.peak = report.levelPeak;
      this.level.sumSquares = report.levelSumSquares;
      this.level.frames = report.levelFrames;
      this.level.endFrame = report.levelEndFrame;
    }
    const tap = this.tap;
    if (tap && (report.recordedCount > 0 || report.recordedFinal)) {
      tap.samples(report.recordedFrame, report.recorded ? report.recorded.subarray(0, report.recordedCount) : NO_SAMPLES, report.recordedFinal);
    }
    if (report.lost > 0) this.d.error('context', `the audio thread could not report ${report.lost} event(s); figures may be off`);
    let interrupted: InterruptedEvent | null = null;
    const flushed: string[] = [];
    for (const event of decodeEvents(report)) {
      if (event.kind === 'mark') {
        // By its mark id, not its utterance: a mark can arrive late for one that already ended.
        this.mark(event.markId, event.frame, event.passed, clock);
        continue;
      }
      const utt = registry.bySerial(event.serial);
      if (!utt) continue;
      const stats = utt.stats;
      switch (event.kind) {
        case 'playing': {
          stats.state = 'playing';
          const audibleAt = clock.audibleAt(event.frame);
          stats.firstAudible = audibleAt;
          tap?.started(utt.id, event.frame, utt.rate);
          scheduler.at(audibleAt, () => emit('playing', { utteranceId: utt.id, audibleAt, timeToFirstAudioMs: stats.timeToFirstAudio() }));
          break;
        }
        case 'ended': {
          stats.played = event.played;
          // The event names the last frame; the utterance is over once that frame has sounded.
          const audibleAt = clock.audibleAt(event.frame + 1);
          this.d.retire(utt, 'ended');
          const played = event.played;
          tap?.finished(utt.id, event.frame + 1, played, false);
          scheduler.at(audibleAt, () => emit('ended', { utteranceId: utt.id, playedMs: samplesToMs(played, utt.rate), playedSamples: played, audibleAt }));
          break;
        }
        case 'underrun-start':
          utt.starved = true;
          stats.underruns++;
          this.d.totals.underruns++;
          this.d.prebuffer.onUnderrun();
          scheduler.at(clock.audibleAt(event.frame), () => emit('underrun', { utteranceId: utt.id, phase: 'start', silentMs: 0, count: stats.underruns }));
          break;
        case 'underrun-end': {
          utt.starved = false;
          stats.underrunFrames += event.silentFrames;
          const silentMs = samplesToMs(event.silentFrames, clock.sampleRate);
          scheduler.at(clock.audibleAt(event.frame), () => emit('underrun', { utteranceId: utt.id, phase: 'end', silentMs, count: stats.underruns }));
          break;
        }
        case 'interrupted':
        case 'flushed': {
          stats.played = event.played;
          stats.dropped += event.dropped;
          this.d.totals.flushed += event.dropped;
          this.d.retire(utt, 'interrupted');
          if (event.kind === 'interrupted') tap?.finished(utt.id, event.frame, event.played, true);
          // One event per interrupt: for the utterance that sounded, naming the others it flushed.
          if (event.kind === 'interrupted' || !interrupted) {
            if (interrupted) flushed.push(interrupted.utteranceId!);
            interrupted = {
              utteranceId: utt.id,
              playedMs: samplesToMs(event.played, utt.rate),
              droppedMs: samplesToMs(event.dropped + stats.stale, utt.rate),
              playedSamples: event.played,
              droppedSamples: event.dropped,
              staleSamples: stats.stale,
              sampleRate: utt.rate,
              fadeMs: samplesToMs(event.fadeFrames, clock.sampleRate),
              silentAt: clock.audibleAt(event.frame),
              flushed,
              lastMark: utt.lastMark,
            };
          } else flushed.push(utt.id);
          break;
        }
      }
    }
    if (interrupted) {
      const event = interrupted;
      // On the audio clock like every other event, so it never overtakes the cut
      // utterance's own playing / mark events for audio rendered before the cut.
      scheduler.at(event.silentAt, () => emit('interrupted', event));
    }
    if (head && head.stats.state === 'playing' && !head.starved) {
      const bufferedMs = samplesToMs(this.d.written() - report.absRead, head.rate);
      if (this.lowWaterMs === null || bufferedMs < this.lowWaterMs) this.lowWaterMs = bufferedMs;
    }
  }

  /**
   * The worklet output mark `markId` at `frame`. A mark that reached it late carries the frame
   * its sample played at, which may be past (it fires at once); a passed one (that frame
   * unknown) says so.
   */
  private mark(markId: number, frame: number, passed: boolean, clock: AudioClock): void {
    const heard = this.d.marks.heard(markId);
    if (!heard) return;
    const audibleAt = clock.audibleAt(frame);
    const contextTime = frame / clock.sampleRate;
    const flag = passed ? ({ passed: true } as const) : null;
    this.d.scheduler.at(audibleAt, () => this.d.emit('mark', { utteranceId: heard.utt.id, ...heard.mark, audibleAt, contextTime, ...flag }));
  }
}
