/**
 * Formats beyond raw PCM, end to end: G.711 μ-law in voxplay frames over a real WebSocket,
 * and a WAV stream through push(), each in random-sized pieces, captured at the output of a
 * context at the codec's own rate and compared sample by sample with sox's decode of the
 * same file (test/fixtures, made by sox from real speech). Then a WAV the player cannot
 * play: a typed error, the utterance ends, the next one plays.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OggDemuxer } from '../../src/codecs/ogg';
import { encodeFrame, type AudioFormat } from '../../src/protocol/index';
import { useSuite } from './fixture';
import {
  bestAlignment,
  countGaps,
  ENGINE,
  findActiveRegion,
  mulberry32,
  openPage,
  randomChunks,
  REPO_ROOT,
  snrAgainst,
  withoutSkips,
  type StreamStep,
} from './harness';

const suite = useSuite();
const fixture = (name: string) => new Uint8Array(readFileSync(join(REPO_ROOT, 'test', 'fixtures', name)));

/** The capture with the fake sink's skipped frames removed, starting at the first sound. */
function heard(out: { samples: number[]; startFrame: number; skips: { frame: number; frames: number }[] }): Float32Array {
  const captured = withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
  const active = findActiveRegion(captured, 0);
  return active ? captured.subarray(active.start) : new Float32Array(0);
}

/** Mismatching samples of `ref` (from its first non-zero sample) against `got`. */
function mismatches(ref: Float32Array, got: Float32Array): number {
  const first = ref.findIndex((x) => x !== 0);
  let bad = 0;
  for (let i = first; i < ref.length; i++) if (got[i - first] !== ref[i]) bad++;
  return bad;
}

/** One voxplay frame per payload (utterance 1, in order, start and end flagged), `delayMs` apart. */
function frameSteps(payloads: readonly Uint8Array[], codec: AudioFormat, sampleRate: number, delayMs: number): StreamStep[] {
  return payloads.map((data, seq) => ({
    delayMs,
    data: encodeFrame({ codec, sampleRate, utteranceId: 1, seq, start: seq === 0, end: seq === payloads.length - 1 }, data) as unknown as string,
  }));
}

/** Plays `steps` from the stream server into a fixture player (context at `contextRate`) until `ended` or `error`; returns the result and the page's errors. */
async function playOverSocket(steps: StreamStep[], contextRate: number, player: object): Promise<{ out: any; errors: string[] }> {
  const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
  const connection = suite.stream.waitForConnection();
  await opened.page.evaluate(
    async ({ url, contextRate, player }) => {
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate, player });
      fx.player.attach(new WebSocket(url));
    },
    { url: suite.stream.url, contextRate, player },
  );
  const conn = await connection;
  await conn.play(steps);
  const out = await opened.page.evaluate(async () => {
    const fx = (globalThis as any).fx;
    await fx.waitFor((e: any) => e.type === 'ended' || e.type === 'error');
    await new Promise((r) => setTimeout(r, 200));
    return fx.result();
  });
  await opened.close();
  return { out, errors: opened.errors };
}

/** Pushes `bytes` as one utterance of `format` in random pieces of 1…maxPiece bytes into a fixture player (context at `contextRate`) until `ended` or `error`. */
async function pushInPieces(bytes: Uint8Array, format: string, contextRate: number, maxPiece: number, seed: number): Promise<{ out: any; errors: string[] }> {
  const pieces = randomChunks(bytes, mulberry32(seed), 1, maxPiece);
  const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
  const out = await opened.page.evaluate(
    async ({ pieces, format, contextRate }) => {
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate, player: { prebufferMs: 100 } });
      for (const piece of pieces) fx.player.push(piece, { utteranceId: 'p', format });
      fx.player.endUtterance('p');
      await fx.waitFor((e: any) => e.type === 'ended' || e.type === 'error');
      await new Promise((r) => setTimeout(r, 200));
      return fx.result();
    },
    { pieces, format, contextRate },
  );
  await opened.close();
  return { out, errors: opened.errors };
}

