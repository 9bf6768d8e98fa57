import type { AudioDescription, AudioSink, AudioSource } from './source.js';

/** What `playStream()` uses of a `ReadableStream<Uint8Array>` (any real one is one). */
export interface ByteStreamLike {
  /** Whether a reader already holds the stream (then it cannot be read here). */
  readonly locked: boolean;
  /** A reader of the stream's chunks. */
  getReader(): {
    /** The next chunk, or `done` at the end. */
    read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
    /** Stops the stream (a fetch stops downloading). */
    cancel(reason?: unknown): Promise<void>;
  };
}

/** What `playStream()` uses of a fetch `Response` (any real one is one). */
export interface ResponseLike {
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  /** The HTTP status. */
  readonly status: number;
  /** The HTTP status text. */
  readonly statusText: string;
  /** The URL, for error messages. */
  readonly url: string;
  /** The response headers (`Content-Type` names the format). */
  readonly headers: {
    /** A header's value, or null. */
    get(name: string): string | null;
  };
  /** The body, or null when there is none. */
  readonly body: ByteStreamLike | null;
}

/** A body read chunk by chunk: a fetch `Response`'s, a `ReadableStream`, or an async iterable of byte chunks. */
export type ByteStreamInput = ResponseLike | ByteStreamLike | AsyncIterable<Uint8Array, unknown, undefined>;

/** Whether `input` is a fetch Response (or shaped like one). */
export function isResponseLike(input: ByteStreamInput): input is ResponseLike {
  return typeof (input as ResponseLike).headers?.get === 'function' && 'body' in input && typeof (input as ResponseLike).ok === 'boolean';
}

/** The one way the source reads any {@link ByteStreamInput}. */
interface ChunkReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
  /** Stops the body: a fetch stops downloading. */
  cancel(reason?: unknown): Promise<void>;
}

/** A reader for `input`; throws a TypeError for anything else (or a body already read). */
export function readerOf(input: ByteStreamInput): ChunkReader {
  const stream = isResponseLike(input) ? input.body : input;
  if (stream === null) return { read: () => Promise.resolve({ done: true }), cancel: () => Promise.resolve() };
  if (typeof (stream as ByteStreamLike).getReader === 'function') {
    const body = stream as ByteStreamLike;
    if (body.locked) throw new TypeError('voxplay: playStream() was given a body that is already being read');
    const reader = body.getReader();
    return { read: () => reader.read(), cancel: (reason) => reader.cancel(reason) };
  }
  if (typeof (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    const iterator = (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    return {
      read: async () => {
        const step = await iterator.next();
        return step.done ? { done: true } : { done: false, value: step.value };
      },
      cancel: async () => {
        await iterator.return?.();
      },
    };
  }
  throw new TypeError('voxplay: playStream() takes a fetch Response, a ReadableStream of bytes or an async iterable of byte chunks');
}

/** How reading ended: the body's end, a read that failed, or a cancel (interrupt, abort, disconnect). */
export type ReadOutcome = { kind: 'complete' } | { kind: 'failed'; error: unknown } | { kind: 'cancelled' };

/**
 * One utterance read from a byte stream (an HTTP body, a stream of chunks): every chunk is
 * written as it comes; a chunk that does not fit is held (nothing more is read, so the
 * server is held back by TCP) until the player has room. The utterance ends with the body;
 * a read that fails ends it too, so what arrived plays out. `interrupt()` of its utterance
 * cancels the body (a fetch stops downloading).
 */
export class ByteStreamSource implements AudioSource {
  readonly overflow = 'wait' as const;
  /** Bytes read from the body so far. */
  bytes = 0;
  private readonly reader: ChunkReader;
  private readonly utteranceId: string;
  private readonly description: AudioDescription;
  private readonly onDone: (outcome: ReadOutcome) => void;
  private readonly maxPieceBytes: number;
  private stopped = false;

  /**
   * @param maxPieceBytes - the most bytes written at once: small enough that a piece always
   *   fits in an empty buffer (else it would be refused for ever).
   */
  constructor(reader: ChunkReader, utteranceId: string, description: AudioDescription, maxPieceBytes: number, onDone: (outcome: ReadOutcome) => void) {
    this.reader = reader;
    this.maxPieceBytes = Math.max(1, Math.floor(maxPieceBytes));
    this.utteranceId = utteranceId;
    this.description = description;
    this.onDone = onDone;
  }

  connect(sink: AudioSink): () => void {
    void this.pump(sink);
    return () => this.cancel();
  }

  interrupted(utteranceIds: readonly (string | null)[]): void {
    if (utteranceIds.includes(this.utteranceId)) this.cancel();
  }

  /** Stops reading and cancels the body; what was written stays queued. */
  cancel(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reader.cancel().catch(() => undefined);
    this.onDone({ kind: 'cancelled' });
  }

  private async pump(sink: AudioSink): Promise<void> {
    const id = this.utteranceId;
    sink.startUtterance(id, this.description);
    try {
      for (;;) {
        const { done, value } = await this.reader.read();
        if (this.stopped) return;
        if (done) break;
        if (!(value instanceof Uint8Array)) throw new TypeError(`voxplay: a stream chunk must be a Uint8Array, got ${Object.prototype.toString.call(value)}`);
        if (value.length === 0) continue;
        this.bytes += value.length;
        // A read may be megabytes (a browser's network buffer): written in pieces that fit.
        for (let at = 0; at < value.length; at += this.maxPieceBytes) {
          const piece = value.subarray(at, at + this.maxPieceBytes);
          while (!sink.write(id, piece, this.description)) {
            await sink.whenWritable(); // the refused piece's size
            if (this.stopped) return;
          }
        }
      }
      this.stopped = true;
      this.onDone({ kind: 'complete' });
      sink.endUtterance(id);
    } catch (error) {
      if (this.stopped) return;
      this.stopped = true;
      // The outcome first: an utterance with nothing to play (no byte read, or one odd byte)
      // retires inside endUtterance(), and its owner must know by then that the read failed
      // (else a body that broke off before its first byte resolved as 'ended').
      this.onDone({ kind: 'failed', error });
      sink.endUtterance(id); // what arrived plays out
    }
  }
}
