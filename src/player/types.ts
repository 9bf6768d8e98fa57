import type { AudioFormat } from '../codecs/formats.js';
import type { VoxplayError } from '../errors.js';

/** Options of {@link StreamPlayer}. Every field is optional; defaults suit 24 kHz PCM16 TTS. */
export interface StreamPlayerOptions {
  /** Sample rate of the incoming audio, 8000–48000 Hz. Framed audio carries its own rate per utterance. Default 24000. */
  sampleRate?: number;
  /** Encoding of raw chunks: `'pcm16'` (signed 16-bit) or `'f32'`, little-endian, mono. Default `'pcm16'`. */
  format?: AudioFormat;
  /**
   * The app's existing native AudioContext. Without it the player makes (and later closes)
   * its own. An OfflineAudioContext works too (rendering faster than real time, for tests
   * and benchmarks); push audio before `startRendering()`.
   */
  context?: AudioContext | OfflineAudioContext;
  /** Where the player's output goes. Default: `context.destination`. */
  destination?: AudioNode;
  /** Audio buffered before an utterance starts sounding, in ms. Default 60. */
  prebufferMs?: number;
  /** Fade length on interrupt and underrun edges, in ms (0–50). Default 5. */
  fadeMs?: number;
  /**
   * Playback speed, 0.5–2, pitch kept (see {@link StreamPlayer.speed}). Default 1: the audio
   * plays bit for bit as it arrived.
   */
  speed?: number;
  /** Memory bound: audio the ring holds at most, in ms at `sampleRate`. Preallocated. Default 60000. */
  maxBufferMs?: number;
  /**
   * URL of the worklet module (`playback-processor.js`). Default: the file next to the
   * library module, resolved with `new URL(..., import.meta.url)`. Set it when a strict
   * Content-Security-Policy or a bundler moves the file.
   */
  workletUrl?: string | URL;
  /**
   * Opt-in: the worklet's source text, loaded through a `blob:` URL instead of
   * `workletUrl`. Needs `blob:` allowed by the page's CSP; useful when the module file
   * cannot be served.
   */
  workletSource?: string;
  /** `'shared'` (SharedArrayBuffer ring, needs `crossOriginIsolated`), `'message'` (postMessage) or `'auto'`. Default `'auto'`. */
  transport?: 'auto' | 'shared' | 'message';
  /** Interval of `metrics` events in ms; 0 turns them off. Default 250. */
  metricsIntervalMs?: number;
  /**
   * Raise the prebuffer after underruns: ms added per underrun and the cap. An underrun
   * raises it for the rest of the utterance that ran dry (it waits for that much before
   * resuming) and for later utterances. Default `{ stepMs: 20, maxMs: 400 }`; `false` keeps it fixed.
   */
  adaptivePrebuffer?: { stepMs: number; maxMs: number } | false;
  /**
   * Output device (a `deviceId` of kind `audiooutput` from `enumerateDevices()`), applied at
   * `start()`; see {@link StreamPlayer.setSinkId}. If the browser refuses it, an `error`
   * event (`unsupported` or `output-device`) says so and the default device plays.
   * Default `''`: the system default.
   */
  sinkId?: string;
  /**
   * iOS audio session. `'playback'` sets `navigator.audioSession.type = 'playback'` at
   * `start()` where the browser has it (Safari 16.4+), so speech plays even with the ringer
   * switch on silent, and puts back the previous type at `close()`. `'auto'` leaves the
   * page's session alone: Web Audio then follows the silent switch, and Safari picks
   * `play-and-record` by itself while the microphone is in use, which a voice agent needs.
   * Default `'auto'`.
   */
  audioSession?: 'auto' | 'playback';
}

