/**
 * `voxplay/barge-in`: barge-in that never fires on the agent's own voice. An adaptive echo
 * canceller in an AudioWorklet takes the player's exact output as its reference; a
 * duck → confirm → reject policy turns what is left into `speechstart`, `bargein` and
 * `rejected`. Loaded only by apps that import it; nothing of it is in the core.
 *
 * @packageDocumentation
 */
export { createBargeInDetector, BargeInDetector } from './detector.js';
export type { BargeInOptions, BargeInReport, BargeInEvents } from './detector.js';
export { createEchoCancelledStream, createReferenceStream } from './streams.js';
export type { PlayerStream } from './streams.js';
export type { MicInput } from './mic-input.js';
export type { EchoMode } from '../echo/echo-detector.js';
export { RECOMMENDED_MIC_CONSTRAINTS } from './routing.js';
export { createMediaElementOutput } from './media-element-output.js';
export type { MediaElementOutput } from './media-element-output.js';
