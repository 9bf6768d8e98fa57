/**
 * The page's audio session (Safari 16.4+: `navigator.audioSession`). Its `type` decides
 * whether Web Audio obeys iOS's ringer switch: `'auto'` (the default) lets the silent
 * switch mute it, `'playback'` plays through it like a media app.
 */

/** The session types the player sets or restores (the spec has more). */
interface AudioSessionLike {
  type: string;
}

function session(): AudioSessionLike | null {
  if (typeof navigator === 'undefined') return null;
  const found = (navigator as { audioSession?: unknown }).audioSession;
  return typeof found === 'object' && found !== null && typeof (found as AudioSessionLike).type === 'string' ? (found as AudioSessionLike) : null;
}

/**
 * Sets the session type to `'playback'` when asked and the browser has a session.
 *
 * @returns a function that puts back the previous type, unless someone changed it since.
 */
export function claimAudioSession(mode: 'auto' | 'playback'): () => void {
  const s = mode === 'playback' ? session() : null;
  if (!s || s.type === 'playback') return () => undefined;
  const previous = s.type;
  try {
    s.type = 'playback';
  } catch {
    // An engine may refuse a type it does not know; the player plays as it would anyway.
    return () => undefined;
  }
  return () => {
    if (s.type === 'playback') s.type = previous;
  };
}
