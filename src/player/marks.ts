import type { ErrorCode } from '../errors.js';
import { MAX_MARKS, MAX_UTTERANCES, type MarkMessage } from '../worklet/messages.js';
import type { HeardMark } from './types.js';
import type { Finish, Utterance } from './utterances.js';

interface PendingMark {
  sampleOffset: number;
  name: string;
}

interface SentMark extends PendingMark {
  utt: Utterance;
}

/**
 * The one owner of marks on the main thread, in their three stages:
 * - early: the utterance has not started yet (bounded to {@link MAX_UTTERANCES} utterances);
 * - held: the utterance started but the marked sample has not arrived, so its place in the
 *   ring (which skips audio dropped on arrival) is not known yet;
 * - sent: handed to the worklet, waiting to be heard.
 * All three together are bounded by {@link MAX_MARKS}, the worklet's capacity.
 */
export class MarkBook {
  private readonly early = new Map<string, PendingMark[]>();
  private earlyCount = 0;
  /** Held marks per utterance serial, sorted by offset. */
  private readonly held = new Map<number, PendingMark[]>();
  private heldCount = 0;
  private readonly sent = new Map<number, SentMark>();
  private nextId = 1;
  private readonly send: (msg: MarkMessage) => void;
  private readonly error: (code: ErrorCode, message: string, utteranceId: string) => void;

  /** `send` posts to the worklet; `error` reports a refused mark. */
  constructor(send: (msg: MarkMessage) => void, error: (code: ErrorCode, message: string, utteranceId: string) => void) {
    this.send = send;
    this.error = error;
  }

  /** Marks in any stage (for tests and metrics). */
  get size(): number {
    return this.earlyCount + this.heldCount + this.sent.size;
  }

  /**
   * Adds a mark. `utt` is the active utterance `utteranceId`, if any; `finished` how it
   * finished, if it did recently.
   */
  add(utt: Utterance | undefined, utteranceId: string, finished: Finish | undefined, sampleOffset: number, name: string): void {
    if (!utt) {
      if (finished === 'interrupted') return; // its audio was cut: the mark could never be heard
      if (finished === 'ended') {
        this.error('after-end', `a mark for utterance "${utteranceId}" arrived after it ended`, utteranceId);
        return;
      }
      // Not started yet: keep it until the utterance's first audio or start message.
      let early = this.early.get(utteranceId);
      if (!early) {
        if (this.early.size >= MAX_UTTERANCES) {
          this.error(
            'too-many-utterances',
            `marks for ${MAX_UTTERANCES} utterances that have not started are already held; the mark for "${utteranceId}" was refused`,
            utteranceId,
          );
          return;
        }
        early = [];
        this.early.set(utteranceId, early);
      }
      if (!this.hasRoom(name, utteranceId)) return;
      early.push({ sampleOffset, name });
      this.earlyCount++;
      return;
    }
    if (utt.closed && finished === 'interrupted') return;
    if (!this.hasRoom(name, utteranceId)) return;
    if (utt.closed || sampleOffset < utt.stats.received) {
      this.sendMark(utt, sampleOffset, name);
      return;
    }
    let list = this.held.get(utt.serial);
    if (!list) {
      list = [];
      this.held.set(utt.serial, list);
    }
    let at = list.length;
    while (at > 0 && list[at - 1].sampleOffset > sampleOffset) at--;
    list.splice(at, 0, { sampleOffset, name });
    this.heldCount++;
  }

  /** A new utterance started: the marks given for it early become its own. */
  adopt(utt: Utterance): void {
    const early = this.early.get(utt.id);
    if (!early) return;
    this.early.delete(utt.id);
    this.earlyCount -= early.length;
    for (const m of early) this.add(utt, utt.id, undefined, m.sampleOffset, m.name);
  }

  /** Sends the held marks of `utt` whose sample has now arrived (all of them once it is closed). */
  release(utt: Utterance): void {
    const list = this.held.get(utt.serial);
    if (!list) return;
    let n = 0;
    while (n < list.length && (utt.closed || list[n].sampleOffset < utt.stats.received)) n++;
    if (n === 0) return;
    const ready = list.splice(0, n);
    if (list.length === 0) this.held.delete(utt.serial);
    this.heldCount -= n;
    for (const m of ready) this.sendMark(utt, m.sampleOffset, m.name);
  }

  /** The worklet output mark `markId`: what was heard, or null for a mark already forgotten. */
  heard(markId: number): { utt: Utterance; mark: HeardMark } | null {
    const sent = this.sent.get(markId);
    if (!sent) return null;
    this.sent.delete(markId);
    const mark: HeardMark = { name: sent.name, sampleOffset: sent.sampleOffset, offsetMs: (sent.sampleOffset * 1000) / sent.utt.rate };
    sent.utt.lastMark = mark;
    return { utt: sent.utt, mark };
  }

  /**
   * `utt` left the queue. Cut: its marks not reported by now were never heard. Ended: the
   * worklet still reports a mark that reaches it afterwards (with the frame its sample
   * played at), so those it was sent stay until then.
   */
  forget(utt: Utterance, how: 'ended' | 'interrupted' = 'interrupted'): void {
    if (how === 'interrupted') for (const [id, m] of this.sent) if (m.utt === utt) this.sent.delete(id);
    const list = this.held.get(utt.serial);
    if (list) {
      this.heldCount -= list.length;
      this.held.delete(utt.serial);
    }
  }

  /** An interrupt cut everything queued: marks for utterances not started yet go too. */
  clearEarly(): void {
    this.early.clear();
    this.earlyCount = 0;
  }

  /** Hands a mark whose audio has arrived (or never will) to the worklet, mapped onto the ring. */
  private sendMark(utt: Utterance, sampleOffset: number, name: string): void {
    const offset = utt.ringOffset(sampleOffset);
    if (offset < 0) return; // its audio was dropped on arrival: it can never be heard
    const id = this.nextId++;
    this.sent.set(id, { utt, name, sampleOffset });
    this.send({ type: 'mark', serial: utt.serial, offset, id });
  }

  /** False (with an error) when MAX_MARKS marks are already early, held or waiting to be heard. */
  private hasRoom(name: string, utteranceId: string): boolean {
    if (this.size < MAX_MARKS) return true;
    this.error('buffer-full', `${MAX_MARKS} marks are already waiting to be heard; the mark "${name}" was refused`, utteranceId);
    return false;
  }
}