/**
 * Lifecycle of the player.
 * - `new`: constructed, `start()` not called yet.
 * - `starting`: loading the worklet.
 * - `running`: the context runs; audio plays as it arrives.
 * - `blocked`: the browser wants a user gesture before audio may start; call `resume()` from one. Pushed audio is kept.
 * - `suspended`: the context was suspended (by the app or the browser). Pushed audio is kept.
 * - `preempted`: the system took the audio device (Safari's context state `interrupted`: a
 *   phone call, another app's audio, a locked screen). Pushed audio is kept. Not to be
 *   confused with the `interrupted` event, which is a barge-in.
 * - `stalled`: the context says `running` but its clock has stood still for 1.5 s, so
 *   nothing plays (an `error` with code `context` says so too). A context the player made
 *   itself gets one `suspend()` + `resume()` to restart it, and if its clock still stands
 *   still 1.5 s later, the player replaces it with a new context: the worklet hands over
 *   what is buffered, where each utterance stands, the marks, pause and volume, and playback
 *   continues from the first unheard sample (with a `fadeMs` fade-in). An app's context is
 *   left to the app (recreate it). Back to `running` as soon as a clock moves. Pushed audio
 *   is kept.
 * - `paused`: the app called `pause()` on a running player: the output faded out and holds
 *   its position; audio keeps arriving and buffering. `resume()` fades it back in.
 * - `closed`: `close()` ran, or the context closed.
 */
export type PlayerState = 'new' | 'starting' | 'running' | 'paused' | 'blocked' | 'suspended' | 'preempted' | 'stalled' | 'closed';

/** A mark that reached the speakers. */
export interface HeardMark {
  /** The mark's name or text (e.g. the word). */
  name: string;
  /** Its sample offset in the utterance, at the utterance's rate. */
  sampleOffset: number;
  /** The same offset in ms. */
  offsetMs: number;
}

/** What `interrupt()` cut. */
export interface InterruptResult {
  /** The utterance that was sounding (or about to), or null when nothing was queued. */
  utteranceId: string | null;
  /** Audio of it that was heard, in ms. */
  playedMs: number;
  /** Audio of it that was received but will never be heard, in ms. */
  droppedMs: number;
  /** The last mark of it the listener heard (truncate the transcript after it), or null. */
  lastMark: HeardMark | null;
}

/** The `interrupted` event: exact, sample-counted figures reported by the audio thread. */
export interface InterruptedEvent extends InterruptResult {
  /** Samples (at the utterance's rate) of the utterance that were heard, counting the fade. */
  playedSamples: number;
  /** Samples received for it and dropped from the buffer. */
  droppedSamples: number;
  /** Samples of it that arrived after the interrupt and were discarded so far. */
  staleSamples: number;
  /** The utterance's sample rate. */
  sampleRate: number;
  /** Length of the fade to silence, in ms. */
  fadeMs: number;
  /** `performance.now()` time at which the output falls silent at the speakers. */
  silentAt: number;
  /** Other utterances that were queued and dropped without sounding. */
  flushed: string[];
}

/** The `mark` event: a marked sample reached the speakers. */
export interface MarkEvent extends HeardMark {
  utteranceId: string;
  /** `performance.now()` time at which the sample is heard (the event fires then). */
  audibleAt: number;
  /** The sample's position on the context's clock, seconds (`AudioContext.currentTime` units). */
  contextTime: number;
  /**
   * Present (`true`) when the mark reached the audio thread after its sample had played and
   * the thread no longer knew when (rare: long after, or before the player replaced its
   * context). `audibleAt` and `contextTime` then name the frame at which the thread reported
   * it: an upper bound, not when it was heard. A mark that arrives late within that memory has
   * its exact times instead (and fires at once if they are past).
   */
  passed?: true;
}

