/**
 * Browsers start (and after some interruptions, restart) audio only from a user gesture.
 * These are the events that count as one in every engine: a press or a key, not a hover.
 */
const GESTURES = ['pointerdown', 'keydown', 'touchend', 'click'] as const;

/** Anything that takes DOM event listeners (a document, a window, an element). */
export interface GestureTarget {
  /** Adds a listener (a DOM `addEventListener`). */
  addEventListener(type: string, listener: () => void, options?: AddEventListenerOptions): void;
  /** Removes it again. */
  removeEventListener(type: string, listener: () => void, options?: EventListenerOptions): void;
}

/**
 * Calls `onGesture` synchronously inside every user gesture on `target` (capture phase,
 * so a handler that stops propagation cannot hide it), which is where a browser lets
 * `AudioContext.resume()` start audio.
 *
 * @returns a function that removes the listeners.
 */
export function listenForGestures(target: GestureTarget, onGesture: () => void): () => void {
  const listener = (): void => onGesture();
  for (const type of GESTURES) target.addEventListener(type, listener, { capture: true, passive: true });
  return () => {
    for (const type of GESTURES) target.removeEventListener(type, listener, { capture: true });
  };
}
