/**
 * The voxplay wire protocol, shared by the browser client and the mock
 * server: binary audio frames, JSON control messages and sequence checking.
 * Pure code with no DOM, Web Audio or Node dependencies. Spec: docs/protocol.md.
 *
 * @packageDocumentation
 */

export * from './frame.js';
export * from './control.js';
export * from './sequence.js';
