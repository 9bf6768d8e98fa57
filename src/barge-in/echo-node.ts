import { VoxplayError } from '../errors.js';
import { ECHO_PROCESSOR_NAME, type EchoProcessorOptions } from '../echo/messages.js';
import type { StreamPlayer } from '../player/stream-player.js';

/** Where the echo worklet module is when nothing else is said: next to this module in dist/. */
function defaultEchoWorkletUrl(): URL {
  return new URL('./echo-processor.js', import.meta.url);
}

const loaded = new WeakMap<BaseAudioContext, Promise<void>>();

/**
 * The player's context and the echo node in it, with the player's output (after volume and
 * mute) already on the node's reference input. Loads the worklet module once per context.
 *
 * @throws VoxplayError `bad-option` before `player.start()` (there is no output to tap yet);
 *   `worklet-load` when the module cannot be loaded.
 */
export async function makeEchoNode(
  player: StreamPlayer,
  options: EchoProcessorOptions,
  workletUrl: string | URL | undefined,
): Promise<{ context: AudioContext; node: AudioWorkletNode; reference: AudioNode }> {
  const context = player.audioContext;
  const reference = player.analyser;
  if (!context || !reference || !('createMediaStreamSource' in context)) {
    throw new VoxplayError('bad-option', 'the barge-in detector needs a started player on a real-time AudioContext: call `await player.start()` first');
  }
  let loading = loaded.get(context);
  if (!loading) {
    const href = String(workletUrl ?? defaultEchoWorkletUrl());
    loading = context.audioWorklet.addModule(href).catch((cause: unknown) => {
      loaded.delete(context);
      throw new VoxplayError(
        'worklet-load',
        `could not load the echo worklet from ${href}: serve voxplay's dist/echo-processor.js next to barge-in.js, or pass \`workletUrl\``,
        { cause },
      );
    });
    loaded.set(context, loading);
  }
  await loading;
  const node = new AudioWorkletNode(context, ECHO_PROCESSOR_NAME, {
    numberOfInputs: 2,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    channelCount: 1,
    channelCountMode: 'explicit',
    channelInterpretation: 'speakers',
    processorOptions: options,
  });
  reference.connect(node, 0, 1);
  return { context, node, reference };
}
