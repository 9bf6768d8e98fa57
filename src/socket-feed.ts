import type { PcmFormat } from './decode/pcm.js';
import type { ErrorCode } from './errors.js';
import { decodeFrame, encodeControl, parseServerControl, SequenceTracker } from './protocol/index.js';

/**
 * The parts of a WebSocket the player uses, so a browser `WebSocket` or any look-alike
 * (a reconnecting wrapper, a test double) can be attached.
 */
export interface SocketLike {
  /** Set to `'arraybuffer'` by `attach()`, so binary frames arrive as ArrayBuffers. */
  binaryType: string;
  /** 1 (OPEN) when `send` may be called. */
  readonly readyState: number;
  /** Sends a text frame (the player sends `interrupt` control messages). */
  send(data: string): void;
  /** Subscribes to incoming frames: `data` is a string (control) or an ArrayBuffer (audio). */
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** Subscribes to the socket closing. */
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  /** Unsubscribes a message listener (on detach). */
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** Unsubscribes a close listener (on detach). */
  removeEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

/** What the feed hands to the player. */
export interface FeedSink {
  /** Audio bytes of an utterance; rate and format are given when the frame names them. */
  audio(id: string, bytes: Uint8Array, rate: number | undefined, format: PcmFormat | undefined): void;
  startUtterance(id: string, rate: number | undefined, format: PcmFormat | undefined): void;
  endUtterance(id: string): void;
  mark(id: string, sampleOffset: number, name: string): void;
  /** Audio of `id` that was skipped because its frame came out of order. */
  sequenceGap(id: string, message: string, discardedBytes: number): void;
  error(code: ErrorCode, message: string): void;
  closed(code: number, reason: string): void;
  /** Id for raw audio when no `start` control message named one. */
  rawUtteranceId(): string;
}

const OPEN = 1;

/**
 * Reads a WebSocket for the player: binary frames are audio (voxplay-framed or raw PCM),
 * text frames are JSON control messages. Malformed input becomes an error for the sink;
 * nothing thrown here escapes into the socket's event dispatch.
 */
export class SocketFeed {
  private readonly socket: SocketLike;
  private readonly framing: 'voxplay' | 'raw';
  private readonly sink: FeedSink;
  private readonly sequence = new SequenceTracker();
  private rawId: string | null = null;
  private readonly onMessage = (event: { data: unknown }): void => this.receive(event.data);
  private readonly onClose = (event: { code: number; reason: string }): void => this.sink.closed(event.code, event.reason);

  constructor(socket: SocketLike, framing: 'voxplay' | 'raw', sink: FeedSink) {
    if (framing !== 'voxplay' && framing !== 'raw') throw new TypeError(`voxplay: attach framing must be "voxplay" or "raw", got ${JSON.stringify(framing)}`);
    this.socket = socket;
    this.framing = framing;
    this.sink = sink;
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('message', this.onMessage);
    socket.addEventListener('close', this.onClose);
  }

  /** Stops listening; the socket stays open. */
  detach(): void {
    this.socket.removeEventListener('message', this.onMessage);
    this.socket.removeEventListener('close', this.onClose);
  }

  /** Tells the server to stop sending `utteranceId` (null: whatever it is producing). */
  sendInterrupt(utteranceId: string | null): void {
    if (this.socket.readyState === OPEN) this.socket.send(encodeControl({ type: 'interrupt', utteranceId }));
  }

  private receive(data: unknown): void {
    if (typeof data === 'string') this.control(data);
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      let bytes: Uint8Array;
      try {
        bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      } catch {
        // Another listener transferred the buffer away (e.g. to a worker) before us.
        this.sink.error('bad-frame', 'a binary socket message arrived detached (its buffer was transferred elsewhere); nothing to read');
        return;
      }
      this.binary(bytes);
    } else
      this.sink.error('bad-frame', `a socket message of type ${Object.prototype.toString.call(data)} is neither text nor binary; set binaryType "arraybuffer"`);
  }

  private binary(bytes: Uint8Array): void {
    if (this.framing === 'raw') {
      this.sink.audio(this.rawId ?? this.sink.rawUtteranceId(), bytes, undefined, undefined);
      return;
    }
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      this.sink.error('bad-frame', `malformed frame (${decoded.error.code}): ${decoded.error.message}`);
      return;
    }
    const { header, payload } = decoded.frame;
    const id = String(header.utteranceId);
    const seq = this.sequence.check(id, header.seq);
    if (seq.kind === 'duplicate-or-reordered') {
      this.sink.sequenceGap(
        id,
        `frame ${seq.got} of utterance "${id}" arrived after frame ${seq.expected - 1} (duplicate or out of order); discarded`,
        payload.length,
      );
      return;
    }
    if (seq.kind === 'gap') {
      this.sink.sequenceGap(id, `${seq.missing} frame(s) of utterance "${id}" missing: expected ${seq.expected}, got ${seq.got}`, 0);
    }
    if (header.start) this.sink.startUtterance(id, header.sampleRate, header.codec);
    if (payload.length > 0) this.sink.audio(id, payload, header.sampleRate, header.codec);
    if (header.end) {
      this.sequence.forget(id);
      this.sink.endUtterance(id);
    }
  }

  private control(text: string): void {
    const parsed = parseServerControl(text);
    if (!parsed.ok) {
      this.sink.error('bad-control', `control message rejected (${parsed.error.code}): ${parsed.error.message}`);
      return;
    }
    const msg = parsed.message;
    switch (msg.type) {
      case 'start':
        if (this.framing === 'raw') this.rawId = msg.utteranceId;
        this.sink.startUtterance(msg.utteranceId, msg.sampleRate, msg.format);
        break;
      case 'end':
        if (this.rawId === msg.utteranceId) this.rawId = null;
        this.sink.endUtterance(msg.utteranceId);
        break;
      case 'mark':
        this.sink.mark(msg.utteranceId, msg.sampleOffset, msg.name);
        break;
      case 'error':
        this.sink.error('bad-control', `the server reported an error: ${msg.message}`);
        break;
    }
  }
}
