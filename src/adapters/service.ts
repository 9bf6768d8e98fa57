import type { StreamPlayer } from '../player/stream-player.js';
import type { AudioSink } from '../sources/source.js';

/**
 * What an adapter uses of the app's socket: a browser `WebSocket` is one. The app keeps the
 * socket (authentication, its own messages); the adapter only listens and sends the few
 * messages that report what was heard.
 */
export interface ServiceSocket {
  /** Listens for the service's messages. */
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** Stops listening. */
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** Sends a text message to the service. */
  send(data: string): void;
  /** Set to `'arraybuffer'` by adapters that receive binary audio. */
  binaryType?: string;
}

/** A connected adapter. */
export interface AdapterSession {
  /** Stops reading the socket and listening to the player (the socket stays open). */
  detach(): void;
}

/** What a service module gives the shared plumbing. */
export interface ServiceHandlers {
  /** The service's name, for error messages. */
  service: string;
  /** One JSON text message, parsed. Throw a {@link ServiceMessageError} for a malformed one. */
  text(message: Record<string, unknown>, sink: AudioSink): void;
  /** One binary message (services that send raw audio frames). */
  binary?(bytes: Uint8Array, sink: AudioSink): void;
  /** The player cut these utterances (see `AudioSource.interrupted`). */
  interrupted?(utteranceIds: readonly (string | null)[]): void;
}

/** A service message the adapter cannot use; reported as a `bad-control` error, playback goes on. */
export class ServiceMessageError extends Error {}

/**
 * Connects a service's socket to the player as an {@link AudioSource} that cannot wait
 * (a socket delivers regardless: audio that does not fit is dropped and counted), so the
 * service's audio, marks and errors go through the player's one ingest policy.
 */
export function connectService(player: StreamPlayer, socket: ServiceSocket, handlers: ServiceHandlers): { sink: () => AudioSink | null; detach: () => void } {
  let sink: AudioSink | null = null;
  const disconnect = player.connect({
    overflow: 'drop',
    connect(s) {
      sink = s;
      return () => (sink = null);
    },
    interrupted: (ids) => {
      // What the adapter tells its service (a Clear, a cancel) must not break interrupt():
      // a socket that is not open throws on send.
      try {
        handlers.interrupted?.(ids);
      } catch (error) {
        sink?.error(
          'disconnected',
          `${handlers.service}: could not tell the service of the interrupt: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    },
  });
  const onMessage = (event: { data: unknown }): void => {
    const s = sink;
    if (!s) return;
    try {
      if (typeof event.data === 'string') {
        let message: unknown;
        try {
          message = JSON.parse(event.data);
        } catch {
          throw new ServiceMessageError(`a text message is not JSON: ${JSON.stringify(event.data.slice(0, 60))}`);
        }
        if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new ServiceMessageError('a message is not a JSON object');
        handlers.text(message as Record<string, unknown>, s);
      } else if (event.data instanceof ArrayBuffer || ArrayBuffer.isView(event.data)) {
        const data = event.data;
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        if (!handlers.binary) throw new ServiceMessageError(`a binary message of ${bytes.length} bytes arrived; this service sends audio as JSON`);
        handlers.binary(bytes, s);
      } else {
        throw new ServiceMessageError(`a message of type ${Object.prototype.toString.call(event.data)} arrived (set the socket's binaryType to 'arraybuffer')`);
      }
    } catch (error) {
      if (!(error instanceof ServiceMessageError || error instanceof TypeError)) throw error;
      s.error('bad-control', `${handlers.service}: ${error.message}`);
    }
  };
  socket.addEventListener('message', onMessage);
  return {
    sink: () => sink,
    detach: () => {
      socket.removeEventListener('message', onMessage);
      disconnect();
    },
  };
}

/**
 * `message[key]` as a non-empty string, or a {@link ServiceMessageError} naming the field and
 * `where` it was looked for (default: the message's type).
 */
export function stringField(message: Record<string, unknown>, key: string, where = describeType(message)): string {
  const value = message[key];
  if (typeof value !== 'string' || value === '') throw new ServiceMessageError(`${where} has no ${key} string (got ${JSON.stringify(value) ?? 'undefined'})`);
  return value;
}

/** `message[key]` as an object, or a {@link ServiceMessageError}. */
export function objectField(message: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = message[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ServiceMessageError(`${describeType(message)} has no ${key} object`);
  return value as Record<string, unknown>;
}

function describeType(message: Record<string, unknown>): string {
  const type = message.type ?? message.event;
  return typeof type === 'string' ? `a "${type}" message` : 'a message';
}
