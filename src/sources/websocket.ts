import { decodeFrame, encodeControl, parseServerControl, SequenceTracker } from '../protocol/index.js';
import type { AudioSink, AudioSource } from './source.js';

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

/** How binary messages are read: voxplay frames (a header per frame) or headerless PCM. */
export type Framing = 'voxplay' | 'raw';

const OPEN = 1;

/**
 * A WebSocket as an {@link AudioSource}: binary messages are audio (voxplay-framed or raw
 * PCM), text messages are JSON control messages, and a barge-in is sent back as an
 * `interrupt` control message. Malformed input becomes an error for the sink; nothing
 * thrown here escapes into the socket's event dispatch. A socket cannot hold back, so
 * audio that does not fit is dropped and counted (`overflow: 'drop'`).
 */
export class WebSocketSource implements AudioSource {
  readonly overflow = 'drop' as const;
  private readonly socket: SocketLike;
  private readonly framing: Framing;
  private sink: AudioSink | null = null;
  private readonly sequence = new SequenceTracker();
  private rawId: string | null = null;
  private readonly onMessage = (event: { data: unknown }): void => this.receive(event.data);
  private readonly onClose = (event: { code: number; reason: string }): void => this.sink?.disconnected(event.code, event.reason);

  /** @throws TypeError when `framing` is neither `'voxplay'` nor `'raw'`. */
  constructor(socket: SocketLike, framing: Framing = 'voxplay') {
    if (framing !== 'voxplay' && framing !== 'raw') throw new TypeError(`voxplay: attach framing must be "voxplay" or "raw", got ${JSON.stringify(framing)}`);
    this.socket = socket;
    this.framing = framing;
  }

  /** Starts listening (binary messages as ArrayBuffers); the returned function stops it and leaves the socket open. */
  connect(sink: AudioSink): () => void {
    this.sink = sink;
    this.socket.binaryType = 'arraybuffer';
    this.socket.addEventListener('message', this.onMessage);
    this.socket.addEventListener('close', this.onClose);
    return () => {
      this.socket.removeEventListener('message', this.onMessage);
      this.socket.removeEventListener('close', this.onClose);
      this.sink = null;
    };
  }

  /** Tells the server to stop sending each utterance cut (null: whatever it is producing). */
  interrupted(utteranceIds: readonly (string | null)[]): void {
    for (const utteranceId of utteranceIds) {
      if (this.socket.readyState === OPEN) this.socket.send(encodeControl({ type: 'interrupt', utteranceId }));
    }
  }

  private receive(data: unknown): void {
    const sink = this.sink;
    if (!sink) return;
    if (typeof data === 'string') this.control(sink, data);
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      let bytes: Uint8Array;
      try {
        bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      } catch {
        // Another listener transferred the buffer away (e.g. to a worker) before us.
        sink.error('bad-frame', 'a binary socket message arrived detached (its buffer was transferred elsewhere); nothing to read');
        return;
      }
      this.binary(sink, bytes);
    } else sink.error('bad-frame', `a socket message of type ${Object.prototype.toString.call(data)} is neither text nor binary; set binaryType "arraybuffer"`);
  }

  private binary(sink: AudioSink, bytes: Uint8Array): void {
    if (this.framing === 'raw') {
      sink.write(this.rawId ?? sink.openUtteranceId() ?? sink.newUtteranceId(), bytes);
      return;
    }
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      sink.error('bad-frame', `malformed frame (${decoded.error.code}): ${decoded.error.message}`);
      return;
    }
    const { header, payload } = decoded.frame;
    const id = String(header.utteranceId);
    const seq = this.sequence.check(id, header.seq);
    if (seq.kind === 'duplicate-or-reordered') {
      sink.gap(id, {
        discardedBytes: payload.length,
        missing: 0,
        message: `frame ${seq.got} of utterance "${id}" arrived after frame ${seq.expected - 1} (duplicate or out of order); discarded`,
      });
      return;
    }
    if (seq.kind === 'gap') {
      sink.gap(id, {
        discardedBytes: 0,
        missing: seq.missing,
        message: `${seq.missing} frame(s) of utterance "${id}" missing: expected ${seq.expected}, got ${seq.got}`,
      });
    }
    const description = { sampleRate: header.sampleRate, format: header.codec };
    if (header.start) sink.startUtterance(id, description);
    if (payload.length > 0) sink.write(id, payload, description);
    if (header.end) {
      this.sequence.forget(id);
      sink.endUtterance(id);
    }
  }

  private control(sink: AudioSink, text: string): void {
    const parsed = parseServerControl(text);
    if (!parsed.ok) {
      sink.error('bad-control', `control message rejected (${parsed.error.code}): ${parsed.error.message}`);
      return;
    }
    const msg = parsed.message;
    switch (msg.type) {
      case 'start':
        if (this.framing === 'raw') this.rawId = msg.utteranceId;
        sink.startUtterance(msg.utteranceId, { sampleRate: msg.sampleRate, format: msg.format, text: msg.text, meta: msg.meta });
        break;
      case 'end':
        if (this.rawId === msg.utteranceId) this.rawId = null;
        sink.endUtterance(msg.utteranceId);
        break;
      case 'mark':
        sink.mark(msg.utteranceId, msg.sampleOffset, msg.name);
        break;
      case 'error':
        sink.error('bad-control', `the server reported an error: ${msg.message}`);
        break;
    }
  }
}
