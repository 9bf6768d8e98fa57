import { SampleRing } from './sample-ring.js';

/**
 * The main thread's side of the ring: how samples get to the worklet. Two paths behind
 * one interface, picked by `crossOriginIsolated`:
 * - {@link SharedRingWriter}: writes straight into a SharedArrayBuffer ring the worklet
 *   reads with Atomics; free space and the read position are exact at any moment.
 * - {@link MessageRingWriter}: transfers each chunk to the worklet, which copies it into its
 *   own preallocated ring. Free space is computed from the last reported read position,
 *   which lags, so it is never over-estimated and the worklet's ring cannot overflow.
 *
 * Main thread only.
 */
export interface RingWriter {
  readonly kind: 'shared' | 'message';
  readonly capacity: number;
  /** Samples written since the start (absolute write position). */
  readonly written: number;
  /** Samples that can be written now without overflowing. */
  free(): number;
  /** Best-known absolute read position of the worklet. */
  readPosition(): number;
  /** Appends `samples` (caller checked `free()`); the array may be transferred. */
  write(samples: Float32Array): void;
  /** Takes the read position from a worklet report. */
  onReport(absRead: number): void;
}

/** The SharedArrayBuffer path. */
export class SharedRingWriter implements RingWriter {
  readonly kind = 'shared' as const;
  readonly capacity: number;
  readonly buffer: SharedArrayBuffer;
  written = 0;
  private readonly ring: SampleRing;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.buffer = new SharedArrayBuffer(SampleRing.bytesFor(capacity));
    this.ring = new SampleRing(this.buffer, capacity);
  }

  free(): number {
    return this.ring.availableWrite();
  }

  readPosition(): number {
    return this.written - this.ring.availableRead();
  }

  write(samples: Float32Array): void {
    const n = this.ring.write(samples, 0, samples.length);
    this.written += n;
  }

  onReport(): void {}
}

/** The postMessage path. */
export class MessageRingWriter implements RingWriter {
  readonly kind = 'message' as const;
  readonly capacity: number;
  written = 0;
  private read = 0;
  private readonly post: (msg: { t: 'samples'; data: Float32Array }, transfer: Transferable[]) => void;

  /** `post` delivers to the worklet's port (the player queues messages until the node exists). */
  constructor(capacity: number, post: (msg: { t: 'samples'; data: Float32Array }, transfer: Transferable[]) => void) {
    this.capacity = capacity;
    this.post = post;
  }

  free(): number {
    return this.capacity - (this.written - this.read);
  }

  readPosition(): number {
    return this.read;
  }

  write(samples: Float32Array): void {
    this.written += samples.length;
    const owned = samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength ? samples : samples.slice();
    this.post({ t: 'samples', data: owned }, [owned.buffer as ArrayBuffer]);
  }

  onReport(absRead: number): void {
    if (absRead > this.read) this.read = absRead;
  }
}
