/**
 * Reliability suite, part 1: bad input (issue #5). Every case runs the real player in
 * Chromium, checks that the bad input is reported (typed `error` event or thrown Error
 * naming the problem), that good audio around it still plays sample-exactly, and the
 * accounting: received = played + buffered + dropped, from the player's counters (checked
 * continuously by the page fixture) and from the captured output.
 *
 * Cases and results are listed in docs/reliability.md.
 */
import {
  captured,
  compareExact,
  droppedEvents,
  droppedSamples,
  errorEvents,
  expectAccounting,
  fromBase64F32,
  type Ev,
  type RigResult,
  pageHeap,
} from './reliability-rig';
import { describe, expect, it } from 'vitest';
import { concat as concatParts } from '../../src/codecs/concat';
import { useSuite } from './fixture';
import { decodeFrame, encodeControl, encodeFrame, HEADER_BYTES, MAX_FRAME_BYTES } from '../../src/protocol/index';
import {
  chirp,
  mulberry32,
  openPage,
  quantizePcm16,
  fromPcm16,
  randomChunks,
  sine,
  snrAgainst,
  toF32le,
  toPcm16,
  type OpenedPage,
  type StreamStep,
} from './harness';
import type { TestPage } from './engines/types';

const RATE = 24000;
const FIXTURE = '/test/browser/pages/reliability-fixture.js';

const suite = useSuite({ launch: { args: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] } });

// ---- node-side helpers ------------------------------------------------------------------

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** Framed steps of one utterance from byte chunks. */
function framed(chunks: Uint8Array[], utteranceId: number, codec: 'pcm16' | 'f32' = 'pcm16', rate = RATE): Uint8Array[] {
  return chunks.map((payload, i) => encodeFrame({ codec, sampleRate: rate, utteranceId, seq: i, start: i === 0, end: i === chunks.length - 1 }, payload));
}

function speechLike(seconds: number, rate = RATE): Float32Array {
  const a = sine(440, rate, seconds / 2, 0.5);
  const b = chirp(200, 4000, rate, seconds / 2, 0.5);
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return quantizePcm16(out);
}

/** Opens a page with one player (rig) attached to the scripted stream server; returns the page and the connection. */
async function rigWithSocket(playerOptions: object, contextRate = RATE, framing: 'voxplay' | 'raw' = 'voxplay') {
  const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
  const connection = suite.stream.waitForConnection();
  await opened.page.evaluate(
    async ({ fixture, contextRate, playerOptions, url, framing }) => {
      const { createRig } = await (globalThis as any).importModule(fixture);
      const rig = await createRig({ contextRate, players: [playerOptions] });
      rig.players[0].player.attach(new WebSocket(url), { framing });
    },
    { fixture: FIXTURE, contextRate, playerOptions, url: suite.stream.url, framing },
  );
  return { opened, conn: await connection };
}

/**
 * Plays `steps` to a fresh rig until the utterance ended (then waits `settleMs` more) and
 * returns the rig's result with the page's console errors.
 */
async function playToEnd(
  playerOptions: object,
  steps: StreamStep[],
  { contextRate = RATE, framing = 'voxplay', settleMs = 0 }: { contextRate?: number; framing?: 'voxplay' | 'raw'; settleMs?: number } = {},
): Promise<{ r: RigResult; pageErrors: string[] }> {
  const { opened, conn } = await rigWithSocket(playerOptions, contextRate, framing);
  await conn.play(steps);
  await waitEnded(opened.page);
  if (settleMs > 0) await opened.page.waitForTimeout(settleMs);
  const r = await rigResult(opened.page);
  await opened.close();
  return { r, pageErrors: opened.errors };
}

async function waitEnded(page: TestPage, count = 1, timeoutMs = 30000): Promise<void> {
  await page.evaluate(
    ({ count, timeoutMs }) =>
      (globalThis as any).rig.waitFor(0, () => (globalThis as any).rig.players[0].log.events.filter((e: Ev) => e.type === 'ended').length >= count, timeoutMs),
    { count, timeoutMs },
  );
}

async function rigResult(page: TestPage, k = 0): Promise<RigResult> {
  return page.evaluate((k) => (globalThis as any).rig.result(k), k);
}

/** Runs `feed` (page-side source text of an async function (player, voxplay, args)) into an OfflineAudioContext. */
async function offline(
  opened: OpenedPage,
  args: { seconds: number; rate?: number; player?: object; data?: Record<string, Uint8Array> },
  feed: (player: any, voxplay: any, data: Record<string, Uint8Array>) => Promise<unknown>,
) {
  return opened.page.evaluate(
    async ({ fixture, seconds, rate, player, data, feedSource }) => {
      const { renderOffline, base64ToBytes } = await (globalThis as any).importModule(fixture);
      const bytes: Record<string, Uint8Array> = {};
      for (const [k, v] of Object.entries(data)) bytes[k] = base64ToBytes(v as string);
      // The feed is passed as source text: page.evaluate cannot carry a closure.
      const fn = (0, eval)(`(${feedSource})`);
      return renderOffline({ rate, seconds, player, feed: (p: any, v: any) => fn(p, v, bytes) });
    },
    {
      fixture: FIXTURE,
      seconds: args.seconds,
      rate: args.rate ?? RATE,
      player: args.player ?? {},
      data: Object.fromEntries(Object.entries(args.data ?? {}).map(([k, v]) => [k, b64(v)])),
      feedSource: feed.toString(),
    },
  );
}

