/**
 * Duck → confirm → reject: when near-end speech becomes a barge-in.
 *
 * @packageDocumentation
 */

/** What a block of near-end evidence turned into. */
export type BargeInEvent = 'speechstart' | 'bargein' | 'rejected';

/** Timing of {@link BargeInPolicy}. */
export interface BargeInPolicyOptions {
  /** Duration of one block of evidence, ms. */
  blockMs: number;
  /** Speech must hold this long after its onset to be a barge-in, ms. */
  confirmMs: number;
}

/** Consecutive speech blocks that make an onset (32 ms at 16 ms blocks). */
const ONSET_BLOCKS = 2;
/** Share of the blocks since the onset that must be speech to confirm. */
const CONFIRM_SHARE = 0.6;
/** A pause this long (ms) before confirmation means it was not speech after all. */
const REJECT_GAP_MS = 130;
/** After a barge-in, this much silence (ms) ends the user's turn. */
const END_GAP_MS = 400;

/**
 * The detector's state machine, fed one boolean per block: "this block holds near-end speech
 * the echo does not explain". Two speech blocks in a row are an onset (`speechstart`, the
 * player ducks). If speech then fills most of the blocks until `confirmMs` after the onset it
 * is a `bargein`; a pause of {@link REJECT_GAP_MS} before that, or too sparse a stretch by
 * twice `confirmMs`, is `rejected` (the volume comes back, nothing was cut). After a barge-in
 * the turn ends at {@link END_GAP_MS} of silence, and the next onset starts over.
 * Allocation-free; pure.
 */
export class BargeInPolicy {
  /** Where the policy is. */
  state: 'idle' | 'tentative' | 'confirmed' = 'idle';
  private readonly confirmBlocks: number;
  private readonly rejectGap: number;
  private readonly endGap: number;
  private run = 0;
  private elapsed = 0;
  private voiced = 0;
  private silent = 0;

  constructor(options: BargeInPolicyOptions) {
    this.confirmBlocks = Math.max(1, Math.round(options.confirmMs / options.blockMs));
    this.rejectGap = Math.max(2, Math.round(REJECT_GAP_MS / options.blockMs));
    this.endGap = Math.max(2, Math.round(END_GAP_MS / options.blockMs));
  }

  /** Blocks since the current onset (0 when idle). */
  get sinceOnset(): number {
    return this.state === 'idle' ? 0 : this.elapsed;
  }

  /** Feeds one block; returns the event it caused, if any. */
  step(speech: boolean): BargeInEvent | null {
    if (speech) {
      this.run++;
      this.silent = 0;
    } else {
      this.run = 0;
      this.silent++;
    }
    switch (this.state) {
      case 'idle':
        if (this.run < ONSET_BLOCKS) return null;
        this.state = 'tentative';
        this.elapsed = this.run;
        this.voiced = this.run;
        return 'speechstart';
      case 'tentative':
        this.elapsed++;
        if (speech) this.voiced++;
        if (this.silent >= this.rejectGap) return this.reject();
        if (this.elapsed >= this.confirmBlocks) {
          if (this.voiced >= CONFIRM_SHARE * this.elapsed) {
            this.state = 'confirmed';
            return 'bargein';
          }
          if (this.elapsed >= 2 * this.confirmBlocks) return this.reject();
        }
        return null;
      case 'confirmed':
        if (this.silent >= this.endGap) this.state = 'idle';
        return null;
    }
  }

  /** Back to idle without an event (the player was interrupted by other means, a new turn). */
  reset(): void {
    this.state = 'idle';
    this.run = 0;
    this.elapsed = 0;
    this.voiced = 0;
    this.silent = 0;
  }

  private reject(): BargeInEvent {
    this.state = 'idle';
    this.elapsed = 0;
    this.voiced = 0;
    return 'rejected';
  }
}
