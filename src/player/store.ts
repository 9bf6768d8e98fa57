import type { VoxplayError } from '../errors.js';
import type { PlayerState } from './types.js';

/**
 * What an app renders from the player, as one immutable object (see
 * {@link StreamPlayer.getSnapshot}). A snapshot keeps its identity until one of its fields
 * changes, so `useSyncExternalStore` (React), `shallowRef` (Vue) or a readable store (Svelte)
 * re-render only then.
 */
export interface PlayerSnapshot {
  readonly state: PlayerState;
  /** The utterance sounding or buffering now, or null. */
  readonly utteranceId: string | null;
  /** True while an utterance is audible: it has started and the player is not paused or stalled. */
  readonly playing: boolean;
  /** The app paused the player (`pause()`). */
  readonly paused: boolean;
  /** Audio buffered, whole ms (updated with each `metrics` event and every other event). */
  readonly bufferedMs: number;
  readonly volume: number;
  readonly muted: boolean;
  /** Playback speed, 0.5–2. */
  readonly speed: number;
  /** The last `error` event, or null. */
  readonly error: VoxplayError | null;
}

/**
 * A subscribe / getSnapshot store over values read on demand: `refresh()` reads them, and when
 * any differs from the current snapshot, freezes a new one and tells every listener. Pure: no
 * DOM, no timers; the player calls `refresh()` after each of its events and setters.
 */
export class SnapshotStore {
  #snapshot: PlayerSnapshot;
  readonly #read: () => PlayerSnapshot;
  readonly #listeners = new Set<() => void>();

  /** @param read - Reads the current values (a fresh object each call). */
  constructor(read: () => PlayerSnapshot) {
    this.#read = read;
    this.#snapshot = Object.freeze(read());
  }

  /** The current snapshot: the same object until something in it changes. */
  getSnapshot(): PlayerSnapshot {
    return this.#snapshot;
  }

  /** Calls `listener` (no arguments) after each change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    const own = () => listener();
    this.#listeners.add(own);
    return () => {
      this.#listeners.delete(own);
    };
  }

  /** Reads the values again; a new snapshot and a notification only when one changed. */
  refresh(): void {
    const next = this.#read();
    const current = this.#snapshot;
    let changed = false;
    for (const key of Object.keys(next) as (keyof PlayerSnapshot)[]) {
      if (!Object.is(next[key], current[key])) {
        changed = true;
        break;
      }
    }
    if (!changed) return;
    this.#snapshot = Object.freeze(next);
    // A copy: a listener may unsubscribe (or subscribe) while being told.
    for (const listener of [...this.#listeners]) listener();
  }
}
