/**
 * playOpenAISpeechEvents against OpenAI's `audio/speech` server-sent events
 * (https://platform.openai.com/docs/api-reference/audio/createSpeech, `stream_format: 'sse'`:
 * `speech.audio.delta` events with base64 `audio`, then `speech.audio.done`). One request is
 * one utterance; interrupt() cancels its body, so nothing the server still sends is read.
 */
import { describe, expect, it } from 'vitest';
import { playOpenAISpeechEvents } from '../../../src/adapters/openai-speech-sse';
import { accounting, b64, expectHeard, pieces, servicePlayer, speech } from './service-rig';

const event = (data: object) => new TextEncoder().encode(`data: ${JSON.stringify(data)}\n\n`);

/** A response whose body the test feeds event by event. */
function sseResponse(): { response: Response; send: (data: object) => void; cancelled: () => boolean } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => void (cancelled = true),
  });
  return {
    response: {
      ok: true,
      status: 200,
      statusText: 'OK',
      url: 'https://api.openai.com/v1/audio/speech',
      headers: new Headers({ 'content-type': 'text/event-stream' }),
      body,
    } as unknown as Response,
    send: (data) => {
      if (!cancelled) controller.enqueue(event(data));
    },
    cancelled: () => cancelled,
  };
}

describe('playOpenAISpeechEvents: interrupt() mid-stream', () => {
  it('cancels the body; nothing of the cut request plays after the fade; the next request plays whole', async () => {
    const { rig, player } = servicePlayer();
    const a = speech(71, 24000);
    const b = speech(72, 4800);
    const first = sseResponse();
    const cut = playOpenAISpeechEvents(player, first.response, { utteranceId: 'speech-1' });
    const aPieces = pieces(a.bytes, 4800);
    for (const p of aPieces.slice(0, 4)) first.send({ type: 'speech.audio.delta', audio: b64(p) });
    await rig.renderUntil(() => rig.output.length > 3000);
    player.interrupt();
    for (const p of aPieces.slice(4)) first.send({ type: 'speech.audio.delta', audio: b64(p) }); // the server went on
    await rig.render(20);
    expect(first.cancelled()).toBe(true);
    await expect(cut).resolves.toMatchObject({ utteranceId: 'speech-1', outcome: 'interrupted' });
    const second = sseResponse();
    const whole = playOpenAISpeechEvents(player, second.response, { utteranceId: 'speech-2' });
    for (const p of pieces(b.bytes, 4800)) second.send({ type: 'speech.audio.delta', audio: b64(p) });
    second.send({ type: 'speech.audio.done', usage: {} });
    await rig.renderUntil(() => rig.events('ended').length === 1);
    await rig.render(10);
    await expect(whole).resolves.toMatchObject({ outcome: 'ended', playedSamples: 4800 });
    expectHeard(
      rig.output,
      [
        { signal: a.floats, whole: false },
        { signal: b.floats, whole: true },
      ],
      120,
    );
    expect(rig.events('error')).toEqual([]);
    accounting(rig);
  });
});
