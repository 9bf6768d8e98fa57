import { VoxplayError } from '../errors.js';

/** The player's output carried by an `<audio>` element; made by {@link createMediaElementOutput}. */
export interface MediaElementOutput {
  /** Pass this as the player's `destination` option. */
  destination: MediaStreamAudioDestinationNode;
  /** The element playing it (not in the document; nothing to show). */
  element: HTMLAudioElement;
  /** Starts the element; call it from a user gesture on Safari. Rejects as the element's `play()` does. */
  play(): Promise<void>;
  /** Stops the element and disconnects the destination. */
  close(): void;
}

/**
 * An output route for Safari's echo canceller: WebKit's voice-processing unit takes WebRTC and
 * `<audio srcObject>` playback as its reference, not `AudioContext.destination`. Routing the
 * player through a `MediaStreamAudioDestinationNode` played by an `<audio>` element puts the
 * agent's voice where that canceller sees it, so the browser's own canceller and voxplay's
 * both remove it. The element adds output latency the audio clock does not see (marks may fire
 * that much early), so use it where the browser's canceller matters (Safari with
 * `echoCancellation: true`).
 *
 * ```ts
 * const context = new AudioContext();
 * const out = createMediaElementOutput(context);
 * const player = new StreamPlayer({ context, destination: out.destination });
 * await player.start();
 * await out.play();
 * ```
 *
 * @throws VoxplayError `unsupported` where there is no DOM or no MediaStream destination.
 */
export function createMediaElementOutput(context: AudioContext): MediaElementOutput {
  if (typeof document === 'undefined' || typeof context.createMediaStreamDestination !== 'function') {
    throw new VoxplayError('unsupported', 'an <audio> output route needs a DOM and AudioContext.createMediaStreamDestination');
  }
  const destination = context.createMediaStreamDestination();
  const element = document.createElement('audio');
  element.srcObject = destination.stream;
  return {
    destination,
    element,
    play: () => element.play(),
    close() {
      element.pause();
      element.srcObject = null;
      destination.disconnect();
    },
  };
}
