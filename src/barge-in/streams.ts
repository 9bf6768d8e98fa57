import { VoxplayError } from '../errors.js';
import type { StreamPlayer } from '../player/stream-player.js';
import { keepPulled, quietly } from './detector.js';
import { makeEchoNode } from './echo-node.js';
import { micNode, type MicInput } from './mic-input.js';

/** A `MediaStream` made from the player's graph, and how to stop it. */
export interface PlayerStream {
  /** The stream: give it to a VAD, a recogniser, a `MediaRecorder` or a WebRTC peer. */
  stream: MediaStream;
  /** Disconnects the nodes behind the stream and ends its track. */
  close(): void;
}

/**
 * The microphone with the player's echo removed (adaptive canceller plus residual
 * suppression, about 32 ms later than the microphone), for the app's own VAD or speech
 * recogniser. Needs a started player; `mic` as for the detector.
 *
 * @throws VoxplayError (as a rejection) as {@link createBargeInDetector} does.
 */
export async function createEchoCancelledStream(player: StreamPlayer, mic: MicInput, options: { workletUrl?: string | URL } = {}): Promise<PlayerStream> {
  const { context, node } = await makeEchoNode(player, { mode: 'cancel' }, options.workletUrl);
  const input = micNode(context, mic);
  input.node.connect(node, 0, 0);
  const pull = keepPulled(node);
  const out = context.createMediaStreamDestination();
  out.channelCount = 1;
  node.connect(out);
  return {
    stream: out.stream,
    close() {
      node.port.postMessage({ type: 'close' });
      quietly(() => input.node.disconnect(node));
      if (input.owned) quietly(() => input.node.disconnect());
      quietly(() => node.disconnect());
      quietly(() => pull.disconnect());
      quietly(() => player.analyser?.disconnect(node));
      for (const track of out.stream.getTracks()) track.stop();
    },
  };
}

/**
 * The player's exact output (after volume and mute) as a `MediaStream`: the far-end reference
 * a server-side echo canceller asks for (e.g. Azure Voice Live's `reference_source: "client"`).
 * Needs a started player.
 */
export function createReferenceStream(player: StreamPlayer): PlayerStream {
  const context = player.audioContext;
  const tap = player.analyser;
  if (!context || !tap || !('createMediaStreamDestination' in context)) {
    throw new VoxplayError('bad-option', 'createReferenceStream needs a started player on a real-time AudioContext: call `await player.start()` first');
  }
  const out = context.createMediaStreamDestination();
  tap.connect(out);
  return {
    stream: out.stream,
    close() {
      quietly(() => tap.disconnect(out));
      for (const track of out.stream.getTracks()) track.stop();
    },
  };
}
