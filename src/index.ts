/**
 * voxplay: gapless, barge-in-ready playback of streamed text-to-speech audio.
 *
 * @packageDocumentation
 */
export { StreamPlayer } from './stream-player';
export { VoxplayError } from './errors';
export type { ErrorCode } from './errors';
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
} from './player-types';
export type { PcmFormat } from './decode/pcm';
export type { SocketLike } from './socket-feed';
export { decodeFrame, encodeFrame, encodeControl, parseServerControl, parseClientControl, SequenceTracker, HEADER_BYTES, PROTOCOL_VERSION, FLAG_START, FLAG_END } from './protocol/index';
export type { Codec, Frame, FrameHeader, FrameError, FrameErrorCode, DecodeFrameResult, ServerControl, ClientControl, ControlError, SeqResult } from './protocol/index';