describe(`codecs in ${ENGINE}`, () => {
  it('μ-law at 8 kHz in voxplay frames of random size over a WebSocket plays bit-exactly (sox’s decode), ends once', async () => {
    const coded = fixture('speech-8k.ulaw');
    const refBytes = fixture('speech-8k.ulaw.ref.s16le');
    const ref = Float32Array.from(new Int16Array(refBytes.buffer, refBytes.byteOffset, refBytes.length / 2), (x) => x / 32768);
    const steps = frameSteps(randomChunks(coded, mulberry32(41), 1, 700), 'mulaw', 8000, 10);
    const { out, errors } = await playOverSocket(steps, 8000, { sampleRate: 8000, prebufferMs: 100 });
    expect(errors).toEqual([]);
    expect(out.events.filter((e: any) => e.type === 'error')).toEqual([]);
    expect(mismatches(ref, heard(out))).toBe(0);
    const ended = out.events.filter((e: any) => e.type === 'ended');
    expect(ended.map((e: any) => e.detail.playedSamples)).toEqual([ref.length]);
    expect(out.metrics.samples).toMatchObject({ received: ref.length, played: ref.length, dropped: 0 });
  });

  it('a WAV stream (16 kHz s16, header and all) pushed in random pieces plays bit-exactly at the rate its header names', async () => {
    const wav = fixture('speech-16k-s16.wav');
    const refBytes = fixture('speech-16k-s16.ref.f32le');
    const ref = new Float32Array(refBytes.slice().buffer);
    // The player's declared rate is 24 kHz; the header says 16 kHz and wins.
    const { out, errors } = await pushInPieces(wav, 'wav', 16000, 900, 9);
    expect(errors).toEqual([]);
    expect(out.events.filter((e: any) => e.type === 'error')).toEqual([]);
    expect(out.events.find((e: any) => e.type === 'utterancestart').detail.format).toBe('wav');
    expect(mismatches(ref, heard(out))).toBe(0);
    expect(out.events.filter((e: any) => e.type === 'ended').map((e: any) => e.detail.playedSamples)).toEqual([ref.length]);
  });

  it('an Ogg Opus stream (opusenc) pushed in random pieces: WebCodecs decode, pre-skip and end trim exact in length, ≥ 60 dB against opusdec', async () => {
    const opus = fixture('speech-48k.opus');
    const refBytes = fixture('speech-48k.opus.ref.f32le');
    const ref = new Float32Array(refBytes.slice().buffer);
    const { out, errors } = await pushInPieces(opus, 'ogg-opus', 48000, 400, 3);
    expect(out.events.filter((e: any) => e.type === 'error').map((e: any) => e.detail.message)).toEqual([]);
    expect(errors).toEqual([]);
    // Exact length: pre-skip dropped at the start, the final granule's trim at the end.
    const ended = out.events.filter((e: any) => e.type === 'ended').map((e: any) => e.detail.playedSamples);
    expect(ended).toEqual([ref.length]);
    const captured = withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
    const at = bestAlignment(ref, captured);
    expect(at).not.toBeNull();
    const snr = snrAgainst(ref, captured, at!.offset);
    console.log(`[ogg-opus] ${ref.length} samples at 48 kHz, SNR against opusdec ${snr.toFixed(1)} dB`);
    expect(snr).toBeGreaterThanOrEqual(60);
    expect(countGaps(captured, at!.offset, at!.offset + ref.length, 64, 0)).toBe(0);
  });

  it('raw Opus packets, one per voxplay frame over a WebSocket: decoded by WebCodecs as they come, untrimmed, ≥ 60 dB against opusdec after alignment', async () => {
    // The fixture's packets, taken out of their Ogg pages here (the server side).
    const packets = new OggDemuxer().push(fixture('speech-48k.opus'));
    const preSkip = new DataView(packets[0].data.buffer, packets[0].data.byteOffset).getUint16(10, true);
    const audio = packets.slice(2).map((p) => p.data);
    const refBytes = fixture('speech-48k.opus.ref.f32le');
    const ref = new Float32Array(refBytes.slice().buffer);
    const steps = frameSteps(audio, 'opus', 48000, 5);
    const { out, errors } = await playOverSocket(steps, 48000, { prebufferMs: 100 });
    expect(errors).toEqual([]);
    expect(out.events.filter((e: any) => e.type === 'error').map((e: any) => e.detail.message)).toEqual([]);
    // Every packet is 20 ms (960 samples at 48 kHz); nothing is trimmed without an OpusHead.
    const played = out.events.find((e: any) => e.type === 'ended').detail.playedSamples;
    expect(played).toBe(audio.length * 960);
    expect(played).toBeGreaterThanOrEqual(ref.length + preSkip);
    const captured = withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
    const at = bestAlignment(ref, captured);
    expect(at).not.toBeNull();
    const snr = snrAgainst(ref, captured, at!.offset);
    console.log(`[opus] ${audio.length} packets, ${played} samples (pre-skip ${preSkip} not trimmed), SNR against opusdec ${snr.toFixed(1)} dB`);
    expect(snr).toBeGreaterThanOrEqual(60);
  });

  it('Ogg Opus cut by interrupt() while WebCodecs still decodes: nothing of it plays later, it is counted, the next utterance plays; bytes that are not Ogg are one bad-frame error', async () => {
    const opus = fixture('speech-48k.opus');
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    const out = await opened.page.evaluate(
      async ({ opus }) => {
        const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
        const fx = await setupPlayer({ contextRate: 48000, player: { prebufferMs: 100 } });
        fx.player.push(opus, { utteranceId: 'cut', format: 'ogg-opus' });
        fx.player.interrupt(); // the decode is still in flight
        const notOgg = new TextEncoder().encode('ID3\u0004 an mp3 pretending to be ogg, long enough for a page header');
        fx.player.push(notOgg, { utteranceId: 'bad', format: 'ogg-opus' });
        fx.player.push(notOgg, { utteranceId: 'bad', format: 'ogg-opus' });
        fx.player.endUtterance('bad');
        fx.player.push(new Int16Array(2400).fill(1000), { utteranceId: 'good' });
        fx.player.endUtterance('good');
        await fx.waitFor((e: any) => e.type === 'ended' && e.detail.utteranceId === 'good');
        await new Promise((r) => setTimeout(r, 300));
        return fx.result();
      },
      { opus },
    );
    await opened.close();
    const errors = out.events.filter((e: any) => e.type === 'error').map((e: any) => e.detail);
    expect(errors.map((e: any) => [e.code, e.utteranceId])).toEqual([['bad-frame', 'bad']]);
    expect(errors[0].message).toMatch(/not an Ogg stream: a page starts with "ID3/);
    // Only the good utterance sounded: 2400 samples at 24 kHz are 4800 frames at 48 kHz.
    const captured = withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
    const active = findActiveRegion(captured, 0)!;
    expect(active.end - active.start).toBeLessThanOrEqual(4800 + 128);
    const s = out.metrics.samples;
    expect(s.received).toBe(s.played + s.buffered + s.dropped);
    expect(s.stale).toBeGreaterThanOrEqual(48000 - 1); // the whole decoded Opus utterance, counted
  });

  it('a WAV it cannot play (ADPCM) is an unsupported-codec error naming the format; the utterance ends and the next plays', async () => {
    const adpcm = fixture('speech-16k-s16.wav').slice();
    new DataView(adpcm.buffer).setUint16(20, 2, true); // format tag 2: MS ADPCM
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    const out = await opened.page.evaluate(
      async ({ adpcm }) => {
        const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
        const fx = await setupPlayer({ contextRate: 24000, player: { prebufferMs: 20 } });
        fx.player.push(adpcm.subarray(0, 100), { utteranceId: 'bad', format: 'wav' });
        fx.player.push(adpcm.subarray(100), { utteranceId: 'bad', format: 'wav' });
        fx.player.endUtterance('bad');
        fx.player.push(new Int16Array(2400).fill(1000), { utteranceId: 'good' });
        fx.player.endUtterance('good');
        await fx.waitFor((e: any) => e.type === 'ended' && e.detail.utteranceId === 'good');
        return fx.result();
      },
      { adpcm },
    );
    await opened.close();
    const errors = out.events.filter((e: any) => e.type === 'error').map((e: any) => e.detail);
    expect(errors.map((e: any) => e.code)).toEqual(['unsupported-codec']);
    expect(errors[0].message).toMatch(/utterance "bad" \(wav\): WAV with format tag 2, 16 bits, 1 channels at 16000 Hz is not supported/);
    expect(errors[0].utteranceId).toBe('bad');
    const good = out.events.find((e: any) => e.type === 'ended' && e.detail.utteranceId === 'good');
    expect(good.detail.playedSamples).toBe(2400);
  });
});