// ---- fuzzed frames -----------------------------------------------------------------------

/** Mutated and random binary messages that decodeFrame rejects (valid mutants are skipped). */
function fuzzFrames(rng: () => number, count: number, templates: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const pick = () => templates[Math.floor(rng() * templates.length)];
  const rates = [0, 1, 7999, 8000 - 1, 48001, 96000, 192000, 0xffffffff, 0x80000000];
  while (out.length < count) {
    const kind = Math.floor(rng() * 11);
    let f: Uint8Array;
    switch (kind) {
      case 0: // random bytes, 0..63 long
        f = new Uint8Array(Math.floor(rng() * 64)).map(() => Math.floor(rng() * 256));
        break;
      case 1: // truncated header
        f = pick().slice(0, Math.floor(rng() * HEADER_BYTES));
        break;
      case 2: // bad magic
        f = pick().slice();
        f[Math.floor(rng() * 2)] ^= 1 + Math.floor(rng() * 255);
        break;
      case 3: // unknown version
        f = pick().slice();
        f[2] = [0, 2, 3, 0x7f, 0xff][Math.floor(rng() * 5)];
        break;
      case 4: // unknown codec
        f = pick().slice();
        f[3] = [0, 3, 4, 0x10, 0xff][Math.floor(rng() * 5)];
        break;
      case 5: // unknown flag bits
        f = pick().slice();
        f[4] |= 4 << Math.floor(rng() * 6);
        break;
      case 6: // reserved bytes set
        f = pick().slice();
        f[5 + Math.floor(rng() * 3)] = 1 + Math.floor(rng() * 255);
        break;
      case 7: // wrong sample rate
        f = pick().slice();
        new DataView(f.buffer).setUint32(8, rates[Math.floor(rng() * rates.length)], true);
        break;
      case 8: // header only, not an end frame
        f = pick().slice(0, HEADER_BYTES);
        f[4] &= ~2;
        break;
      case 9: // random bit flips in the header
        f = pick().slice();
        for (let k = 1 + Math.floor(rng() * 6); k > 0; k--) f[Math.floor(rng() * HEADER_BYTES)] ^= 1 << Math.floor(rng() * 8);
        break;
      default: // a valid-looking header followed by a random tail, with one header byte randomised
        f = pick().slice();
        f[Math.floor(rng() * 12)] = Math.floor(rng() * 256);
        break;
    }
    if (!decodeFrame(f).ok) out.push(f);
  }
  return out;
}

