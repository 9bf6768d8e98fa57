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
 */
export function connectTwilio(player: StreamPlayer, socket: ServiceSocket): AdapterSession {
  let streamSid = '';
  let segment = 1;
  let received = 0; // samples of the current segment
  const id = (): string => `twilio-${segment}`;
  const markPrefix = 'twilio:';
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
          sink.write(id(), bytes, { format: 'mulaw', sampleRate: 8000 });
          received += bytes.length;
          break;
        }
        case 'mark':
          sink.mark(id(), received, markPrefix + stringField(objectField(message, 'mark'), 'name', 'a "mark" message'));
          break;
        case 'clear':
          player.interrupt();
          break;
        case 'stop':
          sink.endUtterance(id());
          segment++;
          received = 0;
          break;
      }
    },
    interrupted() {
      segment++;
      received = 0;
    },
  });
  const onMark = (e: MarkEvent): void => {
    if (!e.name.startsWith(markPrefix)) return;
    socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: e.name.slice(markPrefix.length) } }));
  };
  const off = player.on('mark', onMark);
  return {
    detach() {
      off();
      service.detach();
    },
  };
}
