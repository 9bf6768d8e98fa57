/**
 * Type-level test of voxplay's public API, written the way an app uses it.
 *
 * - `npm run typecheck` compiles it against src/ (the import below).
 * - test/browser/consumer.test.ts copies it into a fresh app that installed the packed
 *   tarball, rewrites the import to `'voxplay'`, and compiles it under `strict` with
 *   moduleResolution `bundler` and `nodenext`, so the published .d.ts files are what is
 *   checked there.
 *
 * Nothing here runs: every function is only type-checked. `expectType<Equal<A, B>>()`
 * fails to compile unless A and B are the same type; `NotAny` fails for `any`; the
 * `@ts-expect-error` lines must stay errors.
 */
import {
  StreamPlayer,
  VoxplayError,
  WebSocketSource,
  type AudioFormat,
  type AudioSink,
  type AudioSource,
  type PlayStreamResult,
  type OutputLevel,
  type DroppedEvent,
  type DropReason,
  type ErrorCode,
  type HeardMark,
  type InterruptedEvent,
  type InterruptResult,
  type MarkEvent,
  type PlayerEvents,
  type PlayerMetrics,
  type PlayerState,
  type SocketLike,
  type StreamPlayerOptions,
  type UtteranceMetrics,
  type UtteranceStartEvent,
} from '../../src/index';
import {
  decodeFrame,
  encodeControl,
  encodeFrame,
  float32ToPcm16,
  parseServerControl,
  SequenceTracker,
  type ClientControl,
  type DecodeFrameResult,
  type ServerControl,
} from '../../src/protocol/index';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
type NotAny<T> = IsAny<T> extends true ? false : true;
function expectType<T extends true>(): T | void {}

export async function lifecycle(ws: WebSocket, context: AudioContext): Promise<void> {
  const options: StreamPlayerOptions = {
    sampleRate: 24000,
    format: 'pcm16',
    context,
    destination: context.destination,
    prebufferMs: 60,
    fadeMs: 5,
    maxBufferMs: 60_000,
    workletUrl: new URL('/static/playback-processor.js', location.href),
    transport: 'auto',
    metricsIntervalMs: 250,
    adaptivePrebuffer: { stepMs: 20, maxMs: 400 },
  };
  const player = new StreamPlayer(options);
  new StreamPlayer();
  new StreamPlayer({ workletSource: 'registerProcessor(…)', adaptivePrebuffer: false, format: 'f32' });
  new StreamPlayer({ format: 'mp3' });
  // @ts-expect-error: not a format
  new StreamPlayer({ format: 'aac' });
  // @ts-expect-error: not an option
  new StreamPlayer({ sampleRte: 24000 });

  const started: Promise<void> = player.start();
  await started;
  expectType<Equal<typeof player.state, PlayerState>>();
  expectType<Equal<typeof player.transport, 'shared' | 'message'>>();
  expectType<Equal<typeof player.audioContext, AudioContext | OfflineAudioContext | null>>();
  if (player.state === 'blocked') await player.resume();

  const accepted = player.push(new Uint8Array(480), { utteranceId: 'u1', sampleRate: 24000, format: 'pcm16' });
  expectType<Equal<typeof accepted, boolean>>();
  player.push(new ArrayBuffer(2));
  player.push(new Int16Array(240), { utteranceId: 'u1' });
  // @ts-expect-error: chunks are bytes, not strings
  player.push('AAAA');
  player.endUtterance('u1');
  player.mark('u1', 2400, 'hello');

  const cut = player.interrupt();
  expectType<Equal<typeof cut, InterruptResult>>();
  expectType<Equal<typeof cut.utteranceId, string | null>>();
  expectType<Equal<typeof cut.playedMs, number>>();
  expectType<Equal<typeof cut.lastMark, HeardMark | null>>();
  if (cut.lastMark) expectType<Equal<typeof cut.lastMark, HeardMark>>();

  // A DOM WebSocket is a SocketLike.
  const socket: SocketLike = ws;
  const detach = player.attach(socket, { framing: 'raw' });
  expectType<Equal<typeof detach, () => void>>();
  player.attach(ws);
  // @ts-expect-error: framing is 'voxplay' | 'raw'
  player.attach(ws, { framing: 'json' });

  const metrics = player.getMetrics();
  expectType<Equal<typeof metrics, PlayerMetrics>>();
  expectType<Equal<typeof metrics.current, UtteranceMetrics | null>>();
  expectType<Equal<typeof metrics.samples.played, number>>();
  expectType<Equal<typeof metrics.lowWaterMs, number | null>>();
  expectType<NotAny<(typeof metrics.recent)[number]>>();

  await player.close();
}

