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

/**
 * Pushes `bytes` as one utterance of `format` in random pieces of 1…maxPiece bytes into a
 * fixture player (context at `contextRate`) until `ended` or `error`. With `leadIn`, a PCM
 * utterance of that many samples at `contextRate` plays first (a marker of constant 0.25),
 * so the coded utterance's first sample is the one right after it (utterances are gapless).
 * With `noWebCodecs`, the page has no AudioDecoder. Also returns the file names of the
 * resources the page loaded (which decoder chunks ran).
 */
async function pushInPieces(
  bytes: Uint8Array,
  format: string,
  contextRate: number,
  maxPiece: number,
  seed: number,
  { leadIn = 0, noWebCodecs = false }: { leadIn?: number; noWebCodecs?: boolean } = {},
): Promise<{ out: any; errors: string[]; chunks: string[] }> {
  const pieces = randomChunks(bytes, mulberry32(seed), 1, maxPiece);
  const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
  const out = await opened.page.evaluate(
    async ({ pieces, format, contextRate, leadIn, noWebCodecs }) => {
      if (noWebCodecs) delete (globalThis as any).AudioDecoder; // as in Safari before 26
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate, player: { prebufferMs: 100 } });
      // With a lead-in, the context waits until everything is decoded, so no underrun can
      // sit between the marker and the coded utterance.
      if (leadIn > 0) {
        await fx.context.suspend();
        fx.player.push(new Float32Array(leadIn).fill(0.25), { utteranceId: 'lead-in', format: 'f32', sampleRate: contextRate });
        fx.player.endUtterance('lead-in');
      }
      for (const piece of pieces) fx.player.push(piece, { utteranceId: 'p', format });
      fx.player.endUtterance('p');
      if (leadIn > 0) {
        let received = -1;
        while (received !== fx.player.getMetrics().samples.received) {
          received = fx.player.getMetrics().samples.received;
          await new Promise((r) => setTimeout(r, 300));
        }
        await fx.context.resume();
      }
      await fx.waitFor((e: any) => (e.type === 'ended' && e.detail.utteranceId === 'p') || e.type === 'error');
      await new Promise((r) => setTimeout(r, 200));
      // The library chunks this page loaded (which decoder ran).
      const chunks = performance.getEntriesByType('resource').map((e) => e.name.split('/').pop()!);
      return { ...(await fx.result()), chunks };
    },
    { pieces, format, contextRate, leadIn, noWebCodecs },
  );
  await opened.close();
  return { out, errors: opened.errors, chunks: out.chunks };
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

  for (const { format, file, decoded, notIt } of [
    { format: 'ogg-opus', file: 'speech-48k.opus', decoded: 48000, notIt: /not an Ogg stream: a page starts with "ID3/ },
    { format: 'mp3', file: 'speech-44k.mp3', decoded: 44100, notIt: /not an MP3 stream: no MPEG audio frame in its first 4096 bytes/ },
  ]) {
    it(`${format} cut by interrupt() while it still decodes: nothing of it plays later, it is counted, the next utterance plays; bytes that are not ${format} are one bad-frame error`, async () => {
      const coded = fixture(file);
      const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
      const out = await opened.page.evaluate(
        async ({ coded, format }) => {
          const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
          const fx = await setupPlayer({ contextRate: 48000, player: { prebufferMs: 100 } });
          fx.player.push(coded, { utteranceId: 'cut', format });
          fx.player.interrupt(); // the decode is still in flight
          const notIt = new TextEncoder().encode('ID3\u0004 an mp3 pretending to be ogg, long enough for a page header. '.repeat(80));
          fx.player.push(notIt.subarray(0, 3000), { utteranceId: 'bad', format });
          fx.player.push(notIt.subarray(3000), { utteranceId: 'bad', format });
          fx.player.endUtterance('bad');
          fx.player.push(new Int16Array(2400).fill(1000), { utteranceId: 'good' });
          fx.player.endUtterance('good');
          await fx.waitFor((e: any) => e.type === 'ended' && e.detail.utteranceId === 'good');
          await new Promise((r) => setTimeout(r, 300));
          return fx.result();
        },
        { coded, format },
      );
      await opened.close();
      const errors = out.events.filter((e: any) => e.type === 'error').map((e: any) => e.detail);
      expect(errors.map((e: any) => [e.code, e.utteranceId])).toEqual([['bad-frame', 'bad']]);
      expect(errors[0].message).toMatch(notIt);
      // Only the good utterance sounded: 2400 samples at 24 kHz are 4800 frames at 48 kHz.
      const captured = withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
      const active = findActiveRegion(captured, 0)!;
      expect(active.end - active.start).toBeLessThanOrEqual(4800 + 128);
      const s = out.metrics.samples;
      expect(s.received).toBe(s.played + s.buffered + s.dropped);
      expect(s.stale).toBeGreaterThanOrEqual(decoded - 1); // the whole decoded utterance, counted
    });
  }

  // mpg123 (the reference) trims a LAME tag's delay and padding as voxplay does; without a
  // tag it trims nothing, where voxplay still drops the decoder's 529-sample delay.
  // WebKitGTK's WebCodecs accepts MP3 but fails every frame, so there the WASM decoder runs.
  for (const { file, rate, maxPiece, what, trimmed, noWebCodecs } of [
    { file: 'speech-44k.mp3', rate: 44100, maxPiece: 700, what: 'A LAME-tagged 44.1 kHz MP3 (ID3v2, Info tag, ID3v1)', trimmed: 0, noWebCodecs: false },
    { file: 'speech-24k-stream.mp3', rate: 24000, maxPiece: 300, what: 'An untagged 24 kHz MPEG-2 stream (LAME to a pipe)', trimmed: 529, noWebCodecs: false },
    {
      file: 'speech-44k.mp3',
      rate: 44100,
      maxPiece: 500,
      what: 'A LAME-tagged MP3 in a page without WebCodecs (Safari before 26)',
      trimmed: 0,
      noWebCodecs: true,
    },
  ]) {
    const wasm = noWebCodecs || ENGINE === 'webkit';
    it(`${what} pushed in random pieces: ${wasm ? 'WASM (mpg123)' : 'WebCodecs'} decode, first and last sample where mpg123 has them, ≥ 60 dB`, async () => {
      const mp3 = fixture(file);
      const refBytes = fixture(`${file}.ref.f32le`);
      const ref = new Float32Array(refBytes.slice().buffer);
      const leadIn = 480;
      const { out, errors, chunks } = await pushInPieces(mp3, 'mp3', rate, maxPiece, 5, { leadIn, noWebCodecs });
      // When and where an error came (WebKitGTK's stall guard fired here in 2 CI runs: at start-up,
      // while suspended for the decode, or after the resume?), with the player's states.
      const states = out.events.filter((e: any) => e.type === 'statechange').map((e: any) => `${e.detail.state} at frame ${e.frame}, ${Math.round(e.at)} ms`);
      expect(
        out.events.filter((e: any) => e.type === 'error').map((e: any) => `${e.detail.message} (at frame ${e.frame}, ${Math.round(e.at)} ms)`),
        `the player's states: ${states.join('; ')}`,
      ).toEqual([]);
      expect(errors).toEqual([]);
      expect(chunks.some((name) => name.startsWith('mp3-wasm'))).toBe(wasm);
      const played = out.events.filter((e: any) => e.type === 'ended' && e.detail.utteranceId === 'p').map((e: any) => e.detail.playedSamples);
      expect(played).toEqual([ref.length - trimmed]); // the end: exact
      const captured = withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
      const first = findActiveRegion(captured, 0)!.start + leadIn; // the MP3's first sample, right after the marker
      const at = bestAlignment(ref, captured, { window: 8000 });
      expect(at).not.toBeNull();
      expect(at!.offset).toBe(first - trimmed); // the start: exact
      // At a fixed start over the whole length: a gap anywhere would shift the rest and sink the SNR.
      const snr = snrAgainst(ref.subarray(trimmed), captured, first);
      console.log(
        `[mp3 ${file}${wasm ? ', wasm' : ''}] ${played[0]} samples at ${rate} Hz, ${trimmed} fewer than mpg123 at the start, SNR against mpg123 ${snr.toFixed(1)} dB`,
      );
      expect(snr).toBeGreaterThanOrEqual(60);
    });
  }

  it('Ogg Opus in a page without WebCodecs (Safari before 26): one unsupported-codec error naming what is missing; nothing plays, the accounting holds', async () => {
    const { out, errors } = await pushInPieces(fixture('speech-48k.opus'), 'ogg-opus', 48000, 400, 4, { noWebCodecs: true });
    expect(errors).toEqual([]);
    const reported = out.events.filter((e: any) => e.type === 'error').map((e: any) => e.detail);
    expect(reported.map((e: any) => [e.code, e.utteranceId])).toEqual([['unsupported-codec', 'p']]);
    expect(reported[0].message).toMatch(/this browser has no WebCodecs AudioDecoder, which voxplay uses to decode Opus/);
    const s = out.metrics.samples;
    expect(s.played).toBe(0);
    expect(s.received).toBe(s.played + s.buffered + s.dropped);
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
