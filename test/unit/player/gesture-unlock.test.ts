import { describe, expect, it } from 'vitest';
import { listenForGestures } from '../../../src/player/gesture-unlock';

describe('listenForGestures', () => {
  it('calls back inside presses, keys and taps, even when the page stops propagation, and not after removal', () => {
    const button = document.createElement('button');
    document.body.append(button);
    // A page handler that swallows clicks: capture on the document still sees them.
    button.addEventListener('pointerdown', (e) => e.stopPropagation());
    let calls = 0;
    const stop = listenForGestures(document, () => calls++);
    button.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    document.dispatchEvent(new Event('keydown'));
    document.dispatchEvent(new Event('touchend'));
    document.dispatchEvent(new Event('mousemove'));
    expect(calls).toBe(3);
    stop();
    button.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    expect(calls).toBe(3);
    button.remove();
  });
});
