/**
 * connectElevenLabs (the `stream-input` socket) against ElevenLabs' order of messages
 * (https://elevenlabs.io/docs/api-reference/text-to-speech/v-1-text-to-speech-voice-id-stream-input):
 * `{audio, alignment}` chunks of one generation, then `{isFinal: true}`. The protocol has
 * no cancel: after the app's interrupt() the generation's remaining chunks still arrive.
 */
import { describe, expect, it } from 'vitest';
import { connectElevenLabs } from '../../../src/adapters/elevenlabs';
import { accounting, cutThenWhole, expectPlayedOut, b64, pieces, ScriptedSocket, servicePlayer, speech } from './service-rig';

const FADE = 120;
const alignment = (word: string, ms: number) => ({
  chars: [...word, ' '],
  charStartTimesMs: [...word, ' '].map((_, i) => ms + i * 10),
  charDurationsMs: [...word, ' '].map(() => 10),
});

describe('connectElevenLabs: an interrupted generation', () => {
  it("the app's interrupt(): the rest of the generation up to isFinal is stale and its words are never reported; the next generation plays whole", async () => {
    const { rig, player } = servicePlayer();
    const socket = new ScriptedSocket();
    const words: string[] = [];
    connectElevenLabs(player, socket, { outputFormat: 'pcm_24000', onWord: (id, _o, word) => words.push(`${id}:${word}`) });
    const a = speech(41, 12000);
    const b = speech(42, 4800);
    const aChunks = pieces(a.bytes, 4800);
    socket.json({ audio: b64(aChunks[0]), alignment: alignment('one', 0) });
    socket.json({ audio: b64(aChunks[1]), alignment: alignment('two', 0) });
    await rig.renderUntil(() => rig.output.length > 2400);
    player.interrupt();
    for (const p of aChunks.slice(2)) socket.json({ audio: b64(p), alignment: alignment('late', 0) });
    socket.json({ audio: null, isFinal: true });
    for (const p of pieces(b.bytes, 4800)) socket.json({ audio: b64(p), alignment: null });
    socket.json({ audio: null, isFinal: true });
    await expectPlayedOut(rig, 1, cutThenWhole(a, b), FADE);
    expect(words).toEqual(['elevenlabs-1:one', 'elevenlabs-1:two']);
    expect(rig.events('ended').map((e) => e.utteranceId)).toEqual(['elevenlabs-2']);
    expect(accounting(rig)).toMatchObject({ received: 16800, stale: 12000 - 4800 });
  });
});