/** Per-utterance figures. Times are ms; audio amounts are ms at the utterance's rate. */
export interface UtteranceMetrics {
  utteranceId: string;
  sampleRate: number;
  state: 'buffering' | 'playing' | 'ended' | 'interrupted';
  /** First frame received → first sample at the speakers (audio clock, including output latency). */
  timeToFirstAudioMs: number | null;
  receivedMs: number;
  playedMs: number;
  bufferedMs: number;
  droppedMs: number;
  staleMs: number;
  underruns: number;
  underrunMs: number;
  /** Share of chunk boundaries whose next chunk had arrived before playback reached it (0–1), or null with < 2 chunks. */
  preloadRate: number | null;
  /** Audio received per wall-clock time, from first to last frame (1 = real time), or null with one chunk. */
  arrivalSpeed: number | null;
  /** Frames missing, duplicated or reordered (framed wire protocol only). */
  sequenceGaps: number;
}

/** Exact sample accounting: `received = played + buffered + dropped`, where `dropped` includes `stale` and `overflow`. */
export interface SampleCounts {
  /** Samples accepted into the player (pushed and fitting, or arriving on the socket). */
  received: number;
  /** Samples heard (including fade samples). */
  played: number;
  /** Samples in the ring, not yet played. */
  buffered: number;
  /** Samples that will never play: flushed by `interrupt()`, plus `stale` and `overflow`. */
  dropped: number;
  /** Samples discarded on arrival: late for an interrupted or ended utterance, or duplicated (part of `received` and of `dropped`). */
  stale: number;
  /** Socket audio that did not fit in the ring (`buffer-full`), discarded (counted in `received`). */
  overflow: number;
  /** NaN / ±Infinity samples replaced by silence (included in `received`). */
  nonFinite: number;
}

/** How the audio clock placed an event (see {@link PlayerMetrics.clockSource}). */
export type ClockSource = 'timestamp' | 'currentTime' | 'render';

/** A snapshot of the player's figures (`getMetrics()` and the `metrics` event). */
export interface PlayerMetrics {
  state: PlayerState;
  /** Playback speed (0.5–2, pitch kept). Every other figure stays in source time: `playedMs` is audio of the stream, not wall time. */
  speed: number;
  transport: 'shared' | 'message';
  contextSampleRate: number;
  /** The context's `baseLatency + outputLatency`, ms (`baseLatency` only in Firefox, where `outputLatency` is not read). */
  outputLatencyMs: number;
  /**
   * What placed the last event on the audio clock: the context's output `timestamp`,
   * `currentTime` plus latency (Firefox always; engines whose stamp is implausible), or
   * `render` (an OfflineAudioContext: events at once). null before the first event.
   */
  clockSource: ClockSource | null;
  /** Audio buffered now, ms. */
  bufferedMs: number;
  /** Lowest buffered level seen while an utterance was playing, ms (null before any). */
  lowWaterMs: number | null;
  /** Ring capacity, ms at the configured rate. */
  capacityMs: number;
  /** Prebuffer the next utterance will use (grows after underruns), ms. */
  prebufferMs: number;
  underruns: number;
  underrunMs: number;
  playedMs: number;
  droppedMs: number;
  staleMs: number;
  receivedMs: number;
  /** Over all utterances (0–1), or null before any boundary. */
  preloadRate: number | null;
  sequenceGaps: number;
  /** Error events emitted so far. */
  errors: number;
  samples: SampleCounts;
  /** The utterance sounding or buffering now. */
  current: UtteranceMetrics | null;
  /** The most recent utterances, oldest first (at most 32). */
  recent: UtteranceMetrics[];
}

/**
 * Why audio was discarded without playing, in the normal course of things (none of these
 * is an error of the app's):
 * - `stale`: it arrived for an utterance that `interrupt()` cut (expected after every barge-in).
 * - `after-end`: it arrived for an utterance already ended.
 * - `duplicate`: the server sent a frame twice or out of order (sequence numbers).
 * - `gap`: frames of an utterance never arrived (sequence numbers); `samples` is 0, as
 *   nothing of them was received.
 * - `overflow`: a source that cannot wait (a WebSocket) delivered audio while the buffer
 *   was full (`maxBufferMs`).
 */
