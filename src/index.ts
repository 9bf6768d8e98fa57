/**
 * voxplay: gapless, barge-in-ready playback of streamed text-to-speech audio.
 *
 * This entry holds what a page needs. The wire protocol's encoders and parsers, for
 * servers and tools, are the `voxplay/protocol` entry.
 *
 * @packageDocumentation
 */
export { StreamPlayer } from './player/stream-player.js';
export type { PlayerEventHandler } from './player/stream-player.js';
export type { GestureTarget } from './player/gesture-unlock.js';
export type { OutputRoute } from './player/output-device.js';
export type { PlayerSnapshot } from './player/store.js';
export type { PlayerRecorder } from './player/recorder.js';
export type { Recording, RecordedUtterance, RecordOptions } from './player/recording.js';
export { VoxplayError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type {
  AttachOptions,
  ClockSource,
  DroppedEvent,
  DropReason,
  HeardMark,
  InterruptedEvent,
  MarkEvent,
  OutputLevel,
  InterruptResult,
  PlayerEvents,
  PlayerMetrics,
  PlayerState,
  PushOptions,
  SampleCounts,
  StreamPlayerOptions,
  UtteranceMetrics,
  UtteranceStartEvent,
} from './player/types.js';
export type { AudioFormat } from './codecs/formats.js';
export { WebSocketSource } from './sources/websocket.js';
export type { ByteStreamInput, ByteStreamLike, ResponseLike } from './sources/byte-stream.js';
export type { PlayStreamOptions, PlayStreamResult } from './player/play-stream.js';

export type { Framing, SocketLike } from './sources/websocket.js';
export type { AudioDescription, AudioSink, AudioSource, OverflowPolicy, UtteranceAnnouncement } from './sources/source.js';
