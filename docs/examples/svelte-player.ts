import type { PlayerSnapshot, StreamPlayer } from 'voxplay';

/**
 * The player's snapshot as a Svelte readable store (Svelte's store contract, so no import from
 * svelte is needed): `$snapshot.state`, `$snapshot.bufferedMs` in a component.
 */
export function playerSnapshot(player: StreamPlayer): { subscribe(run: (value: PlayerSnapshot) => void): () => void } {
  return {
    subscribe(run) {
      run(player.getSnapshot());
      return player.subscribe(() => run(player.getSnapshot()));
    },
  };
}
