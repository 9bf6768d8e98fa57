import type { SamplesMessage } from '../worklet/messages.js';
import { SampleRing } from './sample-ring.js';

/**
 * The main thread's side of the ring: how samples get to the worklet. Two paths behind
 * one interface, picked by `crossOriginIsolated`:
 * - {@link SharedRingWriter}: writes straight into a SharedArrayBuffer ring the worklet
 *   reads with Atomics; free space and the read position are exact at any moment.
 * - {@link MessageRingWriter}: transfers chunks to the worklet (one message per task, or per
 *   several tasks under a {@link HoldPolicy}), which copies them into its own preallocated
 *   ring. Free space is computed from the last reported read position, which lags, so it is
 *   never over-estimated and the worklet's ring cannot overflow.
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
  /** Sends what `write` may still hold back; call before any other message to the worklet, to keep order. */
  flush(): void;
  /** Lets later writes wait for more (see {@link HoldPolicy}); `null` sends every task's writes at its end. */
  setHoldPolicy(policy: HoldPolicy | null): void;
  /** Stops any timer; what is still held back is never sent. */
  dispose(): void;
}

/**
 * When the postMessage path may hold samples back across tasks, in samples at the source
 * rate. A WebSocket delivers each frame in its own task and every post costs tens of
 * microseconds, so while the worklet has plenty queued, several frames go as one message.
 */
export interface HoldPolicy {
  /** Hold only while at least this many posted samples are ahead of the worklet's last reported read position. */
  minAhead: number;
  /** Post as soon as this many samples are held. */
  maxHeld: number;
  /** Post held samples after this many milliseconds at the latest. */
  maxHoldMs: number;
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

  flush(): void {}

  /** Writes land in shared memory at once: nothing to hold. */
  setHoldPolicy(): void {}

  dispose(): void {}
}

/** The postMessage path. */
export class MessageRingWriter implements RingWriter {
  readonly kind = 'message' as const;
  readonly capacity: number;
  written = 0;
  private read = 0;
  /** Samples written and not yet posted. */
  private readonly pending: Float32Array[] = [];
  private pendingSamples = 0;
  /** A flush is queued for the end of this task. */
  private scheduled = false;
  private hold: HoldPolicy | null = null;
  private holdTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly flushSoon = (): void => {
    if (this.scheduled) this.flush();
  };
  private readonly flushHeld = (): void => {
    this.holdTimer = null;
    this.flush();
  };
  private readonly post: (msg: SamplesMessage, transfer: Transferable[]) => void;

  /** `post` delivers to the worklet's port (the player queues messages until the node exists). */
  constructor(capacity: number, post: (msg: SamplesMessage, transfer: Transferable[]) => void) {
    this.capacity = capacity;
    this.post = post;
  }

  free(): number {
    return this.capacity - (this.written - this.read);
  }

  readPosition(): number {
    return this.read;
  }

  setHoldPolicy(policy: HoldPolicy | null): void {
    this.hold = policy;
    if (!policy && this.pendingSamples > 0) this.flush();
  }

  /**
   * Queues `samples`. Everything written within one task goes to the worklet as a single
   * message at the end of the task, because a postMessage costs far more than copying a few
   * frames' samples together. Under a {@link HoldPolicy}, while the worklet has enough
   * queued, writes wait to go with later tasks' writes until enough are held or the hold time is up.
   */
  write(samples: Float32Array): void {
    this.written += samples.length;
    this.pending.push(samples);
    this.pendingSamples += samples.length;
    if (this.scheduled) return;
    if (this.mayHold()) {
      this.holdTimer ??= setTimeout(this.flushHeld, this.hold!.maxHoldMs);
      return;
    }
    this.scheduled = true;
    queueMicrotask(this.flushSoon);
  }

  flush(): void {
    this.scheduled = false;
    if (this.holdTimer !== null) {
      clearTimeout(this.holdTimer);
      this.holdTimer = null;
    }
    if (this.pending.length === 0) return;
    let data: Float32Array;
    if (this.pending.length === 1) {
      const only = this.pending[0];
      data = only.byteOffset === 0 && only.byteLength === only.buffer.byteLength ? only : only.slice();
    } else {
      data = new Float32Array(this.pendingSamples);
      let at = 0;
      for (const chunk of this.pending) {
        data.set(chunk, at);
        at += chunk.length;
      }
    }
    this.pending.length = 0;
    this.pendingSamples = 0;
    this.post({ type: 'samples', data }, [data.buffer as ArrayBuffer]);
  }

  onReport(absRead: number): void {
    if (absRead > this.read) this.read = absRead;
    // The worklet ran low while samples are held: they go now, not when the timer fires.
    if (this.pendingSamples > 0 && !this.scheduled && !this.mayHold()) this.flush();
  }

  dispose(): void {
    this.hold = null;
    if (this.holdTimer !== null) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.scheduled = false;
    this.pending.length = 0;
    this.pendingSamples = 0;
  }

  private mayHold(): boolean {
    const hold = this.hold;
    return hold !== null && this.pendingSamples < hold.maxHeld && this.written - this.pendingSamples - this.read >= hold.minAhead;
  }
}
