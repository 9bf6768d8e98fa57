import type { AudioFormat } from '../codecs/formats.js';
import type { StreamPlayer } from '../player/stream-player.js';
import { decodeBase64 } from './base64.js';
import { SampleCounter, WordAligner } from './sample-count.js';
import { connectService, objectField, ServiceMessageError, stringField, type AdapterSession, type ServiceSocket } from './service.js';

/** An ElevenLabs `output_format`: `pcm_<rate>`, `ulaw_8000`, `alaw_8000` or `mp3_<rate>_<kbps>`. */
export type ElevenLabsOutputFormat = `pcm_${number}` | 'ulaw_8000' | 'alaw_8000' | `mp3_${number}_${number}`;

/** The player format and rate of an ElevenLabs output format. */
export function elevenLabsAudio(outputFormat: string): { format: AudioFormat; sampleRate: number } {
  const pcm = /^pcm_(\d+)$/.exec(outputFormat);
  if (pcm) return { format: 'pcm16', sampleRate: Number(pcm[1]) };
  if (outputFormat === 'ulaw_8000') return { format: 'mulaw', sampleRate: 8000 };
  if (outputFormat === 'alaw_8000') return { format: 'alaw', sampleRate: 8000 };
  const mp3 = /^mp3_(\d+)_\d+$/.exec(outputFormat);
  if (mp3) return { format: 'mp3', sampleRate: Number(mp3[1]) };
  throw new TypeError(`voxplay: the ElevenLabs output format ${JSON.stringify(outputFormat)} is not one voxplay plays (pcm_*, ulaw_8000, alaw_8000, mp3_*)`);
}

/** Options of {@link connectElevenLabs}. */
export interface ElevenLabsOptions {
  /** The `output_format` the socket was opened with. Default `'mp3_44100_128'` (ElevenLabs' default). */
  outputFormat?: ElevenLabsOutputFormat;
  /** Utterance ids are `<prefix>-1`, `<prefix>-2`, … one per generation (ended by `isFinal`). Default `'elevenlabs'`. */
  utteranceIdPrefix?: string;
  /** Called for each word with its utterance and sample offset. */
  onWord?(utteranceId: string, sampleOffset: number, word: string): void;
  /** Mark each word on the player (named by the word), so `mark` events fire as words are heard. Default true; false when `onWord` marks them itself. */
  markWords?: boolean;
}

/**
 * Plays an ElevenLabs text-to-speech WebSocket (`stream-input`): base64 `audio` in each
 * message, one utterance per generation, ended by `isFinal`. The per-character `alignment`
 * (or `normalizedAlignment`), timed from the start of each chunk, becomes word marks on the
 * player: a `mark` event fires as each word is heard, and `interrupt()` reports the last one.
 *
 * The interruption model (ElevenLabs' WebSocket API reference,
 * https://elevenlabs.io/docs/api-reference/text-to-speech/v-1-text-to-speech-voice-id-stream-input):
 * the socket carries one generation at a time and its audio has no id; `isFinal` ends it.
 * The protocol has no cancel message (the app closes the socket to stop the server). When
 * the app's `interrupt()` cuts the generation that sounds, every chunk that still comes for
 * it, up to its `isFinal`, is discarded as stale, and its alignment neither marks words
 * nor reaches `onWord`; the next audio starts the next generation. The server sends
 * `isFinal` only when the input ends, so to speak again after a cut, open a new socket and
 * connect a new adapter (as ElevenLabs' stream-input socket is used: one per generation).
 */
export function connectElevenLabs(player: StreamPlayer, socket: ServiceSocket, options: ElevenLabsOptions = {}): AdapterSession {
  const audio = elevenLabsAudio(options.outputFormat ?? 'mp3_44100_128');
  const prefix = options.utteranceIdPrefix ?? 'elevenlabs';
  let generation = 0;
  let current: { id: string; counter: SampleCounter; words: WordAligner; cut: boolean } | null = null;

  const service = connectService(player, socket, {
    service: 'ElevenLabs',
    text(message, sink) {
      if (typeof message.audio === 'string' && message.audio !== '') {
        if (!current) {
          const id = `${prefix}-${++generation}`;
          const words = new WordAligner(audio.sampleRate, (offset, word) => {
            if (options.markWords !== false) sink.mark(id, offset, word);
            options.onWord?.(id, offset, word);
          });
          current = { id, counter: new SampleCounter(audio.format), words, cut: false };
        }
        const bytes = decodeBase64(message.audio);
        if (current.cut) {
          sink.stale(current.id, bytes, audio); // its words are never heard: no marks, no onWord
          if (message.isFinal === true) current = null;
          return;
        }
        const chunkStart = current.counter.add(bytes);
        sink.write(current.id, bytes, audio);
        const alignment = message.alignment ?? message.normalizedAlignment;
        if (alignment != null) {
          if (typeof alignment !== 'object') throw new ServiceMessageError('alignment is not an object');
          const { chars, charStartTimesMs } = alignment as Record<string, unknown>;
          if (!Array.isArray(chars) || !Array.isArray(charStartTimesMs)) throw new ServiceMessageError('alignment has no chars and charStartTimesMs arrays');
          current.words.add(chars, charStartTimesMs, chunkStart);
        }
      } else if (message.audio !== undefined && message.audio !== null && message.audio !== '') {
        throw new ServiceMessageError(`audio is not base64 text (got ${typeof message.audio})`);
      }
      if (message.isFinal === true && current) {
        if (!current.cut) {
          current.words.flush();
          sink.endUtterance(current.id);
        }
        current = null;
      }
    },
    interrupted(ids) {
      if (current && ids.includes(current.id)) current.cut = true;
    },
  });
  return { detach: service.detach };
}