export type DropReason = 'stale' | 'after-end' | 'duplicate' | 'gap' | 'overflow';

/** The `dropped` event: audio received and discarded, counted in `getMetrics().samples.dropped`. */
export interface DroppedEvent {
  reason: DropReason;
  utteranceId: string;
  /** Samples discarded, at the utterance's rate (received and dropped in the accounting). */
  samples: number;
  /** What happened, for logs. */
  message: string;
}

/** The `utterancestart` event: an utterance was announced or its first audio arrived. */
export interface UtteranceStartEvent {
  utteranceId: string;
  /** Its sample rate as declared (a codec with its own rate may change it when its first audio decodes). */
  sampleRate: number;
  format: AudioFormat;
  /** The text, when the server's `start` control message carried one. */
  text: string | null;
  /** Any other metadata of the server's `start` message (`meta`), or null. */
  meta: Record<string, unknown> | null;
}

/** Typed events of {@link StreamPlayer}; subscribe with `on(name, handler)`. */
export type PlayerEvents = {
  statechange: { state: PlayerState; previous: PlayerState };
  /** `player.speed` changed; the audio thread applies it within one pitch period. */
  speedchange: { speed: number; previous: number };
  /** An utterance starts arriving (announced by the server, or its first pushed chunk). */
  utterancestart: UtteranceStartEvent;
  /** First sample of an utterance reaches the speakers (fired on the audio clock). */
  playing: { utteranceId: string; audibleAt: number; timeToFirstAudioMs: number | null };
  /** Last sample of an utterance reached the speakers; fires exactly once per utterance that played out. */
  ended: { utteranceId: string; playedMs: number; playedSamples: number; audibleAt: number };
  /** Output went silent because data ran out (`phase: 'start'`), or resumed (`'end'`, with `silentMs`). */
  underrun: { utteranceId: string; phase: 'start' | 'end'; silentMs: number; count: number };
  interrupted: InterruptedEvent;
  /** A mark's sample reached the speakers (fired on the audio clock; never for audio cut by `interrupt()`). */
  mark: MarkEvent;
  metrics: PlayerMetrics;
  /** Audio discarded in the normal course of things (late after a barge-in, duplicates, overflow of a socket); see {@link DropReason}. */
  dropped: DroppedEvent;
  /** After `push()` returned false (or a source waited): the buffer has room again. */
  drain: { freeSamples: number };
  /** Something is wrong: bad input, a misconfiguration, a failed context. The player keeps working. */
  error: VoxplayError;
  /** The attached socket closed; `utteranceId` names an utterance cut short by it. */
  disconnected: { code: number; reason: string; utteranceId: string | null };
};

/** What `getOutputLevel()` returns: the level of what reached the speakers over the latest report's window (about 20 ms). */
export interface OutputLevel {
  /** Root-mean-square level, dBFS (-Infinity for digital silence). */
  rmsDb: number;
  /** Peak level (largest |sample|), dBFS. */
  peakDb: number;
  /** The same two, linear (0–1 for a full-scale signal). */
  rms: number;
  peak: number;
  /** Frames the window covered. */
  frames: number;
  /** The context time (seconds, `AudioContext.currentTime` units) at the end of the window. */
  contextTime: number;
}

/** Options of a single push. */
export interface PushOptions {
  /** Which utterance the audio belongs to. A new id starts a new utterance (ending the previous one). Default `'default'`. */
  utteranceId?: string;
  /** Sample rate of this utterance, if it differs from the player's `sampleRate`. */
  sampleRate?: number;
  /** Encoding of this utterance, if it differs from the player's `format`. */
  format?: AudioFormat;
}

/** Options of `attach()`. */
export interface AttachOptions {
  /** `'voxplay'`: binary frames carry the voxplay header. `'raw'`: headerless PCM in the player's format and rate. Default `'voxplay'`. */
  framing?: 'voxplay' | 'raw';
}
