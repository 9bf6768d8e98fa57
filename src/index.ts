/**
 * voxplay: gapless, barge-in-ready playback of streamed text-to-speech audio.
 *
 * @packageDocumentation
 */
export { StreamPlayer } from './stream-player.js';
export { VoxplayError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type {
  AttachOptions,
  HeardMark,
  InterruptedEvent,
  MarkEvent,
  InterruptResult,
  PlayerEvents,
  PlayerMetrics,
  PlayerState,
  PushOptions,
  SampleCounts,
  StreamPlayerOptions,
  UtteranceMetrics,
} from './player-types.js';
export type { PcmFormat } from './decode/pcm.js';
export type { SocketLike } from './socket-feed.js';
export {
  decodeFrame,
  encodeFrame,
  encodeControl,
  parseServerControl,
  parseClientControl,
  SequenceTracker,
  HEADER_BYTES,
  PROTOCOL_VERSION,
  FLAG_START,
  FLAG_END,
  MAX_FRAME_BYTES,
  MAX_CONTROL_CHARS,
  MAX_TRACKED_UTTERANCES,
  MIN_SAMPLE_RATE,
  MAX_SAMPLE_RATE,
} from './protocol/index.js';
export type {
  Codec,
  Frame,
  FrameHeader,
  FrameError,
  FrameErrorCode,
  DecodeFrameResult,
  ServerControl,
  ClientControl,
  ControlError,
  ControlErrorCode,
  ParseControlResult,
  SeqResult,
} from './protocol/index.js';
