import { MAX_MARKS } from './messages.js';

/**
 * Pending marks, sorted by (utterance serial, source offset), in a preallocated circular
 * buffer of MAX_MARKS. Marks may be added in any order; they usually come in order, so the
 * insertion from the tail rarely shifts. No method allocates or throws.
 */
export class MarkQueue {
  readonly #serials = new Float64Array(MAX_MARKS);
  readonly #offsets = new Float64Array(MAX_MARKS);
  readonly #ids = new Float64Array(MAX_MARKS);
  #head = 0;
  /** Marks pending. */
  count = 0;

  /** Adds mark `id` on source sample `offset` of utterance `serial`; false when MAX_MARKS are pending. */
  add(serial: number, offset: number, id: number): boolean {
    if (this.count >= MAX_MARKS) return false;
    let k = this.count;
    while (k > 0) {
      const prev = (this.#head + k - 1) % MAX_MARKS;
      if (this.#serials[prev] < serial || (this.#serials[prev] === serial && this.#offsets[prev] <= offset)) break;
      const to = (this.#head + k) % MAX_MARKS;
      this.#serials[to] = this.#serials[prev];
      this.#offsets[to] = this.#offsets[prev];
      this.#ids[to] = this.#ids[prev];
      k--;
    }
    const at = (this.#head + k) % MAX_MARKS;
    this.#serials[at] = serial;
    this.#offsets[at] = offset;
    this.#ids[at] = id;
    this.count++;
    return true;
  }

  /** Serial of the first mark (call only when count > 0). */
  get serial(): number {
    return this.#serials[this.#head];
  }

  /** Source offset of the first mark. */
  get offset(): number {
    return this.#offsets[this.#head];
  }

  /** Id of the first mark. */
  get id(): number {
    return this.#ids[this.#head];
  }

  /** Removes the first mark. */
  shift(): void {
    this.#head = (this.#head + 1) % MAX_MARKS;
    this.count--;
  }

  /** Removes, unreported, the marks of utterances up to `serial`. */
  dropThrough(serial: number): void {
    while (this.count > 0 && this.#serials[this.#head] <= serial) this.shift();
  }

  /** Every pending mark as (serial, offset, id) triples, for a handover. Allocates. */
  toArray(): number[] {
    const marks: number[] = [];
    for (let k = 0; k < this.count; k++) {
      const h = (this.#head + k) % MAX_MARKS;
      marks.push(this.#serials[h], this.#offsets[h], this.#ids[h]);
    }
    return marks;
  }
}
