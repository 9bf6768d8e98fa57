/**
 * connectGeminiLive against Google's documented order (BidiGenerateContentServerContent,
 * https://ai.google.dev/api/live#bidigeneratecontentservercontent, and js-genai's
 * LiveServerContent docs): a turn's `modelTurn` audio, then `generationComplete` and
 * `turnComplete`; an interrupted turn has no `generationComplete` and goes
 * "interrupted > turn_complete"; one that was already generated may still be interrupted
 * while it plays (Firebase's LiveServerContent docs: a message sent between
 * generation_complete and turn_complete "may cause an interrupted message to be sent").
 */
import { describe, expect, it } from 'vitest';
import { connectGeminiLive } from '../../../src/adapters/gemini-live';
import { accounting, cutThenWhole, expectPlayedOut, b64, pieces, ScriptedSocket, servicePlayer, speech } from './service-rig';

const FADE = 120;
const audio = (bytes: Uint8Array) => ({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: b64(bytes) } }] } } });

describe('connectGeminiLive: interrupted turns', () => {
  it('server VAD: audio after interrupted (in the same message and after it) is stale, the turnComplete that follows is no error, the next turn plays whole', async () => {
    const { rig, player } = servicePlayer();
    const socket = new ScriptedSocket();
    connectGeminiLive(player, socket);
    const a = speech(11, 12000);
    const b = speech(12, 4800);
    for (const p of pieces(a.bytes.subarray(0, 9600), 1920)) socket.json(audio(p));
    await rig.renderUntil(() => rig.output.length > 2400);
    // The server's VAD heard the user: interrupted, then audio it had already sent, then turnComplete.
    socket.json({ serverContent: { interrupted: true, ...audio(a.bytes.subarray(9600, 11520)).serverContent } });
    for (const p of pieces(a.bytes.subarray(11520), 1920)) socket.json(audio(p));
    socket.json({ serverContent: { turnComplete: true } });
    for (const p of pieces(b.bytes, 1920)) socket.json(audio(p));
    socket.json({ serverContent: { generationComplete: true } });
    socket.json({ serverContent: { turnComplete: true } });
    socket.json({ serverContent: { turnComplete: true } }); // a duplicate: ends nothing, no error
    await expectPlayedOut(rig, 1, cutThenWhole(a, b), FADE);
    expect(rig.events('interrupted').map((e) => e.utteranceId)).toEqual(['gemini-1']);
    expect(rig.events('ended').map((e) => e.utteranceId)).toEqual(['gemini-2']);
    expect(accounting(rig)).toMatchObject({ received: 12000 + 4800, stale: 12000 - 4800 });
  });

  it("the app's interrupt() cuts the sounding turn: its audio stays stale through the server's interrupted and turnComplete", async () => {
    const { rig, player } = servicePlayer();
    const socket = new ScriptedSocket();
    connectGeminiLive(player, socket);
    const a = speech(13, 9600);
    const b = speech(14, 4800);
    for (const p of pieces(a.bytes.subarray(0, 9600), 960)) socket.json(audio(p));
    await rig.renderUntil(() => rig.output.length > 1200);
    player.interrupt();
    for (const p of pieces(a.bytes.subarray(9600), 960)) socket.json(audio(p)); // still generating
    socket.json({ serverContent: { interrupted: true } }); // the server's VAD hears the user later
    socket.json({ serverContent: { turnComplete: true } });
    socket.json(audio(b.bytes));
    socket.json({ serverContent: { turnComplete: true } }); // no generationComplete: the turn still ends
    await expectPlayedOut(rig, 1, cutThenWhole(a, b), FADE);
    expect(rig.events('interrupted')).toHaveLength(1);
    expect(accounting(rig)).toMatchObject({ stale: 4800 });
  });

  it('generationComplete then interrupted while the tail plays: the rest is cut, no false error; a turn without audio ends nothing', async () => {
    const { rig, player } = servicePlayer();
    const socket = new ScriptedSocket();
    connectGeminiLive(player, socket);
    const a = speech(15, 12000);
    const b = speech(16, 2400);
    socket.json({ serverContent: { turnComplete: true } }); // a tool call's turn: no audio
    socket.json(audio(a.bytes));
    socket.json({ serverContent: { generationComplete: true } });
    await rig.renderUntil(() => rig.output.length > 4800);
    socket.json({ serverContent: { interrupted: true } });
    socket.json({ serverContent: { turnComplete: true } });
    socket.json(audio(b.bytes));
    socket.json({ serverContent: { generationComplete: true } });
    socket.json({ serverContent: { turnComplete: true } });
    await expectPlayedOut(rig, 1, cutThenWhole(a, b), FADE);
    expect(rig.events('ended').map((e) => e.utteranceId)).toEqual(['gemini-3']);
  });
});
