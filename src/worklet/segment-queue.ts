import { MAX_UTTERANCES } from './messages.js';
import { Phase, Segment } from './segment.js';

/**
 * The engine's utterances in play order: a circular queue over a pool of MAX_UTTERANCES
 * preallocated {@link Segment}s. No method allocates or throws.
 */
export class SegmentQueue {
  readonly #pool: Segment[] = [];
  readonly #ring: Segment[] = [];
  #first = 0;
  /** Utterances queued. */
  size = 0;

  constructor() {
    for (let i = 0; i < MAX_UTTERANCES; i++) {
      this.#pool.push(new Segment());
      this.#ring.push(this.#pool[i]);
    }
  }

  /** The utterance at the head (sounding or next to sound), or null. */
  get head(): Segment | null {
    return this.size > 0 ? this.#ring[this.#first] : null;
  }

  /** The k-th queued utterance (0: the head); k < size. */
  at(k: number): Segment {
    return this.#ring[(this.#first + k) % MAX_UTTERANCES];
  }

  /** A free segment appended at the tail (its fields still to set), or null when the queue is full. */
  push(): Segment | null {
    if (this.size >= MAX_UTTERANCES) return null;
    for (const seg of this.#pool) {
      if (seg.phase === Phase.Free) {
        this.#ring[(this.#first + this.size) % MAX_UTTERANCES] = seg;
        this.size++;
        return seg;
      }
    }
    return null;
  }

  /** Removes the head and frees its segment. */
  shift(): void {
    this.#ring[this.#first].phase = Phase.Free;
    this.#first = (this.#first + 1) % MAX_UTTERANCES;
    this.size--;
  }
}
