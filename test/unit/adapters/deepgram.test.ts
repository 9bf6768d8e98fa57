/**
 * connectDeepgram against Deepgram's own order of messages (Aura streaming TTS,
 * https://developers.deepgram.com/docs/tts-ws-clear and the speak-streaming API reference):
 * binary audio frames, `Flushed` after the audio of each `Flush`, and after the client's
 * `Clear` the frames the server had already sent, then `Cleared`.
 */
import { describe, expect, it } from 'vitest';
import { connectDeepgram } from '../../../src/adapters/deepgram';
import { accounting, expectPlayedOut, pieces, ScriptedSocket, servicePlayer, speech } from './service-rig';

const FADE = 120; // 5 ms at 24 kHz

describe('connectDeepgram: what follows a Clear', () => {
  it("the app's interrupt(): frames in flight before Cleared are stale, Flushed in that window ends nothing; the next Speak plays whole", async () => {
    const { rig, player } = servicePlayer();
    const socket = new ScriptedSocket();
    connectDeepgram(player, socket);
    const a = speech(1, 4800);
    const b = speech(2, 12000);
    const c = speech(3, 6000);
    for (const p of pieces(a.bytes, 960)) socket.binary(p);
    socket.json({ type: 'Flushed', sequence_id: 0 });
    for (const p of pieces(b.bytes.subarray(0, 19200), 960)) socket.binary(p);
    await rig.renderUntil(() => rig.output.length > 4800 + 2400);
    player.interrupt();
    expect(socket.sent).toEqual([{ type: 'Clear' }]);
    // Already on the wire when the server read the Clear: the rest of b, its Flushed.
    for (const p of pieces(b.bytes.subarray(19200), 960)) socket.binary(p);
    socket.json({ type: 'Flushed', sequence_id: 1 });
    socket.json({ type: 'Cleared', sequence_id: 1 });
    for (const p of pieces(c.bytes, 960)) socket.binary(p);
    socket.json({ type: 'Flushed', sequence_id: 2 });
    socket.json({ type: 'Flushed', sequence_id: 2 }); // a duplicate end: nothing to end, no error
    await expectPlayedOut(
      rig,
      2,
      [
        { signal: a.floats, whole: true },
        { signal: b.floats, whole: false },
        { signal: c.floats, whole: true },
      ],
      FADE,
    );
    expect(rig.events('ended').map((e) => e.utteranceId)).toEqual(['deepgram-1', 'deepgram-3']);
    const stale = rig.events('dropped').filter((d) => d.reason === 'stale');
    expect(stale.reduce((n, d) => n + d.samples, 0)).toBe(2400);
    expect(stale.every((d) => d.utteranceId === 'deepgram-2')).toBe(true);
    expect(accounting(rig)).toMatchObject({ received: 4800 + 12000 + 6000, stale: 2400 });
  });

  it('an interrupt while nothing sounds still clears: the frames of the Speak the server was answering are stale until Cleared', async () => {
    const { rig, player } = servicePlayer();
    const socket = new ScriptedSocket();
    connectDeepgram(player, socket);
    player.interrupt(); // the app sent Speak + Flush and the user spoke before any audio came
    const late = speech(4, 2400);
    const next = speech(5, 2400);
    socket.binary(late.bytes);
    socket.json({ type: 'Cleared', sequence_id: 0 });
    socket.binary(next.bytes);
    socket.json({ type: 'Flushed', sequence_id: 1 });
    await expectPlayedOut(rig, 1, [{ signal: next.floats, whole: true }], FADE);
    expect(accounting(rig)).toMatchObject({ received: 4800, played: 2400, stale: 2400 });
  });
});