export function events(player: StreamPlayer): void {
  player.on('statechange', (e) => {
    expectType<Equal<typeof e, { state: PlayerState; previous: PlayerState }>>();
  });
  player.on('playing', (e) => {
    expectType<Equal<typeof e.timeToFirstAudioMs, number | null>>();
    expectType<Equal<typeof e.audibleAt, number>>();
  });
  player.on('ended', (e) => {
    expectType<Equal<typeof e.playedSamples, number>>();
  });
  player.on('underrun', (e) => {
    expectType<Equal<typeof e.phase, 'start' | 'end'>>();
  });
  player.on('interrupted', (e) => {
    expectType<Equal<typeof e, InterruptedEvent>>();
    expectType<Equal<typeof e.lastMark, HeardMark | null>>();
    expectType<Equal<typeof e.flushed, string[]>>();
    const truncate = { type: 'conversation.item.truncate', item_id: e.utteranceId, content_index: 0, audio_end_ms: Math.floor(e.playedMs) };
    expectType<Equal<typeof truncate.item_id, string | null>>();
  });
  player.on('mark', (m) => {
    expectType<Equal<typeof m, MarkEvent>>();
    expectType<Equal<typeof m.name, string>>();
    expectType<Equal<typeof m.sampleOffset, number>>();
    expectType<Equal<typeof m.offsetMs, number>>();
    expectType<Equal<typeof m.audibleAt, number>>();
    expectType<Equal<typeof m.contextTime, number>>();
    expectType<Equal<typeof m.utteranceId, string>>();
  });
  player.on('metrics', (m) => {
    expectType<Equal<typeof m, PlayerMetrics>>();
  });
  player.on('error', (e) => {
    expectType<Equal<typeof e, VoxplayError>>();
    expectType<Equal<typeof e.code, ErrorCode>>();
    expectType<Equal<typeof e.utteranceId, string | undefined>>();
    if (e.code === 'buffer-full') return;
    // @ts-expect-error: not an error code
    if (e.code === 'full') return;
  });
  player.on('disconnected', (e) => {
    expectType<Equal<typeof e, { code: number; reason: string; utteranceId: string | null }>>();
  });
  player.on('dropped', (e) => {
    expectType<Equal<typeof e, DroppedEvent>>();
    expectType<Equal<typeof e.reason, DropReason>>();
    expectType<Equal<typeof e.samples, number>>();
    if (e.reason === 'stale') return;
    // @ts-expect-error: not a drop reason
    if (e.reason === 'late') return;
  });
  player.on('utterancestart', (e) => {
    expectType<Equal<typeof e, UtteranceStartEvent>>();
    expectType<Equal<typeof e.format, AudioFormat>>();
    expectType<Equal<typeof e.text, string | null>>();
    expectType<Equal<typeof e.meta, Record<string, unknown> | null>>();
  });
  player.on('drain', (e) => {
    expectType<Equal<typeof e.freeSamples, number>>();
  });
  const onMark = (m: PlayerEvents['mark']): void => void m;
  const unsubscribe = player.on('mark', onMark);
  expectType<Equal<typeof unsubscribe, () => void>>();
  unsubscribe();
  player.off('mark', onMark);
  const cancel = player.once('ended', (e) => {
    expectType<Equal<typeof e.utteranceId, string>>();
  });
  expectType<Equal<typeof cancel, () => void>>();
  // @ts-expect-error: the player's state for a system interruption is 'preempted'
  const wrong: PlayerState = 'interrupted';
  void wrong;
  // @ts-expect-error: no such event
  player.on('finished', () => {});
  // @ts-expect-error: a mark handler does not get an InterruptedEvent
  player.on('mark', (e: InterruptedEvent) => void e);
}

export async function sources(player: StreamPlayer, ws: WebSocket): Promise<void> {
  // A source an app writes: it waits when the buffer is full instead of retrying blindly.
  const fromQueue: AudioSource = {
    overflow: 'wait',
    connect(sink: AudioSink) {
      let stopped = false;
      void (async () => {
        for (const chunk of [new Uint8Array(480), new Uint8Array(480)]) {
          while (!stopped && !sink.write('u2', chunk, { sampleRate: 24000, format: 'pcm16' })) await sink.whenWritable(240);
        }
        sink.endUtterance('u2');
      })();
      return () => {
        stopped = true;
      };
    },
  };
  const disconnect = player.connect(fromQueue);
  expectType<Equal<typeof disconnect, () => void>>();
  player.connect(new WebSocketSource(ws, 'raw'));
  // @ts-expect-error: the overflow policy is 'wait' | 'drop'
  player.connect({ overflow: 'block', connect: () => () => undefined });
  const writable: Promise<void> = player.whenWritable(4800);
  player.volume = 0.5;
  player.muted = !player.muted;
  const level: OutputLevel = player.getOutputLevel();
  void (level.rmsDb satisfies number);
  // @ts-expect-error: volume is a number
  player.volume = 'loud';
  const streamed: Promise<PlayStreamResult> = player.playStream(new Response(new Uint8Array(4)), { format: 'mp3', signal: new AbortController().signal });
  void player.playStream(new ReadableStream<Uint8Array>());
  void player.playStream(
    (async function* () {
      yield new Uint8Array(2);
    })(),
    { utteranceId: 'gen', sampleRate: 16000 },
  );
  // @ts-expect-error: a string is not a byte stream
  void player.playStream('https://example.com/speech.mp3');
  void streamed.then((r) => r.outcome satisfies 'ended' | 'interrupted');
  await writable;
  disconnect();
}

export function errors(error: unknown): ErrorCode | null {
  if (error instanceof VoxplayError) {
    expectType<Equal<typeof error.code, ErrorCode>>();
    return error.code;
  }
  return null;
}

export function protocol(bytes: Uint8Array, text: string): void {
  const frame = encodeFrame({ codec: 'pcm16', sampleRate: 24000, utteranceId: 7, seq: 0, start: true, end: false }, bytes);
  expectType<Equal<typeof frame, Uint8Array>>();
  const decoded = decodeFrame(frame);
  expectType<Equal<typeof decoded, DecodeFrameResult>>();
  if (decoded.ok) expectType<Equal<typeof decoded.frame.header.utteranceId, number>>();
  else expectType<Equal<typeof decoded.error.message, string>>();
  const parsed = parseServerControl(text);
  if (parsed.ok) expectType<Equal<typeof parsed.message, ServerControl>>();
  const interrupt: ClientControl = { type: 'interrupt', utteranceId: null };
  expectType<Equal<ReturnType<typeof encodeControl>, string>>();
  encodeControl(interrupt);
  const seq = new SequenceTracker().check('7', 0);
  expectType<NotAny<typeof seq>>();
  expectType<Equal<ReturnType<typeof float32ToPcm16>, Uint8Array>>();
}
