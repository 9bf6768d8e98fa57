/**
 * connectCartesia against Cartesia's documented behaviour ("Contexts",
 * https://docs.cartesia.ai/use-the-api/tts-websocket/contexts): after `{context_id, cancel:
 * true}`, "any currently generating request will continue sending responses until
 * completion", so chunks and timestamps of the cut context keep coming, then its `done`.
 * Whether `done` follows a cancel is not stated in the prose (the AsyncAPI example shows
 * it); both are played here: a cut context's done ends nothing, and none is needed.
 */
import { describe, expect, it } from 'vitest';
import { connectCartesia } from '../../../src/adapters/cartesia';
import { accounting, cutThenWhole, expectPlayedOut, b64, pieces, ScriptedSocket, servicePlayer, speech } from './service-rig';

const FADE = 120;
const chunk = (ctx: string, bytes: Uint8Array) => ({ type: 'chunk', context_id: ctx, data: b64(bytes), done: false, status_code: 206 });
const stamps = (ctx: string, words: string[], start: number[]) => ({
  type: 'timestamps',
  context_id: ctx,
  word_timestamps: { words, start, end: start.map((s) => s + 0.1) },
});

describe('connectCartesia: a cancelled context', () => {
  it("the app's interrupt(): chunks and timestamps of the cut context in flight are stale (no marks, no onWord), its done ends nothing; the next context plays whole", async () => {
    const { rig, player } = servicePlayer();
    const socket = new ScriptedSocket();
    const words: string[] = [];
    connectCartesia(player, socket, { onWord: (id, _offset, word) => words.push(`${id}:${word}`) });
    const a = speech(31, 12000);
    const b = speech(32, 4800);
    socket.json(chunk('c1', a.bytes.subarray(0, 4800)));
    socket.json(stamps('c1', ['one'], [0])); // Cartesia's order: timestamps after the first chunk
    for (const p of pieces(a.bytes.subarray(4800, 14400), 4800)) socket.json(chunk('c1', p));
    await rig.renderUntil(() => rig.output.length > 3000);
    player.interrupt();
    expect(socket.sent).toEqual([{ context_id: 'c1', cancel: true }]);
    socket.json(stamps('c1', ['two'], [0.3]));
    for (const p of pieces(a.bytes.subarray(14400), 4800)) socket.json(chunk('c1', p));
    socket.json({ type: 'done', context_id: 'c1', done: true, status_code: 206 });
    socket.json(stamps('c2', ['three'], [0]));
    for (const p of pieces(b.bytes, 4800)) socket.json(chunk('c2', p));
    socket.json({ type: 'done', context_id: 'c2', done: true, status_code: 206 });
    await expectPlayedOut(rig, 1, cutThenWhole(a, b), FADE);
    expect(words).toEqual(['c1:one', 'c2:three']);
    expect(rig.events('mark').map((m) => m.name)).toEqual(['one', 'three']);
    expect(accounting(rig)).toMatchObject({ received: 16800, stale: 12000 - 7200 });
  });

  it('a context the server spoke of before its first chunk is cut too; a cancelled context that never sends done costs nothing', async () => {
    const { rig, player } = servicePlayer();
    const socket = new ScriptedSocket();
    connectCartesia(player, socket);
    const a = speech(33, 2400);
    const b = speech(34, 2400);
    socket.json(stamps('c1', ['early'], [0]));
    player.interrupt(); // nothing sounds, but c1 is being generated
    expect(socket.sent).toEqual([{ context_id: 'c1', cancel: true }]);
    socket.json(chunk('c1', a.bytes));
    for (const p of pieces(b.bytes, 1200)) socket.json(chunk('c2', p));
    socket.json({ type: 'done', context_id: 'c2', done: true });
    await expectPlayedOut(rig, 1, [{ signal: b.floats, whole: true }], FADE);
    expect(accounting(rig)).toMatchObject({ received: 4800, played: 2400, stale: 2400 });
  });
});
