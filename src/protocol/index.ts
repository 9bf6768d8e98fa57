/**
 * The voxplay wire protocol (the `voxplay/protocol` entry), shared by the browser client
 * and servers: binary audio frames, JSON control messages, sequence checking, and PCM
 * encoders for a server's audio. Pure code with no DOM, Web Audio or Node dependencies.
 * Spec: docs/protocol.md.
 *
 * @packageDocumentation
 */

export * from './frame.js';
export * from './control.js';
export * from './sequence.js';
export * from './pcm-encode.js';
export * from './g711-encode.js';
export { FORMATS, type AudioFormat } from '../codecs/formats.js';
