/**
 * The worklet bundle's entry (dist/playback-processor.js): registers the processor and
 * nothing else, so the class itself can be imported by tests without side effects.
 */
import { PROCESSOR_NAME } from './messages.js';
import { PlaybackProcessor } from './processor.js';

registerProcessor(PROCESSOR_NAME, PlaybackProcessor);
