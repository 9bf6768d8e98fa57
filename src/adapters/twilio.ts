import type { StreamPlayer } from '../player/stream-player.js';
import type { MarkEvent } from '../player/types.js';
import { decodeBase64 } from './base64.js';
import { connectService, objectField, stringField, type AdapterSession, type ServiceSocket } from './service.js';

/**
 * Plays a Twilio-style media stream (a telephony bridge forwarding one): `media` messages'
 * base64 μ-law at 8 kHz, one utterance until a `stop` or a `clear`; `clear` interrupts the
 * player; a `mark` is placed after the audio received so far, and once that audio has been
 * heard the adapter sends the `mark` back (`{event: 'mark', streamSid, mark: {name}}`), as
 * Twilio does, so the server knows what the listener heard.
 *
 * The interruption model, from Twilio's "Media Streams - WebSocket Messages"
 * (https://www.twilio.com/docs/voice/media-streams/websocket-messages), with this adapter in
 * Twilio's place:
 * - Audio has no id: "media messages are buffered and played in the order received".
 * - `clear` "empties all buffered audio and causes any mark messages to be sent back": the
 *   player is interrupted and the marks not yet heard go back at once. `media` after a
 *   `clear` is the server's next audio and plays.
 * - A `mark` with no audio buffered goes back at once.
 * - Twilio never interrupts by itself, so the app's own `interrupt()` is outside the
 *   protocol: the server does not know and keeps sending the cut response. When it cut this
 *   stream's audio, its marks go back as for a `clear`, and every `media` after it is
 *   discarded as stale until the server's `clear` (its answer to the barge-in; each
 *   discarded chunk is a `dropped` event that says so). An `interrupt()` while the stream
 *   is silent cuts nothing here.
 */
export function connectTwilio(player: StreamPlayer, socket: ServiceSocket): AdapterSession {
  let streamSid = '';
  let segment = 1;
  let received = 0; // samples of the current segment
  /** Marks placed and not yet heard, in order. */
  let pending: string[] = [];
  /** After the app's own interrupt() cut this stream's audio: media is stale until the server's `clear`. */
  let awaitingClear = false;
  /** The segment that interrupt cut: stale media is counted against it. */
  let cutId = '';
  const id = (): string => `twilio-${segment}`;
  const markPrefix = 'twilio:';
  const echo = (name: string): void => socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name } }));
  const service = connectService(player, socket, {
    service: 'Twilio',
    text(message, sink) {
      switch (message.event) {
        case 'start':
        case 'connected':
          if (typeof message.streamSid === 'string') streamSid = message.streamSid;
          break;
        case 'media': {
          if (typeof message.streamSid === 'string') streamSid = message.streamSid;
          const bytes = decodeBase64(stringField(objectField(message, 'media'), 'payload', 'a "media" message'));
          if (awaitingClear) {
            sink.stale(cutId, bytes, MULAW);
            break;
          }
          sink.write(id(), bytes, MULAW);
          received += bytes.length;
          break;
        }
        case 'mark': {
          const name = stringField(objectField(message, 'mark'), 'name', 'a "mark" message');
          if (awaitingClear || received === 0) {
            echo(name); // no audio buffered before it (or it will never play): back at once
            break;
          }
          pending.push(name);
          sink.mark(id(), received, markPrefix + name);
          break;
        }
        case 'clear':
          player.interrupt();
          awaitingClear = false; // the server's own clear: what follows is its next audio
          break;
        case 'stop':
          sink.endUtterance(id());
          segment++;
          received = 0;
          break;
      }
    },
    interrupted(ids) {
      // Only a cut of this stream's own audio: an interrupt while it is silent (or of another
      // source) must not hold back the server's next reply, which no `clear` would release.
      if (received === 0 || !ids.includes(id())) return;
      const cleared = pending;
      pending = [];
      cutId = id();
      segment++;
      received = 0;
      awaitingClear = true; // until the server's clear (a clear in progress lifts it at once)
      for (const name of cleared) echo(name);
    },
  });
  const onMark = (e: MarkEvent): void => {
    if (!e.name.startsWith(markPrefix)) return;
    const name = e.name.slice(markPrefix.length);
    const at = pending.indexOf(name);
    if (at < 0) return; // already sent back by a clear
    pending.splice(at, 1);
    echo(name);
  };
  const off = player.on('mark', onMark);
  return {
    detach() {
      off();
      service.detach();
    },
  };
}

const MULAW = { format: 'mulaw', sampleRate: 8000 } as const;
