import type { AudioFormat } from '../codecs/formats.js';
import type { ErrorCode, VoxplayError } from '../errors.js';
import { ByteStreamSource, isResponseLike, readerOf, type ByteStreamInput, type ReadOutcome } from '../sources/byte-stream.js';
import { audioOfContentType } from '../sources/content-type.js';
import type { AudioSource } from '../sources/source.js';
import type { PlayerEvents } from './types.js';
import type { Finish, Utterance } from './utterances.js';

/** Options of `playStream()`. */
export interface PlayStreamOptions {
  /** The utterance's id. Default: `stream-1`, `stream-2`, … */
  utteranceId?: string;
  /** The body's format. Default: from the response's `Content-Type`, else the player's `format`. */
  format?: AudioFormat;
  /** Its sample rate, for formats that do not carry one. Default: from the `Content-Type` (`;rate=`), else the player's `sampleRate`. */
  sampleRate?: number;
  /** Aborting it stops reading (the body is cancelled); what arrived plays out, and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** How `playStream()` ended. */
export interface PlayStreamResult {
  utteranceId: string;
  /** `'ended'`: it played to its last sample. `'interrupted'`: `interrupt()` cut it (and cancelled the body). */
  outcome: 'ended' | 'interrupted';
  /** Samples (at the utterance's rate) that were heard. */
  playedSamples: number;
  /** The same, in ms. */
  playedMs: number;
  /** Bytes read from the body. */
  bytes: number;
}

/**
 * What playStream needs of the player. This module is loaded on first use (an app that never
 * streams a body ships none of it), so it imports no runtime code the main bundle has: the
 * error class and the format table come through here.
 */
export interface StreamHost {
  /** Makes the player's typed error. */
  fail(code: ErrorCode, message: string, utteranceId: string, cause?: unknown): VoxplayError;
  /** Bytes per sample of `format`, or null for a compressed one. */
  bytesPerSample(format: AudioFormat): number | null;
  defaults: { format: AudioFormat; sampleRate: number };
  /** The ring's size in samples. */
  capacity: number;
  checkRate(rate: number): number;
  checkFormat(format: AudioFormat): AudioFormat;
  connect(source: AudioSource): () => void;
  on<K extends keyof PlayerEvents>(type: K, handler: (event: PlayerEvents[K]) => void): () => void;
  onRetire: Set<(utt: Utterance, how: Finish) => void>;
}

let streams = 0;

/** See `StreamPlayer.playStream`. */
export function playStream(host: StreamHost, input: ByteStreamInput, options: PlayStreamOptions = {}): Promise<PlayStreamResult> {
  const utteranceId = options.utteranceId ?? `stream-${++streams}`;
  const response = isResponseLike(input) ? input : null;
  /** Refuses the stream: its body is not read, so it is cancelled (the download stops). */
  const refuse = (error: VoxplayError): Promise<never> => {
    if (response?.body && !response.body.locked)
      void response.body
        .getReader()
        .cancel()
        .catch(() => undefined);
    return Promise.reject(error);
  };
  if (response && !response.ok) {
    return refuse(
      host.fail('network', `the stream for utterance "${utteranceId}" answered HTTP ${response.status} ${response.statusText} (${response.url})`, utteranceId),
    );
  }
  const contentType = response?.headers.get('content-type') ?? null;
  const typed = audioOfContentType(contentType);
  if (response && !options.format && !typed) {
    return refuse(
      host.fail(
        'unsupported-codec',
        `the response for utterance "${utteranceId}" is ${contentType ? `"${contentType}"` : 'of no Content-Type'}, not audio voxplay plays; pass { format } if it is`,
        utteranceId,
      ),
    );
  }
  let format: AudioFormat;
  let sampleRate: number;
  let reader: ReturnType<typeof readerOf>;
  try {
    format = host.checkFormat(options.format ?? typed?.format ?? host.defaults.format);
    if (format === 'opus')
      throw host.fail(
        'bad-option',
        `playStream cannot play raw Opus packets (a byte stream has no packet boundaries); an Ogg Opus body is 'ogg-opus'`,
        utteranceId,
      );
    sampleRate = host.checkRate(options.sampleRate ?? typed?.sampleRate ?? host.defaults.sampleRate);
    reader = readerOf(input);
  } catch (error) {
    return Promise.reject(error);
  }
  const signal = options.signal;
  if (signal?.aborted) {
    void reader.cancel(signal.reason).catch(() => undefined);
    return Promise.reject(signal.reason);
  }

  return new Promise<PlayStreamResult>((resolve, reject) => {
    let read: ReadOutcome | null = null;
    let settled = false;
    const cleanups: (() => void)[] = [];
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      for (const c of cleanups) c();
      fn();
    };
    /** The utterance is over: played out, or cut. A failed read rejects only now, after what was read has played. */
    const finish = (outcome: 'ended' | 'interrupted', playedSamples: number, playedMs: number): void =>
      settle(() => {
        if (read?.kind === 'failed') {
          const cause = read.error;
          const why = cause instanceof Error ? cause.message : String(cause);
          reject(host.fail('network', `the stream for utterance "${utteranceId}" failed after ${source.bytes} bytes: ${why}`, utteranceId, cause));
        } else resolve({ utteranceId, outcome, playedSamples, playedMs, bytes: source.bytes });
      });

    // Fixed-width audio: a quarter of the buffer per write. Compressed: 1 KiB, a small part
    // of the buffer at any bitrate a voice uses (32 kbps Opus: 0.25 s).
    const width = host.bytesPerSample(format);
    const maxPieceBytes = width === null ? 1024 : Math.max(width, Math.floor(host.capacity / 4) * width);
    const source = new ByteStreamSource(reader, utteranceId, { format, sampleRate }, maxPieceBytes, (outcome) => {
      read = outcome;
      if (outcome.kind === 'failed' && (outcome.error as { code?: unknown } | null)?.code === 'closed') settle(() => reject(outcome.error));
    });
    cleanups.push(
      host.on('ended', (e) => {
        if (e.utteranceId === utteranceId) finish('ended', e.playedSamples, e.playedMs);
      }),
      host.on('interrupted', (e) => {
        if (e.utteranceId === utteranceId) finish('interrupted', e.playedSamples, e.playedMs);
        else if (e.flushed.includes(utteranceId)) finish('interrupted', 0, 0);
      }),
      host.on('statechange', (e) => {
        if (e.state === 'closed') settle(() => reject(host.fail('closed', `the player closed while utterance "${utteranceId}" was streaming`, utteranceId)));
      }),
    );
    // An utterance that never made a sound (an empty body, audio it could not decode) has no `ended` event.
    const onRetire = (utt: Utterance, how: Finish): void => {
      if (utt.id === utteranceId && !utt.begun) finish(how, 0, 0);
    };
    host.onRetire.add(onRetire);
    cleanups.push(() => host.onRetire.delete(onRetire));
    if (signal) {
      const onAbort = (): void => {
        source.cancel();
        settle(() => reject(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }
    cleanups.push(host.connect(source));
  });
}