describe('reliability: bad input', () => {
  it('fuzzed frames through the socket (2000 mutants and one over 4 MiB) interleaved with good audio: each reported, good audio exact', async () => {
    const rng = mulberry32(2024);
    const source = speechLike(2);
    const good = framed(randomChunks(toPcm16(source), rng, 1, 3001), 77);
    const fuzz = fuzzFrames(rng, 2000, good);
    // An absurd length: just over the 4 MiB frame limit, with a valid header (one is
    // enough: Chromium takes ~0.1–0.3 s to deliver each such message).
    for (const extra of [1]) {
      const big = new Uint8Array(MAX_FRAME_BYTES + extra);
      big.set(good[1].subarray(0, HEADER_BYTES));
      fuzz.push(big);
    }
    const per = Math.ceil(fuzz.length / good.length);
    const steps: StreamStep[] = [];
    const sentFuzz: Uint8Array[] = [];
    good.forEach((frame, i) => {
      for (const f of fuzz.slice(i * per, (i + 1) * per)) {
        steps.push({ delayMs: 0, data: f });
        sentFuzz.push(f);
      }
      steps.push({ delayMs: 10, data: frame });
    });
    const expectedCodes = sentFuzz.map((f) => {
      const d = decodeFrame(f);
      return d.ok ? 'ok' : d.error.code;
    });
    // The prebuffer holds the whole utterance: Chromium takes ~100–250 ms to deliver each
    // 4 MiB message, and this case is about what plays, not about delivery timing.
    const { r, pageErrors } = await playToEnd({ prebufferMs: 2500 }, steps);
    expect(pageErrors).toEqual([]);
    expect(r.metrics.underruns).toBe(0);
    const errors = errorEvents(r);
    expect(errors.length).toBe(sentFuzz.length);
    expect(errors.every((e) => e.code === 'bad-frame')).toBe(true);
    // Each error names the decoder's reason, in send order.
    expect(errors.map((e) => /malformed frame \(([a-z-]+)\)/.exec(e.message)?.[1])).toEqual(expectedCodes);
    const cmp = compareExact(source, captured(r));
    expect(cmp).toMatchObject({ mismatches: 0, extra: 0 });
    const s = r.metrics.samples;
    expect(s.received).toBe(source.length);
    expect(s.played).toBe(source.length);
    expect(s.dropped).toBe(0);
    expect(r.metrics.errors).toBe(sentFuzz.length);
    expectAccounting(r);
    const byCode = new Map<string, number>();
    for (const c of expectedCodes) byCode.set(c, (byCode.get(c) ?? 0) + 1);
    console.log(
      `[fuzz] ${sentFuzz.length} rejected frames (${[...byCode].map(([k, v]) => `${k} ${v}`).join(', ')}), ${good.length} good frames: ${source.length} samples exact`,
    );
  });

  it('PCM16 frames of every odd byte count 1…599 through the socket play sample-exactly', async () => {
    // 300 frames of 1, 3, 5, … 599 bytes = 90 000 bytes = 45 000 samples.
    const source = speechLike(45000 / RATE);
    const pcm = toPcm16(source);
    const chunks: Uint8Array[] = [];
    let at = 0;
    for (let size = 1; at < pcm.length; size += 2) {
      chunks.push(pcm.slice(at, at + size));
      at += size;
    }
    expect(chunks.length).toBe(300);
    const { r, pageErrors } = await playToEnd(
      { prebufferMs: 2500 },
      framed(chunks, 5).map((data) => ({ delayMs: 3, data })),
    );
    expect(pageErrors).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(compareExact(source, captured(r))).toMatchObject({ mismatches: 0, extra: 0 });
    expect(r.metrics.samples.played).toBe(source.length);
    expectAccounting(r);
  });

  it('push() of every odd PCM16 byte count and every f32 byte count 1…15 plays sample-exactly (OfflineAudioContext)', async () => {
    const a = speechLike(45000 / RATE);
    const b = quantizePcm16(sine(523, RATE, 1, 0.4)); // f32 (already representable)
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    const r = await offline(opened, { seconds: 3.2, data: { a: toPcm16(a), b: toF32le(b) } }, async (player, _v, data) => {
      let at = 0;
      for (let size = 1; at < data.a.length; size += 2) {
        player.push(data.a.subarray(at, at + size), { utteranceId: 'odd16' });
        at += size;
      }
      player.endUtterance('odd16');
      at = 0;
      for (let k = 0; at < data.b.length; k++) {
        const size = 1 + (k % 15);
        player.push(data.b.subarray(at, at + size), { utteranceId: 'f32', format: 'f32' });
        at += size;
      }
      player.endUtterance('f32');
    });
    await opened.close();
    expect(opened.errors).toEqual([]);
    expect(r.errors).toEqual([]);
    const out = fromBase64F32(r.output);
    const both = new Float32Array(a.length + b.length);
    both.set(a, 0);
    both.set(b, a.length);
    expect(compareExact(both, out)).toMatchObject({ mismatches: 0, extra: 0 });
    const ended = r.events.filter((e: Ev) => e.type === 'ended').map((e: Ev) => [e.detail.utteranceId, e.detail.playedSamples]);
    expect(ended).toEqual([
      ['odd16', a.length],
      ['f32', b.length],
    ]);
    expectAccounting(r);
  });

  it('empty frames: push() of 0 bytes, an empty raw message, a header-only non-end frame are reported; an empty end frame just ends', async () => {
    const source = quantizePcm16(sine(440, RATE, 0.6, 0.5));
    const pcm = toPcm16(source);
    const half = pcm.length / 2;
    // Framed socket: header-only non-end frame (bad-frame: empty-payload), then an empty END frame closes utterance 8.
    const headerOnly = encodeFrame({ codec: 'pcm16', sampleRate: RATE, utteranceId: 8, seq: 1, start: false, end: true }, new Uint8Array(0)).slice();
    headerOnly[4] = 0; // no flags: an empty middle frame
    const steps: StreamStep[] = [
      { delayMs: 0, data: encodeFrame({ codec: 'pcm16', sampleRate: RATE, utteranceId: 8, seq: 0, start: true, end: false }, pcm.subarray(0, half)) },
      { delayMs: 5, data: headerOnly },
      { delayMs: 5, data: encodeFrame({ codec: 'pcm16', sampleRate: RATE, utteranceId: 8, seq: 1, start: false, end: false }, pcm.subarray(half)) },
      { delayMs: 5, data: encodeFrame({ codec: 'pcm16', sampleRate: RATE, utteranceId: 8, seq: 2, start: false, end: true }, new Uint8Array(0)) },
    ];
    const { r: r1 } = await playToEnd({ prebufferMs: 1000 }, steps);
    expect(errorEvents(r1).map((e) => e.code)).toEqual(['bad-frame']);
    expect(errorEvents(r1)[0].message).toMatch(/empty-payload/);
    expect(compareExact(source, captured(r1))).toMatchObject({ mismatches: 0, extra: 0 });
    expect(r1.events.filter((e) => e.type === 'ended').map((e) => e.detail.playedSamples)).toEqual([source.length]);
    expectAccounting(r1);

    // Raw socket: an empty binary message inside a start/end bracket.
    const { r: r2 } = await playToEnd(
      { prebufferMs: 1000 },
      [
        { delayMs: 0, data: encodeControl({ type: 'start', utteranceId: 'raw-e' }) },
        { delayMs: 5, data: pcm.slice(0, half) },
        { delayMs: 5, data: new Uint8Array(0) },
        { delayMs: 5, data: pcm.slice(half) },
        { delayMs: 5, data: encodeControl({ type: 'end', utteranceId: 'raw-e' }) },
      ],
      { framing: 'raw' },
    );
    expect(errorEvents(r2).map((e) => e.code)).toEqual(['empty-chunk']);
    expect(errorEvents(r2)[0].message).toMatch(/empty chunk.*raw-e/);
    expect(compareExact(source, captured(r2))).toMatchObject({ mismatches: 0, extra: 0 });
    expectAccounting(r2);

    // push(): 0 bytes (ArrayBuffer, typed array, DataView) between good chunks.
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    const r3 = await offline(opened, { seconds: 1, data: { pcm: toPcm16(source) } }, async (player, _v, data) => {
      const results = [player.push(new ArrayBuffer(0), { utteranceId: 'p' })];
      results.push(player.push(data.pcm.subarray(0, 1000), { utteranceId: 'p' }));
      results.push(player.push(new Uint8Array(0), { utteranceId: 'p' }));
      results.push(player.push(new DataView(new ArrayBuffer(0)), { utteranceId: 'p' }));
      results.push(player.push(data.pcm.subarray(1000), { utteranceId: 'p' }));
      player.endUtterance('p');
      return results;
    });
    await opened.close();
    expect(r3.errors).toEqual(['empty-chunk', 'empty-chunk', 'empty-chunk']);
    expect(r3.fed).toEqual([true, true, true, true, true]);
    expect(compareExact(source, fromBase64F32(r3.output))).toMatchObject({ mismatches: 0, extra: 0 });
    expectAccounting(r3);
  });

  it('a single frame larger than the whole buffer: push() refuses it (nothing taken), the socket drops it counted as overflow; good audio continues', async () => {
    const source = quantizePcm16(sine(440, RATE, 0.9, 0.5));
    const pcm = toPcm16(source);
    const third = 0.2 * RATE * 2; // bytes of 200 ms
    const huge = new Uint8Array(0.6 * RATE * 2).fill(0x11); // 600 ms of audio > maxBufferMs 500
    // push(): refused, returns false, nothing counted; the rest of the utterance is exact.
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    const r1 = await offline(opened, { seconds: 1.4, player: { maxBufferMs: 500 }, data: { pcm, huge } }, async (player, _v, data) => {
      const out = [player.push(data.pcm.subarray(0, 7200), { utteranceId: 'u' })];
      out.push(player.push(data.huge, { utteranceId: 'u' }));
      out.push(player.getMetrics().samples.received);
      out.push(player.push(data.pcm.subarray(7200, 14400), { utteranceId: 'u' }));
      player.endUtterance('u');
      return out;
    });
    await opened.close();
    expect(r1.fed).toEqual([true, false, 3600, true]);
    expect(r1.errors).toEqual(['oversized']);
    expect(r1.events.find((e: Ev) => e.type === 'error').detail.message).toMatch(/larger than the whole buffer/);
    expect(compareExact(source.subarray(0, 7200), fromBase64F32(r1.output))).toMatchObject({ mismatches: 0, extra: 0 });
    expect(r1.metrics.samples).toMatchObject({ received: 7200, overflow: 0 });
    expectAccounting(r1, 0);

    // Socket: frame 1 (600 ms) can never fit in a 500 ms ring: dropped and counted; frames 0 and 2 play.
    const steps: StreamStep[] = [
      { delayMs: 0, data: encodeFrame({ codec: 'pcm16', sampleRate: RATE, utteranceId: 3, seq: 0, start: true, end: false }, pcm.subarray(0, third)) },
      { delayMs: 5, data: encodeFrame({ codec: 'pcm16', sampleRate: RATE, utteranceId: 3, seq: 1, start: false, end: false }, huge) },
      { delayMs: 5, data: encodeFrame({ codec: 'pcm16', sampleRate: RATE, utteranceId: 3, seq: 2, start: false, end: true }, pcm.subarray(third, 2 * third)) },
    ];
    const { r: r2 } = await playToEnd({ prebufferMs: 300, maxBufferMs: 500 }, steps);
    expect(r2.errors).toEqual(['oversized']);
    expect(compareExact(source.subarray(0, (2 * third) / 2), captured(r2))).toMatchObject({ mismatches: 0, extra: 0 });
    expect(r2.metrics.samples).toMatchObject({ received: 2 * (third / 2) + huge.length / 2, played: 2 * (third / 2), overflow: huge.length / 2 });
    expect(r2.maxBuffered).toBeLessThanOrEqual(r2.capacity);
    expectAccounting(r2);
  });

  it('NaN and ±Infinity in f32 frames become silence, are counted and reported, and do not poison the resampler', async () => {
    const rate = 16000;
    const clean = sine(300, rate, 0.8, 0.5);
    const dirty = clean.slice();
    const poison = [100, 101, 2000, 4001, 4002, 4003, 9000];
    dirty[100] = NaN;
    dirty[101] = Infinity;
    dirty[2000] = -Infinity;
    dirty[4001] = NaN;
    dirty[4002] = -NaN;
    dirty[4003] = Infinity;
    dirty[9000] = NaN;
    dirty[6000] = 3; // out of range: clamped, not counted as non-finite
    const expected = dirty.map((x) => (Number.isFinite(x) ? Math.max(-1, Math.min(1, x)) : 0));
    const bytes = toF32le(dirty);
    const chunks = randomChunks(bytes, mulberry32(7), 1, 2999);
    // Same rate as the context: exact.
    const { r, pageErrors } = await playToEnd(
      { sampleRate: rate, prebufferMs: 1000 },
      framed(chunks, 11, 'f32', rate).map((data) => ({ delayMs: 4, data })),
      { contextRate: rate },
    );
    expect(pageErrors).toEqual([]);
    expect(new Set(r.errors)).toEqual(new Set(['non-finite']));
    const reported = errorEvents(r).reduce((n, e) => n + Number(/^voxplay: (\d+) NaN/.exec(e.message)?.[1] ?? NaN), 0);
    expect(reported).toBe(poison.length);
    expect(r.metrics.samples.nonFinite).toBe(poison.length);
    expect(compareExact(expected, captured(r))).toMatchObject({ mismatches: 0, extra: 0 });
    expectAccounting(r);

    // Resampled 16 kHz → 48 kHz: output finite everywhere and a clean tone right after the poison.
    const { r: r48 } = await playToEnd(
      { sampleRate: rate, prebufferMs: 1000 },
      framed(chunks, 12, 'f32', rate).map((data) => ({ delayMs: 4, data })),
      { contextRate: 48000 },
    );
    const out = captured(r48);
    expect(out.every((x) => Number.isFinite(x))).toBe(true);
    expect(r48.metrics.samples.nonFinite).toBe(poison.length);
    // Compare the last 200 ms (far from any poisoned sample) with the analytic tone.
    const ref = sine(300, 48000, 0.8, 0.5);
    const active = out.findIndex((x) => x !== 0);
    let best = -Infinity;
    for (let shift = -6; shift <= 6; shift++) best = Math.max(best, snrAgainst(ref.subarray(28800, 37440), out, active + 28800 + shift));
    expect(best).toBeGreaterThan(50);
    expectAccounting(r48);
  });

  it('text frames that are not JSON, JSON of unknown types, and control messages for unknown utterances are reported; audio plays exactly', async () => {
    const source = speechLike(1);
    const good = framed(randomChunks(toPcm16(source), mulberry32(3), 500, 2500), 21);
    const bad: { data: string; code: string; match: RegExp }[] = [
      { data: 'not json', code: 'bad-control', match: /not-json/ },
      { data: '{"type":"start"', code: 'bad-control', match: /not-json/ },
      { data: '', code: 'bad-control', match: /not-json/ },
      { data: '[1,2,3]', code: 'bad-control', match: /not-object/ },
      { data: '42', code: 'bad-control', match: /not-object/ },
      { data: 'null', code: 'bad-control', match: /not-object/ },
      { data: '{"type":"audio","wav":"AAAA"}', code: 'bad-control', match: /unknown-type.*"audio"/ },
      { data: '{"type":"speak","text":"hi"}', code: 'bad-control', match: /unknown-type.*"speak"/ },
      { data: '{"utteranceId":"1"}', code: 'bad-control', match: /bad-field.*type/ },
      { data: '{"type":"start","utteranceId":"x","sampleRate":96000}', code: 'bad-control', match: /sampleRate/ },
      { data: '{"type":"mark","utteranceId":"21","sampleOffset":-1,"name":"w"}', code: 'bad-control', match: /sampleOffset/ },
      { data: `{"type":"error","message":"backend timed out"}`, code: 'bad-control', match: /server reported an error: backend timed out/ },
      { data: 'x'.repeat(1024 * 1024 + 1), code: 'bad-control', match: /oversized/ },
      { data: encodeControl({ type: 'end', utteranceId: 'ghost' }), code: 'unknown-utterance', match: /ghost.*never started/ },
      { data: encodeControl({ type: 'end', utteranceId: '999' }), code: 'unknown-utterance', match: /"999"/ },
    ];
    const steps: StreamStep[] = [];
    good.forEach((frame, i) => {
      if (bad[i]) steps.push({ delayMs: 0, data: bad[i].data });
      steps.push({ delayMs: 8, data: frame });
    });
    for (const b of bad.slice(good.length)) steps.push({ delayMs: 0, data: b.data });
    const { r, pageErrors } = await playToEnd({ prebufferMs: 1500 }, steps, { settleMs: 100 });
    expect(pageErrors).toEqual([]);
    const errors = errorEvents(r);
    expect(errors.map((e) => e.code)).toEqual(bad.map((b) => b.code));
    bad.forEach((b, i) => expect(errors[i].message).toMatch(b.match));
    expect(compareExact(source, captured(r))).toMatchObject({ mismatches: 0, extra: 0 });
    expect(r.metrics.samples).toMatchObject({ received: source.length, played: source.length });
    expectAccounting(r);
  });

  // BUG-2 (found by this suite, fixed): early marks are held per utterance without any
  // bound and without an error (now src/player/marks.ts, the early stage).
  it('marks for an utterance that never starts: held within a bound, or refused with an error', async () => {
    // A misbehaving server sends 20 000 `mark` messages (1000-character names) for an
    // utterance that never comes. Early marks are legitimately held until the utterance
    // starts, but that hold must be bounded (like MAX_MARKS for started utterances) and the
    // overflow reported.
    const { opened, conn } = await rigWithSocket({ prebufferMs: 80 });
    const heap = () => pageHeap(opened.page);
    const before = await heap();
    const name = 'w'.repeat(1000);
    const steps: StreamStep[] = [];
    for (let i = 0; i < 20000; i++) steps.push({ delayMs: 0, data: encodeControl({ type: 'mark', utteranceId: 'ghost', sampleOffset: i, name: name + i }) });
    await conn.play(steps);
    await opened.page.waitForTimeout(500);
    const after = await heap();
    const r = await rigResult(opened.page);
    await opened.close();
    // Without a heap API (Firefox, WebKit) only the refusal can show the bound.
    const growthMb = before === null || after === null ? null : (after - before) / 1e6;
    console.log(`[early marks] heap growth ${growthMb === null ? 'n/a' : `${growthMb.toFixed(1)} MB`}, errors: ${JSON.stringify([...new Set(r.errors)])}`);
    expect(r.errors.length > 0 || (growthMb !== null && growthMb < 2)).toBe(true);
    expectAccounting(r);
  });

  it('late frames of an interrupted utterance are discarded and counted as stale; the next utterance plays exactly', async () => {
    const a = quantizePcm16(sine(300, RATE, 3, 0.5));
    const b = speechLike(1);
    const aFrames = framed(randomChunks(toPcm16(a), mulberry32(5), 1920, 1920), 31);
    const bFrames = framed(randomChunks(toPcm16(b), mulberry32(6), 1000, 3000), 32);
    const { opened, conn } = await rigWithSocket({ prebufferMs: 300 });
    // A at real time (40 ms frames every 40 ms), so most of it arrives after the interrupt; then B.
    const playing = conn.play([...aFrames.map((data, i) => ({ delayMs: i === 0 ? 0 : 40, data })), ...bFrames.map((data) => ({ delayMs: 5, data }))]);
    await opened.page.evaluate(() => (globalThis as any).rig.waitFor(0, (e: Ev) => e.type === 'playing'));
    await opened.page.waitForTimeout(500);
    await opened.page.evaluate(() => (globalThis as any).rig.players[0].player.interrupt());
    const told = await conn.waitForMessage((m) => m.json?.type === 'interrupt');
    expect(told.json).toEqual({ type: 'interrupt', utteranceId: '31' });
    await playing;
    await waitEnded(opened.page);
    const r = await rigResult(opened.page);
    await opened.close();
    expect(opened.errors).toEqual([]);
    // Late frames after a barge-in are routine: no error, a `dropped` event for each.
    expect(r.errors).toEqual([]);
    const cut = r.events.find((e) => e.type === 'interrupted')!.detail;
    expect(cut.utteranceId).toBe('31');
    const s = r.metrics.samples;
    expect(new Set(droppedEvents(r).map((d) => d.reason))).toEqual(new Set(['stale']));
    expect(droppedSamples(r)).toBe(s.stale);
    // Every sample of A is accounted for: heard, flushed from the buffer, or discarded on arrival.
    expect(s.received).toBe(a.length + b.length);
    expect(s.played).toBe(cut.playedSamples + b.length);
    expect(s.stale).toBeGreaterThan(a.length / 2);
    expect(cut.playedSamples + cut.droppedSamples + s.stale).toBe(a.length);
    // B exactly, after A's fade.
    const out = captured(r);
    const bAt = compareExact(b, out.subarray(findLastSilence(out) - 10));
    expect(bAt.mismatches).toBe(0);
    expectAccounting(r);
  });

  // BUG-1 (found by this suite, fixed): a duplicate/reordered frame of an utterance the
  // player already retired is reported (`sequence`) but not counted in received/stale
  // (the old socket sink counted only while the utterance was active; now src/player/ingest.ts gap()).
  it('a duplicated frame of an interrupted utterance arriving late is counted as stale like any other late frame', async () => {
    const a = quantizePcm16(sine(300, RATE, 2, 0.5));
    const aFrames = framed(randomChunks(toPcm16(a), mulberry32(15), 2400, 2400), 35); // 50 ms frames
    const { opened, conn } = await rigWithSocket({ prebufferMs: 300 });
    await conn.play(aFrames.slice(0, 20).map((data) => ({ delayMs: 2, data })));
    await opened.page.evaluate(() => (globalThis as any).rig.waitFor(0, (e: Ev) => e.type === 'playing'));
    await opened.page.waitForTimeout(200);
    await opened.page.evaluate(() => (globalThis as any).rig.players[0].player.interrupt());
    await opened.page.evaluate(() => (globalThis as any).rig.waitFor(0, (e: Ev) => e.type === 'interrupted'));
    // After the cut: a duplicate of frame 5, then the rest of the utterance in order.
    await conn.play([{ delayMs: 0, data: aFrames[5] }, ...aFrames.slice(20).map((data) => ({ delayMs: 2, data }))]);
    await opened.page.waitForTimeout(200);
    const r = await rigResult(opened.page);
    await opened.close();
    const cut = r.events.find((e) => e.type === 'interrupted')!.detail;
    const late = (aFrames.length - 20) * 1200;
    const s = r.metrics.samples;
    expect(r.errors).toEqual([]);
    expect(droppedEvents(r).map((d) => d.reason)).toContain('duplicate');
    expect(droppedSamples(r, 'duplicate')).toBe(1200);
    // Every sample that arrived is accounted for: the duplicate (1200) and the late frames are stale.
    expect(droppedSamples(r)).toBe(s.stale);
    expect(s.received).toBe(a.length + 1200);
    expect(s.stale).toBe(late + 1200);
    expect(cut.playedSamples + cut.droppedSamples + late).toBe(a.length);
    expectAccounting(r);
  });

  it('duplicated frames are reported and discarded (counted as stale); audio plays exactly', async () => {
    const source = speechLike(1);
    const frames = framed(
      randomChunks(toPcm16(source), mulberry32(8), 800, 2400).map((c) => (c.length % 2 ? c.subarray(0, c.length - 1) : c)),
      41,
    );
    // every frame twice, and frame 3 three times
    const steps: StreamStep[] = [];
    let dupSamples = 0;
    frames.forEach((f, i) => {
      steps.push({ delayMs: 6, data: f });
      for (let k = 0; k < (i === 3 ? 2 : 1); k++) {
        steps.push({ delayMs: 0, data: f });
        dupSamples += (f.length - HEADER_BYTES) / 2;
      }
    });
    const src = fromPcm16(concat(frames.map((f) => f.subarray(HEADER_BYTES))));
    const { r } = await playToEnd({ prebufferMs: 1500 }, steps, { settleMs: 100 });
    expect(r.errors).toEqual([]);
    // The duplicate of the last (end) frame arrives after the tracker forgot the utterance:
    // a gap (its seq is not 0) and audio after the end.
    const reasons = droppedEvents(r).map((d) => d.reason);
    expect(reasons.filter((c) => c === 'duplicate' || c === 'gap').length).toBe(frames.length + 1);
    expect(droppedSamples(r)).toBe(dupSamples);
    expect(compareExact(src, captured(r))).toMatchObject({ mismatches: 0, extra: 0 });
    expect(r.metrics.samples).toMatchObject({ received: src.length + dupSamples, played: src.length, stale: dupSamples });
    expectAccounting(r);
  });

  it('reordered frames: the early one plays, the late one is reported and counted as stale (never inserted out of order)', async () => {
    const source = speechLike(1);
    const chunks = randomChunks(toPcm16(source), mulberry32(9), 1200, 1200);
    const frames = framed(chunks, 51);
    const order = frames.map((_, i) => i);
    for (const k of [3, 9]) [order[k], order[k + 1]] = [order[k + 1], order[k]];
    const { r } = await playToEnd(
      { prebufferMs: 1500 },
      order.map((i) => ({ delayMs: 6, data: frames[i] })),
    );
    expect(errorEvents(r)).toEqual([]);
    const drops = droppedEvents(r);
    expect(drops.map((d) => [d.reason, d.samples])).toEqual([
      ['gap', 0],
      ['duplicate', 600],
      ['gap', 0],
      ['duplicate', 600],
    ]);
    expect(drops[0].message).toMatch(/1 frame\(s\) of utterance "51" missing: expected 3, got 4/);
    expect(drops[1].message).toMatch(/frame 3 of utterance "51" arrived after frame 4.*discarded/);
    // What plays: the source without frames 3 and 9 (600 samples each), nothing invented.
    const keep = chunks.flatMap((c, i) => (i === 3 || i === 9 ? [] : [i]));
    const expected = new Float32Array(keep.length * 600);
    keep.forEach((i, j) => expected.set(source.subarray(i * 600, i * 600 + 600), j * 600));
    expect(compareExact(expected, captured(r))).toMatchObject({ mismatches: 0, extra: 0 });
    expect(r.metrics.samples).toMatchObject({ received: source.length, played: expected.length, stale: 1200 });
    expect(r.metrics.sequenceGaps).toBe(4);
    expectAccounting(r);
  });

  // BUG-6 (found by this suite, fixed): frames may carry any byte count (docs/protocol.md),
  // but when one goes missing the receiver cannot know where the next sample starts; after a
  // lost odd-length frame the decoder resumes mid-sample and the rest of the utterance plays
  // as full-scale noise (now src/player/ingest.ts gap() ends such an utterance).
  it('a lost frame of odd byte length never turns the rest of the utterance into noise', async () => {
    const source = quantizePcm16(sine(440, RATE, 1, 0.3));
    const chunks = randomChunks(toPcm16(source), mulberry32(17), 1001, 1001);
    const frames = framed(chunks, 71);
    const { r } = await playToEnd(
      { prebufferMs: 1500 },
      frames.filter((_, k) => k !== 10).map((data) => ({ delayMs: 2, data })),
    );
    expect(r.errors).toContain('sequence');
    // Nothing invented: no output louder than the source (a tone of peak 0.3).
    const peak = captured(r).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(peak).toBeLessThanOrEqual(0.3 + 1e-6);
    expectAccounting(r);
  });

  it('push, interrupt, endUtterance, mark, attach, resume after close() throw `closed`; start() twice and close() twice are harmless', async () => {
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    const connection = suite.stream.waitForConnection();
    const out = await opened.page.evaluate(async (url) => {
      const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
      const ctx = new AudioContext({ sampleRate: 24000 });
      const player = new StreamPlayer({ context: ctx, metricsIntervalMs: 0 });
      const states: string[] = [];
      const errors: string[] = [];
      player.on('statechange', (e: any) => states.push(e.state));
      player.on('error', (e: any) => errors.push(e.code));
      const s1 = player.start();
      const s2 = player.start();
      await Promise.all([s1, s2]);
      const s3 = player.start();
      await s3;
      const sameStart = s1 === s2 && s2 === s3;
      const idle = player.interrupt();
      player.endUtterance('never');
      const misuse: string[] = [];
      const tryIt = (f: () => unknown) => {
        try {
          f();
          misuse.push('ok');
        } catch (e: any) {
          misuse.push(`${e.name}:${e.code ?? ''}`);
        }
      };
      tryIt(() => player.push('text' as any));
      tryIt(() => player.push(new Uint8Array(4), { sampleRate: 96000 }));
      tryIt(() => player.mark('u', -1, 'w'));
      const fake = { binaryType: '', readyState: 1, send() {}, addEventListener() {}, removeEventListener() {} };
      tryIt(() => player.attach(fake, { framing: 'json' as any }));
      const ws = new WebSocket(url);
      player.attach(ws);
      await new Promise((r) => (ws.onopen = r));
      player.push(new Int16Array(2400).fill(1000), { utteranceId: 'a' });
      const c1 = player.close();
      const c2 = player.close();
      await Promise.all([c1, c2]);
      const sameClose = c1 === c2;
      const after: Record<string, string> = {};
      const calls: Record<string, () => unknown> = {
        push: () => player.push(new Uint8Array(2)),
        interrupt: () => player.interrupt(),
        endUtterance: () => player.endUtterance('a'),
        mark: () => player.mark('a', 0, 'w'),
        attach: () => player.attach(fake),
      };
      for (const [name, f] of Object.entries(calls)) {
        try {
          f();
          after[name] = 'no throw';
        } catch (e: any) {
          after[name] = `${e.name}:${e.code}:${e.message}`;
        }
      }
      for (const [name, f] of Object.entries({ resume: () => player.resume(), start: () => player.start() })) {
        try {
          await f();
          after[name] = 'resolved';
        } catch (e: any) {
          after[name] = `${e.name}:${e.code}:${e.message}`;
        }
      }
      const metrics = player.getMetrics();
      await new Promise((r) => setTimeout(r, 100));
      const late = player.getMetrics();
      // Close before start, and close while start() is still loading the worklet.
      const early = new StreamPlayer({ metricsIntervalMs: 0 });
      await early.close();
      let earlyStart = '';
      await early.start().catch((e: any) => (earlyStart = e.code));
      const racing = new StreamPlayer({ metricsIntervalMs: 0 });
      const racingStates: string[] = [];
      racing.on('statechange', (e: any) => racingStates.push(e.state));
      const starting = racing.start();
      await racing.close();
      await starting.catch(() => undefined);
      const ownContext = racing.audioContext;
      return {
        states,
        errors,
        sameStart,
        idle,
        misuse,
        sameClose,
        after,
        state: player.state,
        contextState: ctx.state,
        metricsState: metrics.state,
        samples: metrics.samples,
        lateSamples: late.samples,
        earlyState: early.state,
        earlyStart,
        racingStates,
        racingState: racing.state,
        racingContext: ownContext ? ownContext.state : null,
      };
    }, suite.stream.url);
    const conn = await connection;
    // The server keeps talking to the closed player: nothing happens, nothing throws.
    await conn.play([
      { delayMs: 0, data: encodeFrame({ codec: 'pcm16', sampleRate: RATE, utteranceId: 1, seq: 0, start: true, end: false }, new Uint8Array(4800)) },
      { delayMs: 10, data: 'not json' },
    ]);
    await opened.page.waitForTimeout(200);
    await opened.close();
    expect(opened.errors).toEqual([]);
    expect(out.sameStart).toBe(true);
    expect(out.states).toEqual(['starting', 'running', 'closed']);
    expect(out.idle).toEqual({ utteranceId: null, playedMs: 0, droppedMs: 0, lastMark: null });
    expect(out.errors).toEqual(['unknown-utterance']);
    expect(out.misuse).toEqual(['TypeError:', 'VoxplayError:bad-option', 'VoxplayError:bad-option', 'TypeError:']);
    expect(out.sameClose).toBe(true);
    for (const name of ['push', 'interrupt', 'endUtterance', 'mark', 'attach', 'resume', 'start']) {
      expect(out.after[name]).toMatch(new RegExp(`^VoxplayError:closed:voxplay: ${name}\\(\\) called after close\\(\\)`));
    }
    expect(out.state).toBe('closed');
    expect(out.contextState).toBe('running'); // the app's context stays open
    expect(out.metricsState).toBe('closed');
    // The counters stay consistent after close (and do not move: the socket is detached).
    expect(out.samples.received).toBe(2400);
    expect(out.samples.received).toBe(out.samples.played + out.samples.buffered + out.samples.dropped);
    expect(out.lateSamples).toEqual(out.samples);
    expect(out.earlyState).toBe('closed');
    expect(out.earlyStart).toBe('closed');
    expect(out.racingStates.at(-1)).toBe('closed');
    expect(out.racingState).toBe('closed');
    expect(out.racingContext === null || out.racingContext === 'closed').toBe(true);
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  return concatParts(parts, (n) => new Uint8Array(n));
}

/** Index just after the longest run of zeros (where the utterance after a cut starts, roughly). */
function findLastSilence(out: Float32Array): number {
  let best = 0;
  let bestEnd = 0;
  let run = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 0) {
      run++;
      if (run > best) {
        best = run;
        bestEnd = i + 1;
      }
    } else run = 0;
  }
  return bestEnd;
}
