/**
 * connectOpenAIRealtime against the GA Realtime API's order of server events
 * (https://platform.openai.com/docs/api-reference/realtime-server-events): `response.created`,
 * `response.output_audio.delta` (with `response_id` and `item_id`), `response.output_audio.done`
 * ("also emitted when a Response is interrupted, incomplete, or cancelled"), `response.done`
 * (status `cancelled` after a cut). Whether deltas of a cancelled response can still arrive
 * after `speech_started` or `response.cancel` is not documented; OpenAI's own Twilio
 * transport assumes they can (and drops them by response id), so these tests send them.
 */
import { describe, expect, it } from 'vitest';
import { connectOpenAIRealtime } from '../../../src/adapters/openai-realtime';
import { accounting, cutThenWhole, expectPlayedOut, b64, pieces, ScriptedSocket, servicePlayer, speech } from './service-rig';

const FADE = 120;
const delta = (response: string, item: string, bytes: Uint8Array) => ({
  type: 'response.output_audio.delta',
  response_id: response,
  item_id: item,
  output_index: 0,
  content_index: 0,
  delta: b64(bytes),
});
const created = (id: string) => ({ type: 'response.created', response: { id, status: 'in_progress' } });
const done = (id: string, status: string) => ({ type: 'response.done', response: { id, status } });

describe('connectOpenAIRealtime: what arrives after a barge-in', () => {
  for (const how of ['server VAD', 'bargeIn()'] as const) {
    it(`${how}: deltas of the cut item in flight are stale, its done events end nothing, the truncate names it; the next response plays whole`, async () => {
      const { rig, player } = servicePlayer();
      const socket = new ScriptedSocket();
      const session = connectOpenAIRealtime(player, socket, { turnDetection: how === 'server VAD' ? 'server' : 'client' });
      const a = speech(21, 12000);
      const b = speech(22, 4800);
      socket.json(created('resp_1'));
      for (const p of pieces(a.bytes.subarray(0, 9600), 2400)) socket.json(delta('resp_1', 'item_A', p));
      await rig.renderUntil(() => rig.output.length > 2400);
      if (how === 'server VAD') socket.json({ type: 'input_audio_buffer.speech_started', audio_start_ms: 1000, item_id: 'item_U' });
      else session.bargeIn();
      for (const p of pieces(a.bytes.subarray(9600), 2400)) socket.json(delta('resp_1', 'item_A', p));
      socket.json({ type: 'response.output_audio.done', response_id: 'resp_1', item_id: 'item_A' });
      socket.json(done('resp_1', 'cancelled'));
      socket.json({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 2000, item_id: 'item_U' });
      socket.json(created('resp_2'));
      for (const p of pieces(b.bytes, 2400)) socket.json(delta('resp_2', 'item_B', p));
      socket.json({ type: 'response.output_audio.done', response_id: 'resp_2', item_id: 'item_B' });
      socket.json({ type: 'response.output_audio.done', response_id: 'resp_2', item_id: 'item_B' }); // duplicate: no error
      socket.json(done('resp_2', 'completed'));
      const [heardA] = await expectPlayedOut(rig, 1, cutThenWhole(a, b), FADE);
      expect(accounting(rig)).toMatchObject({ received: 12000 + 4800, stale: 12000 - 4800 });
      const truncate = socket.sent.find((m) => m.type === 'conversation.item.truncate');
      expect(truncate).toMatchObject({ item_id: 'item_A', content_index: 0 });
      // What was heard, from the engine's count: the full-gain part plus the fade.
      expect(Math.abs((truncate!.audio_end_ms as number) - (heardA * 1000) / 24000)).toBeLessThanOrEqual(((FADE + 128) * 1000) / 24000);
      expect(socket.sent.filter((m) => m.type === 'response.cancel')).toHaveLength(how === 'bargeIn()' ? 1 : 0);
    });
  }

  it('at speed 2 the truncate is in source time: audio_end_ms is the audio heard, twice the time it took to hear it', async () => {
    const { rig, player } = servicePlayer();
    rig.port.post({ type: 'speed', speed: 2 });
    const socket = new ScriptedSocket();
    const session = connectOpenAIRealtime(player, socket, { turnDetection: 'client' });
    const a = speech(23, 24000);
    socket.json(created('resp_1'));
    for (const p of pieces(a.bytes, 2400)) socket.json(delta('resp_1', 'item_A', p));
    await rig.renderUntil(() => rig.output.length > 9600);
    session.bargeIn();
    await rig.render(40);
    const truncate = socket.sent.find((m) => m.type === 'conversation.item.truncate')!;
    const cut = rig.events('interrupted')[0];
    // The output frames that sounded (noise: every sample non-zero until the fade's end).
    let sounded = 0;
    for (let i = 0; i < rig.output.length; i++) if (rig.output[i] !== 0) sounded = i + 1;
    const first = rig.output.findIndex((v) => v !== 0);
    const heardWallMs = ((sounded - first) * 1000) / 24000;
    // The truncate goes at the barge-in, from the player's estimate; the fade adds a little.
    expect(Math.abs((truncate.audio_end_ms as number) - cut.playedMs)).toBeLessThanOrEqual(((2 * FADE + 128) * 1000) / 24000);
    expect(cut.playedMs).toBeGreaterThan(700);
    // Source time at 2×: within a splice cycle (two longest periods) and the fade of 2 × wall time.
    expect(Math.abs((truncate.audio_end_ms as number) - 2 * heardWallMs)).toBeLessThanOrEqual(((2 * 370 + 2 * FADE) * 1000) / 24000);
  });

  it("a response cut before its first delta (the app's interrupt() between response.created and audio) never plays", async () => {
    const { rig, player } = servicePlayer();
    const socket = new ScriptedSocket();
    const session = connectOpenAIRealtime(player, socket, { turnDetection: 'client' });
    const a = speech(23, 4800);
    const b = speech(24, 4800);
    socket.json(created('resp_1'));
    session.bargeIn(); // nothing sounds yet, but resp_1 is being generated
    expect(socket.sent).toEqual([{ type: 'response.cancel' }]);
    for (const p of pieces(a.bytes, 2400)) socket.json(delta('resp_1', 'item_A', p));
    socket.json({ type: 'response.output_audio.done', response_id: 'resp_1', item_id: 'item_A' });
    socket.json(done('resp_1', 'cancelled'));
    socket.json(created('resp_2'));
    for (const p of pieces(b.bytes, 2400)) socket.json(delta('resp_2', 'item_B', p));
    socket.json({ type: 'response.output_audio.done', response_id: 'resp_2', item_id: 'item_B' });
    await expectPlayedOut(rig, 1, [{ signal: b.floats, whole: true }], FADE);
    expect(accounting(rig)).toMatchObject({ received: 9600, played: 4800, stale: 4800 });
    // Nothing of item_A was heard: the model's transcript is cut at 0 (once), item_B's is not touched.
    expect(socket.sent.filter((m) => m.type === 'conversation.item.truncate')).toEqual([
      { type: 'conversation.item.truncate', item_id: 'item_A', content_index: 0, audio_end_ms: 0 },
    ]);
  });
});
