/**
 * The contract between the barge-in detector (main thread) and its AudioWorklet.
 *
 * @packageDocumentation
 */
import type { BargeInEvent } from './barge-in-policy.js';
import type { EchoDetectorOptions, EchoFigures } from './echo-detector.js';

/** Name the echo processor registers under. */
export const ECHO_PROCESSOR_NAME = 'voxplay-echo';

/** Options the node is made with (its `processorOptions`). */
export type EchoProcessorOptions = Pick<EchoDetectorOptions, 'confirmMs' | 'sensitivity' | 'mode' | 'delayHintMs'>;

/** A policy event, with the context frame at the end of the quantum that produced it. */
export interface EchoEventMessage {
  type: 'event';
  event: BargeInEvent;
  frame: number;
}

/** The live figures, about four times a second. */
export interface EchoReportMessage extends EchoFigures {
  type: 'report';
}

/** Everything the processor posts. */
export type FromEcho = EchoEventMessage | EchoReportMessage;

/** Everything the processor takes: forget the current talker, or stop. */
export type ToEcho = { type: 'reset-policy' } | { type: 'close' };
