/**
 * Microphone constraints for a detector: the browser's own canceller on (it covers what it
 * can, and voxplay's runs after it), never `'remote-only'` (Chrome 141+), which would leave the
 * player's output to voxplay alone; automatic gain off, because a gain that moves with the
 * echo makes the echo path look like it changes.
 */
export const RECOMMENDED_MIC_CONSTRAINTS: MediaTrackConstraints = Object.freeze({
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: false,
});
