/**
 * connectTwilio in Twilio's place, against the order of Twilio's "Media Streams - WebSocket
 * Messages" (https://www.twilio.com/docs/voice/media-streams/websocket-messages): `media`,
 * `mark` after the audio it follows, `clear` ("empties all buffered audio and causes any
 * mark messages to be sent back"), then the server's next `media`.
 */
import { describe, expect, it } from 'vitest';
import { connectTwilio } from '../../../src/adapters/twilio';
import { g711Table } from '../../../src/codecs/g711';
import { float32ToMulaw } from '../../../src/protocol/g711-encode';
import { noise } from '../player/fake-engine';
import { accounting, b64, cutThenWhole, expectPlayedOut, pieces, ScriptedSocket, servicePlayer } from './service-rig';

const FADE = 40; // 5 ms at 8 kHz
const MULAW = g711Table('mulaw');
function speech(seed: number, samples: number): { bytes: Uint8Array; floats: Float32Array } {
  const bytes = float32ToMulaw(Float32Array.from(noise(samples, seed)));
  return { bytes, floats: Float32Array.from(bytes, (c) => MULAW[c]) };
}
const media = (bytes: Uint8Array) => ({ event: 'media', streamSid: 'MZ1', media: { payload: b64(bytes) } });
const mark = (name: string) => ({ event: 'mark', streamSid: 'MZ1', mark: { name } });
const echoes = (socket: ScriptedSocket) => socket.sent.filter((m) => m.event === 'mark').map((m) => (m.mark as { name: string }).name);

describe('connectTwilio: clear and marks', () => {
  it("the server's clear: buffered audio stops, unheard marks go back at once, the media after it plays whole", async () => {
    const { rig, player } = servicePlayer({ sampleRate: 8000 });
    const socket = new ScriptedSocket();
    connectTwilio(player, socket);
    const a = speech(51, 4000);
    const b = speech(52, 1600);
    socket.json({ event: 'start', streamSid: 'MZ1', start: {} });
    socket.json(media(a.bytes.subarray(0, 800)));
    socket.json(mark('a1'));
    socket.json(media(a.bytes.subarray(800)));
    socket.json(mark('a2'));
    await rig.renderUntil(() => echoes(socket).length === 1);
    expect(echoes(socket)).toEqual(['a1']);
    socket.json({ event: 'clear', streamSid: 'MZ1' });
    expect(echoes(socket)).toEqual(['a1', 'a2']); // cleared: sent back without playing
    for (const p of pieces(b.bytes, 160)) socket.json(media(p));
    socket.json(mark('b1'));
    socket.json({ event: 'stop', streamSid: 'MZ1' }); // the end of b: its last mark sounds with its last sample
    await expectPlayedOut(rig, 1, cutThenWhole(a, b), FADE);
    expect(echoes(socket)).toEqual(['a1', 'a2', 'b1']);
  });

  it("the app's own interrupt(): the server's media in flight is stale until its clear; marks go back; then its audio plays", async () => {
    const { rig, player } = servicePlayer({ sampleRate: 8000 });
    const socket = new ScriptedSocket();
    connectTwilio(player, socket);
    const a = speech(53, 4000);
    const b = speech(54, 1600);
    socket.json(media(a.bytes.subarray(0, 2000)));
    socket.json(mark('a1'));
    await rig.renderUntil(() => rig.output.length > 800);
    player.interrupt();
    expect(echoes(socket)).toEqual(['a1']);
    socket.json(media(a.bytes.subarray(2000))); // the server did not know yet
    socket.json(mark('a2'));
    expect(echoes(socket)).toEqual(['a1', 'a2']);
    socket.json({ event: 'clear', streamSid: 'MZ1' }); // its answer to the barge-in
    socket.json(media(b.bytes));
    socket.json(mark('b1'));
    socket.json({ event: 'stop', streamSid: 'MZ1' }); // the end of b: its last mark sounds with its last sample
    await expectPlayedOut(rig, 1, cutThenWhole(a, b), FADE);
    expect(echoes(socket)).toEqual(['a1', 'a2', 'b1']);
    expect(accounting(rig)).toMatchObject({ received: 5600, stale: 2000 });
  });

  it("an interrupt() while the stream is silent (the app's VAD, nothing sounding) holds nothing back: the next media plays without a clear", async () => {
    const { rig, player } = servicePlayer({ sampleRate: 8000 });
    const socket = new ScriptedSocket();
    connectTwilio(player, socket);
    const b = speech(55, 1600);
    player.interrupt();
    socket.json(media(b.bytes));
    socket.json(mark('b1'));
    socket.json({ event: 'stop', streamSid: 'MZ1' });
    await expectPlayedOut(rig, 1, [{ signal: b.floats, whole: true }], FADE);
    expect(echoes(socket)).toEqual(['b1']);
    expect(accounting(rig)).toMatchObject({ received: 1600, played: 1600, stale: 0 });
  });
});
