import { VoxplayError } from '../errors.js';

/** What the detector accepts as the microphone. */
export type MicInput = MediaStream | MediaStreamTrack | AudioNode;

/** The microphone as a node in `context`, and what the browser says of its own echo canceller. */
export function micNode(context: AudioContext, mic: MicInput): { node: AudioNode; echoCancellation: boolean | string | undefined; owned: boolean } {
  if (typeof AudioNode !== 'undefined' && mic instanceof AudioNode) {
    if (mic.context !== context) throw new VoxplayError('bad-option', "`mic` is an AudioNode of another AudioContext than the player's");
    return { node: mic, echoCancellation: undefined, owned: false };
  }
  let stream: MediaStream;
  if (typeof MediaStreamTrack !== 'undefined' && mic instanceof MediaStreamTrack) stream = new MediaStream([mic]);
  else if (typeof MediaStream !== 'undefined' && mic instanceof MediaStream) stream = mic;
  else throw new VoxplayError('bad-option', '`mic` must be a MediaStream, a MediaStreamTrack or an AudioNode');
  const track = stream.getAudioTracks()[0];
  if (!track) throw new VoxplayError('bad-option', '`mic` has no audio track');
  const settings = track.getSettings() as MediaTrackSettings & { echoCancellation?: boolean | string };
  try {
    return { node: context.createMediaStreamSource(stream), echoCancellation: settings.echoCancellation, owned: true };
  } catch (cause) {
    // Firefox refuses a microphone on a context at another rate than the device's.
    throw new VoxplayError(
      'unsupported',
      `this browser cannot connect the microphone to the player's ${context.sampleRate} Hz context; make the player with a context at the default rate (the player resamples)`,
      { cause },
    );
  }
}
