/**
 * connectElevenLabsAgent against the agents socket's order of messages (ElevenLabs client
 * events, https://elevenlabs.io/docs/conversational-ai/customization/events/client-events):
 * `agent_response` with the first audio chunk, `audio` chunks sharing the response's
 * `event_id`, and on barge-in `interruption` followed by the cut response's chunks still in
 * flight, then `agent_response_correction`, then the next response. The docs leave open
 * whether the next response can carry the interruption's own `event_id` (the Python SDK
 * drops it, the JS SDK plays it, elevenlabs-python#829 saw it): both readings are played.
 */
import { describe, expect, it } from 'vitest';
import { connectElevenLabsAgent } from '../../../src/adapters/elevenlabs';
import { accounting, cutThenWhole, expectPlayedOut, b64, pieces, ScriptedSocket, servicePlayer, speech } from './service-rig';

const FADE = 80; // 5 ms at 16 kHz
const audio = (id: number, bytes: Uint8Array) => ({ type: 'audio', audio_event: { audio_base_64: b64(bytes), event_id: id } });
const response = (id: number, text: string) => ({ type: 'agent_response', agent_response_event: { agent_response: text, event_id: id } });

async function conversation(how: 'server' | 'app', nextId: (interruptionId: number) => number) {
  const { rig, player } = servicePlayer({ sampleRate: 16000 });
  const socket = new ScriptedSocket();
  connectElevenLabsAgent(player, socket);
  const first = speech(61, 3200);
  const cut = speech(62, 16000);
  const next = speech(63, 3200);
  socket.json({
    type: 'conversation_initiation_metadata',
    conversation_initiation_metadata_event: { conversation_id: 'c', agent_output_audio_format: 'pcm_16000' },
  });
  socket.json(response(1, 'Hello.'));
  for (const p of pieces(first.bytes, 1600)) socket.json(audio(1, p));
  socket.json(response(3, 'A longer answer.'));
  for (const p of pieces(cut.bytes.subarray(0, 16000), 1600)) socket.json(audio(3, p));
  await rig.renderUntil(() => rig.output.length > 3200 + 4000);
  if (how === 'app') player.interrupt();
  socket.json({ type: 'interruption', interruption_event: { event_id: 3 } });
  for (const p of pieces(cut.bytes.subarray(16000), 1600)) socket.json(audio(3, p)); // in flight
  socket.json({
    type: 'agent_response_correction',
    agent_response_correction_event: { original_agent_response: 'A longer answer.', corrected_agent_response: 'A longer...', event_id: 3 },
  });
  const id = nextId(3);
  socket.json(response(id, 'Yes?'));
  for (const p of pieces(next.bytes, 1600)) socket.json(audio(id, p));
  socket.json(response(id + 1, '')); // the next response starts: the previous one ends
  await expectPlayedOut(
    rig,
    2,
    [
      { signal: first.floats, whole: true },
      { signal: cut.floats, whole: false },
      { signal: next.floats, whole: true },
    ],
    FADE,
  );
  expect(rig.events('interrupted')[0].utteranceId).toBe('agent-2');
  expect(accounting(rig)).toMatchObject({ received: 3200 + 16000 + 3200, stale: 8000 });
}

describe('connectElevenLabsAgent: audio after an interruption', () => {
  it("the server's interruption: the cut response's chunks in flight are stale; the next response (a higher event_id) plays whole", () =>
    conversation('server', (i) => i + 1));
  it("the next response carrying the interruption's own event_id (elevenlabs-python#829) plays whole; the cut one's chunks are still stale", async () => {
    // Here the interruption names the reply's id: the cut response had 3, the interruption 4.
    const { rig, player } = servicePlayer({ sampleRate: 16000 });
    const socket = new ScriptedSocket();
    connectElevenLabsAgent(player, socket);
    const cut = speech(64, 8000);
    const next = speech(65, 3200);
    for (const p of pieces(cut.bytes.subarray(0, 8000), 1600)) socket.json(audio(3, p));
    await rig.renderUntil(() => rig.output.length > 2000);
    socket.json({ type: 'interruption', interruption_event: { event_id: 4 } });
    for (const p of pieces(cut.bytes.subarray(8000), 1600)) socket.json(audio(3, p));
    for (const p of pieces(next.bytes, 1600)) socket.json(audio(4, p));
    socket.json(response(5, ''));
    await expectPlayedOut(rig, 1, cutThenWhole(cut, next), FADE);
    expect(accounting(rig)).toMatchObject({ stale: 4000 });
  });
  it("the app's own interrupt() before the server's interruption: the same chunks are stale, nothing is cut twice", () => conversation('app', (i) => i + 1));
  it("a reply that reuses the cut response's own event_id after its agent_response plays whole; the cut chunks before it are stale", async () => {
    const { rig, player } = servicePlayer({ sampleRate: 16000 });
    const socket = new ScriptedSocket();
    connectElevenLabsAgent(player, socket);
    const cut = speech(66, 8000);
    const next = speech(67, 3200);
    socket.json(response(3, 'A longer answer.'));
    for (const p of pieces(cut.bytes.subarray(0, 8000), 1600)) socket.json(audio(3, p));
    await rig.renderUntil(() => rig.output.length > 2000);
    socket.json({ type: 'interruption', interruption_event: { event_id: 3 } });
    for (const p of pieces(cut.bytes.subarray(8000), 1600)) socket.json(audio(3, p));
    socket.json(response(3, 'Yes?'));
    for (const p of pieces(next.bytes, 1600)) socket.json(audio(3, p));
    socket.json(response(4, ''));
    await expectPlayedOut(rig, 1, cutThenWhole(cut, next), FADE);
    expect(accounting(rig)).toMatchObject({ stale: 4000 });
  });
});
