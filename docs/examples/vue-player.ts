import { onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import type { PlayerSnapshot, StreamPlayer } from 'voxplay';

/**
 * The player's snapshot as a Vue ref, for templates and computed values. A shallowRef: the
 * snapshot is immutable, and a new one (a new identity) arrives only when something in it changed.
 */
export function usePlayerSnapshot(player: StreamPlayer): Readonly<ShallowRef<PlayerSnapshot>> {
  const snapshot = shallowRef(player.getSnapshot());
  onScopeDispose(player.subscribe(() => (snapshot.value = player.getSnapshot())));
  return snapshot;
}