/** Options of {@link connectElevenLabsAgent}. */
export interface ElevenLabsAgentOptions {
  /** The agent's output format; default: from `conversation_initiation_metadata`, else `'pcm_16000'`. */
  outputFormat?: ElevenLabsOutputFormat;
}

/**
 * Plays an ElevenLabs Conversational AI (agent) socket: `audio` events' base64 audio, one
 * utterance per agent response (a new `agent_response` starts the next), in the format the
 * `conversation_initiation_metadata` names; an `interruption` event (the agent heard the
 * user) interrupts the player. The app keeps the rest of the protocol (pings, user audio).
 *
 * The interruption model, from ElevenLabs' docs (client events, "audio" and "interruption",
 * https://elevenlabs.io/docs/conversational-ai/customization/events/client-events) and SDKs:
 * - Audio carries an integer `event_id`, one per agent response and shared by its chunks
 *   (elevenlabs/packages PR #18; the Android SDK matches a response's events by it). There
 *   is no end-of-audio message: a response ends at the next `agent_response` (sent "with
 *   first audio chunk") or an interruption.
 * - `interruption` carries "the ID of the event that was interrupted". Audio of the cut
 *   response keeps arriving after it, which is why both SDKs gate audio on `event_id`; they
 *   differ on an id equal to the interruption's: Python drops it
 *   (`if int(event["event_id"]) <= self._last_interrupt_id: return`,
 *   `src/elevenlabs/conversational_ai/conversation.py`), JS plays it
 *   (`if (this.lastInterruptTimestamp <= event.audio_event.event_id)`), and
 *   elevenlabs-python#829 reports the reply to a typed message carrying the interruption's id.
 * - So audio is stale when its `event_id` is below the interruption's, or, until the next
 *   `agent_response`, not above the highest `event_id` received when the player was cut (by
 *   `interruption` or by the app's own `interrupt()`): the cut response's chunks are dropped
 *   under both readings, and a reply that carries the interruption's id, or even the cut
 *   response's, plays once its `agent_response` has come.
 * - The app's own `interrupt()` has no message in the protocol (the server hears the user
 *   and sends `interruption`); until then the cut response's audio is stale by the rule above.
 */
export function connectElevenLabsAgent(player: StreamPlayer, socket: ServiceSocket, options: ElevenLabsAgentOptions = {}): AdapterSession {
  let audio = elevenLabsAudio(options.outputFormat ?? 'pcm_16000');
  let turn = 1;
  /** The utterance stale audio is counted against (the last one cut). */
  let cutId = 'agent-0';
  /** Highest audio `event_id` received so far. */
  let highest = -Infinity;
  /** Audio with an `event_id` at or below this belongs to a cut response. */
  let cutThrough = -Infinity;
  /** Audio with an `event_id` below this was interrupted (the last `interruption`'s id). */
  let interruptedBelow = -Infinity;
  const service = connectService(player, socket, {
    service: 'ElevenLabs agent',
    text(message, sink) {
      switch (message.type) {
        case 'conversation_initiation_metadata': {
          const meta = objectField(message, 'conversation_initiation_metadata_event');
          if (!options.outputFormat && typeof meta.agent_output_audio_format === 'string') audio = elevenLabsAudio(meta.agent_output_audio_format);
          break;
        }
        case 'agent_response':
          // A new response: the cut one's audio is all in (the socket is ordered), so an id equal
          // to the cut's is this response's own (elevenlabs-python#829); below the interruption's stays stale.
          cutThrough = -Infinity;
          if (sink.openUtteranceId() === `agent-${turn}`) sink.endUtterance(`agent-${turn++}`);
          break;
        case 'audio': {
          const event = objectField(message, 'audio_event');
          const bytes = decodeBase64(stringField(event, 'audio_base_64', 'an "audio" message'));
          const id = typeof event.event_id === 'number' ? event.event_id : Number(event.event_id);
          if (Number.isFinite(id) && (id <= cutThrough || id < interruptedBelow)) {
            sink.stale(cutId, bytes, audio);
            break;
          }
          if (Number.isFinite(id) && id > highest) highest = id;
          sink.write(`agent-${turn}`, bytes, audio);
          break;
        }
        case 'interruption': {
          const id = Number((message.interruption_event as { event_id?: unknown } | undefined)?.event_id);
          if (Number.isFinite(id) && id > interruptedBelow) interruptedBelow = id;
          player.interrupt();
          break;
        }
      }
    },
    interrupted() {
      cutThrough = highest;
      cutId = `agent-${turn}`;
      turn++;
    },
  });
  return { detach: service.detach };
}
