// @vitest-environment node
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { useMark, useOutputLevel, usePlayerState, useStreamPlayer } from '../../../src/react/index';

// On the server there is no document, no AudioContext and no animation frame: the hooks
// render their constants and make nothing.
describe('voxplay/react on the server', () => {
  it('renders the initial snapshot and silence, with no player and no warnings', () => {
    const errors = vi.spyOn(console, 'error');
    function Speaker() {
      const player = useStreamPlayer({ sampleRate: 24000 });
      const { state, volume } = usePlayerState(player);
      const { rmsDb } = useOutputLevel(player);
      useMark(player, () => undefined);
      return createElement('p', null, `${player === null ? 'no player' : 'player'} ${state} ${volume} ${rmsDb}`);
    }
    expect(renderToString(createElement(Speaker))).toBe('<p>no player new 1 -Infinity</p>');
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });
});
