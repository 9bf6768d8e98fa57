/**
 * The service adapters (voxplay/adapters, dist/adapters.js) against scripted conversations in
 * each service's message shapes, sent over a real local WebSocket: the audio plays gapless
 * and exact (captured at the output of a context at the stream's rate), word timings become
 * marks, interrupt flows reach the player and go back to the service (OpenAI's truncate
 * carries the milliseconds heard, checked against the capture), and a malformed message is a
 * `bad-control` error while playback goes on.
 */
import { describe, expect, it } from 'vitest';
import { float32ToMulaw } from '../../src/protocol/g711-encode';
import { useSuite } from './fixture';
import { ENGINE, mulberry32, openPage, toPcm16, withoutSkips, type StreamConnection, type StreamStep } from './harness';

const suite = useSuite();
const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const json = (delayMs: number, message: unknown): StreamStep => ({ delayMs, data: JSON.stringify(message) });

/**
 * White noise from `seed`, quantised the way the player will play it (PCM16), so the
 * capture can be compared exactly. Noise, not a tone: a periodic signal would let find()
 * align a whole period off, and a loss of whole periods would compare equal.
 */
function noise(seed: number, rate: number, seconds: number, amp = 0.3): Float32Array {
  const rng = mulberry32(seed);
  const pcm = toPcm16(Float32Array.from({ length: Math.round(rate * seconds) }, () => (rng() * 2 - 1) * amp));
  return Float32Array.from(new Int16Array(pcm.buffer), (x) => x / 32768);
}

/** Cuts `samples` into chunks of `n`. */
function chunks(samples: Float32Array, n: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let at = 0; at < samples.length; at += n) out.push(samples.subarray(at, at + n));
  return out;
}

interface Run {
  out: any;
  received: any[];
  errors: string[];
}

/**
 * Opens a fixture player (context at `rate`), connects `adapter` (an export of
 * dist/adapters.js) to a WebSocket of the stream server with `options`, plays `steps`, then
 * runs `after` in the page (e.g. an interrupt) and waits until `until` holds there. With
 * `server`, the server side goes on meanwhile (e.g. answers what the adapter sends).
 */
async function run(
  adapter: string,
  options: object,
  rate: number,
  steps: StreamStep[],
  until: string,
  after = '',
  server?: (conn: StreamConnection) => Promise<unknown>,
): Promise<Run> {
  const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
  try {
    const connection = suite.stream.waitForConnection();
    await opened.page.evaluate(
      async ({ url, adapter, options, rate }) => {
        const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
        const adapters = await (globalThis as any).importModule('/dist/adapters.js');
        const fx = await setupPlayer({ contextRate: rate, player: { sampleRate: rate, prebufferMs: 100 } });
        const ws = new WebSocket(url);
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = reject;
        });
        fx.ws = ws;
        fx.session = adapters[adapter](fx.player, ws, options);
      },
      { url: suite.stream.url, adapter, options, rate },
    );
    const conn = await connection;
    await conn.play(steps);
    const serving = server?.(conn);
    const out = await opened.page.evaluate(
      async ({ until, after }) => {
        const fx = (globalThis as any).fx;
        if (after) await new Function('fx', `return (async () => { ${after} })()`)(fx);
        const check = new Function('fx', `return ${until};`);
        const deadline = performance.now() + 20_000;
        while (!check(fx) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 300));
        return fx.result();
      },
      { until, after },
    );
    await serving;
    return { out, received: conn.received.map((m) => m.json ?? m.data), errors: opened.errors };
  } finally {
    await opened.close();
  }
}

const events = (out: any, type: string) => out.events.filter((e: any) => e.type === type).map((e: any) => e.detail);
const captured = (out: any) => withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
/** Index of the first sample of `expected` in `got`, or -1 (exact match of the first 200 samples). */
function find(got: Float32Array, expected: Float32Array): number {
  outer: for (let at = 0; at + 200 <= got.length; at++) {
    for (let i = 0; i < 200; i++) if (got[at + i] !== expected[i]) continue outer;
    return at;
  }
  return -1;
}
function equalRun(got: Float32Array, at: number, expected: Float32Array): boolean {
  for (let i = 0; i < expected.length; i++) if (got[at + i] !== expected[i]) return false;
  return true;
}

describe(`service adapters in ${ENGINE}`, () => {
  it('OpenAI Realtime: items play gapless and exact; server VAD barges in; the truncate carries the ms heard (±1 quantum of the capture); a malformed event is bad-control', async () => {
    const rate = 24000;
    const a = noise(300, rate, 1);
    const b = noise(500, rate, 3);
    const delta = (item: string, s: Float32Array, type = 'response.output_audio.delta') =>
      json(0, { type, item_id: item, content_index: 0, delta: b64(toPcm16(s)) });
    const steps: StreamStep[] = [
      ...chunks(a, 2400).map((s) => delta('item_A', s)),
      json(0, { type: 'response.output_audio.done', item_id: 'item_A' }),
      json(0, { type: 'response.output_audio.delta', item_id: 'item_B' }), // no delta: malformed
      ...chunks(b, 2400).map((s) => delta('item_B', s, 'response.audio.delta')), // beta name
      json(1500, { type: 'input_audio_buffer.speech_started' }),
    ];
    const { out, received, errors } = await run('connectOpenAIRealtime', {}, rate, steps, "fx.events.some((e) => e.type === 'interrupted')");
    expect(errors).toEqual([]);
    expect(events(out, 'error').map((e: any) => [e.code, e.message])).toEqual([
      ['bad-control', expect.stringMatching(/OpenAI Realtime: a "response.output_audio.delta" message has no delta string/)],
    ]);
    expect(events(out, 'ended').map((e: any) => [e.utteranceId, e.playedSamples])).toEqual([['item_A', a.length]]);
    const got = captured(out);
    const start = find(got, a);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(equalRun(got, start, a)).toBe(true);
    // B follows A with no gap; it is heard until the fade ends.
    const bStart = start + a.length;
    expect(got[bStart]).toBe(b[0]);
    let last = got.length - 1;
    while (last > bStart && got[last] === 0) last--;
    const heardMs = ((last + 1 - bStart) / rate) * 1000;
    const truncate = received.find((m) => m?.type === 'conversation.item.truncate');
    expect(truncate).toMatchObject({ item_id: 'item_B', content_index: 0 });
    console.log(`[openai] item_B heard ${heardMs.toFixed(1)} ms in the capture, truncate audio_end_ms ${truncate.audio_end_ms}`);
    expect(Math.abs(truncate.audio_end_ms - heardMs)).toBeLessThanOrEqual((128 / rate) * 1000 + 1);
    expect(received.filter((m) => m?.type === 'response.cancel')).toEqual([]); // server VAD: the server cancels
  });

  it('ElevenLabs stream-input: base64 PCM with per-chunk alignment plays exact; words become marks at their offsets, fired in order as heard; isFinal ends it', async () => {
    const rate = 24000;
    const speech = noise(400, rate, 1.2);
    // Two chunks of 0.6 s; words every 0.2 s, timed from each chunk's start.
    const words = ['one', 'two', 'three', 'four', 'five', 'six'];
    const steps: StreamStep[] = chunks(speech, 14400).map((s, k) => {
      const chars: string[] = [];
      const charStartTimesMs: number[] = [];
      for (let w = 0; w < 3; w++) {
        for (const [i, ch] of [...words[3 * k + w]].entries()) {
          chars.push(ch);
          charStartTimesMs.push(w * 200 + i * 20);
        }
        chars.push(' ');
        charStartTimesMs.push(w * 200 + 150);
      }
      return json(0, { audio: b64(toPcm16(s)), isFinal: null, alignment: { chars, charStartTimesMs, charDurationsMs: chars.map(() => 20) } });
    });
    steps.splice(1, 0, json(0, { audio: 42 })); // malformed
    steps.push(json(0, { audio: null, isFinal: true }));
    const { out, errors } = await run('connectElevenLabs', { outputFormat: 'pcm_24000' }, rate, steps, "fx.events.some((e) => e.type === 'ended')");
    expect(errors).toEqual([]);
    expect(events(out, 'error').map((e: any) => e.code)).toEqual(['bad-control']);
    expect(events(out, 'ended').map((e: any) => [e.utteranceId, e.playedSamples])).toEqual([['elevenlabs-1', speech.length]]);
    const marks = events(out, 'mark');
    expect(marks.map((m: any) => m.name)).toEqual(words);
    expect(marks.map((m: any) => m.sampleOffset)).toEqual(words.map((_, i) => i * 4800));
    const got = captured(out);
    const start = find(got, speech);
    expect(equalRun(got, start, speech)).toBe(true);
  });

  it('ElevenLabs agent: the format from the initiation metadata, one utterance per agent response, interruption interrupts', async () => {
    const rate = 16000;
    const reply1 = noise(300, rate, 0.5);
    const reply2 = noise(500, rate, 3);
    const audio = (s: Float32Array, id: number) => json(0, { type: 'audio', audio_event: { audio_base_64: b64(toPcm16(s)), event_id: id } });
    const steps: StreamStep[] = [
      json(0, {
        type: 'conversation_initiation_metadata',
        conversation_initiation_metadata_event: { conversation_id: 'c', agent_output_audio_format: 'pcm_16000' },
      }),
      json(0, { type: 'agent_response', agent_response_event: { agent_response: 'Hello.' } }),
      // One event_id per agent response, shared by its chunks (see src/adapters/elevenlabs.ts).
      ...chunks(reply1, 1600).map((s) => audio(s, 1)),
      json(0, { type: 'audio', audio_event: { event_id: 9 } }), // malformed
      json(0, { type: 'agent_response', agent_response_event: { agent_response: 'And a longer answer.' } }),
      ...chunks(reply2, 1600).map((s) => audio(s, 2)),
      json(1200, { type: 'interruption', interruption_event: { event_id: 2 } }),
    ];
    const { out, errors } = await run('connectElevenLabsAgent', {}, rate, steps, "fx.events.some((e) => e.type === 'interrupted')");
    expect(errors).toEqual([]);
    expect(events(out, 'error').map((e: any) => e.message)).toEqual([
      expect.stringMatching(/ElevenLabs agent: an "audio" message has no audio_base_64 string/),
    ]);
    expect(events(out, 'ended').map((e: any) => [e.utteranceId, e.playedSamples])).toEqual([['agent-1', reply1.length]]);
    expect(events(out, 'interrupted')[0].utteranceId).toBe('agent-2');
    const got = captured(out);
    expect(equalRun(got, find(got, reply1), reply1)).toBe(true);
  });

  it('Cartesia: chunks per context_id play exact, word_timestamps become marks, done ends; interrupt() cancels the cut context', async () => {
    const rate = 24000;
    const first = noise(350, rate, 0.5);
    const second = noise(450, rate, 3);
    const chunk = (ctx: string, s: Float32Array) => json(0, { type: 'chunk', context_id: ctx, data: b64(toPcm16(s)), done: false, status_code: 206 });
    const steps: StreamStep[] = [
      ...chunks(first, 2400).map((s) => chunk('ctx-1', s)),
      json(0, { type: 'timestamps', context_id: 'ctx-1', word_timestamps: { words: ['hello', 'there'], start: [0, 0.25], end: [0.2, 0.45] } }),
      json(0, { type: 'done', context_id: 'ctx-1', done: true, status_code: 200 }),
      json(0, { type: 'timestamps', context_id: 'ctx-2', word_timestamps: { words: ['x'] } }), // malformed
      ...chunks(second, 2400).map((s) => chunk('ctx-2', s)),
    ];
    const { out, received, errors } = await run(
      'connectCartesia',
      {},
      rate,
      steps,
      "fx.events.some((e) => e.type === 'interrupted')",
      'await new Promise((r) => setTimeout(r, 1000)); fx.player.interrupt();',
    );
    expect(errors).toEqual([]);
    expect(events(out, 'error').map((e: any) => e.message)).toEqual([expect.stringMatching(/Cartesia: .*word_timestamps needs words and start arrays/)]);
    expect(events(out, 'ended').map((e: any) => [e.utteranceId, e.playedSamples])).toEqual([['ctx-1', first.length]]);
    expect(events(out, 'mark').map((m: any) => [m.name, m.sampleOffset])).toEqual([
      ['hello', 0],
      ['there', 6000],
    ]);
    expect(events(out, 'interrupted')[0].utteranceId).toBe('ctx-2');
    expect(received).toContainEqual({ context_id: 'ctx-2', cancel: true });
    const got = captured(out);
    expect(equalRun(got, find(got, first), first)).toBe(true);
  });

  it('Gemini Live: inlineData PCM per model turn plays exact, turnComplete ends it; interrupted: true interrupts; binary JSON frames work too', async () => {
    const rate = 24000;
    const turn1 = noise(320, rate, 0.6);
    const turn2 = noise(520, rate, 3);
    const part = (s: Float32Array) => ({
      serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: b64(toPcm16(s)) } }] } },
    });
    const steps: StreamStep[] = [
      json(0, { setupComplete: {} }),
      ...chunks(turn1, 4800).map((s, i) => (i === 0 ? { delayMs: 0, data: new TextEncoder().encode(JSON.stringify(part(s))) } : json(0, part(s)))),
      json(0, { serverContent: { turnComplete: true } }),
      json(0, { serverContent: { modelTurn: { parts: 'nope' } } }), // malformed
      ...chunks(turn2, 4800).map((s) => json(0, part(s))),
      json(1200, { serverContent: { interrupted: true } }),
    ];
    const { out, errors } = await run('connectGeminiLive', {}, rate, steps, "fx.events.some((e) => e.type === 'interrupted')");
    expect(errors).toEqual([]);
    expect(events(out, 'error').map((e: any) => e.message)).toEqual([expect.stringMatching(/Gemini Live: modelTurn.parts is not an array/)]);
    expect(events(out, 'ended').map((e: any) => [e.utteranceId, e.playedSamples])).toEqual([['gemini-1', turn1.length]]);
    expect(events(out, 'interrupted')[0].utteranceId).toBe('gemini-2');
    const got = captured(out);
    expect(equalRun(got, find(got, turn1), turn1)).toBe(true);
  });

  it('Deepgram: binary audio frames between JSON messages play exact, Flushed ends the segment; interrupt() sends Clear', async () => {
    const rate = 24000;
    const seg1 = noise(360, rate, 0.5);
    const seg2 = noise(460, rate, 3);
    const steps: StreamStep[] = [
      json(0, { type: 'Metadata', request_id: 'r' }),
      ...chunks(seg1, 2400).map((s) => ({ delayMs: 0, data: toPcm16(s) })),
      json(0, { type: 'Flushed', sequence_id: 0 }),
      { delayMs: 0, data: 'not json' }, // malformed
      ...chunks(seg2, 2400).map((s) => ({ delayMs: 0, data: toPcm16(s) })),
    ];
    const { out, received, errors } = await run(
      'connectDeepgram',
      {},
      rate,
      steps,
      "fx.events.some((e) => e.type === 'interrupted')",
      'await new Promise((r) => setTimeout(r, 900)); fx.player.interrupt();',
    );
    expect(errors).toEqual([]);
    expect(events(out, 'error').map((e: any) => e.message)).toEqual([expect.stringMatching(/Deepgram: a text message is not JSON/)]);
    expect(events(out, 'ended').map((e: any) => [e.utteranceId, e.playedSamples])).toEqual([['deepgram-1', seg1.length]]);
    expect(received).toContainEqual({ type: 'Clear' });
    const got = captured(out);
    expect(equalRun(got, find(got, seg1), seg1)).toBe(true);
  });

  it('Twilio media stream: μ-law payloads play exact at 8 kHz; a mark comes back once the audio before it was heard; clear interrupts', async () => {
    const rate = 8000;
    const speech = noise(300, rate, 1);
    const mulaw = float32ToMulaw(speech);
    const media = (bytes: Uint8Array) => json(0, { event: 'media', streamSid: 'MZ1', media: { payload: b64(bytes) } });
    const steps: StreamStep[] = [
      json(0, { event: 'start', streamSid: 'MZ1', start: { streamSid: 'MZ1' } }),
      media(mulaw.subarray(0, 4000)),
      json(0, { event: 'mark', streamSid: 'MZ1', mark: { name: 'half' } }),
      json(0, { event: 'media', streamSid: 'MZ1', media: {} }), // malformed
      media(mulaw.subarray(4000)),
      json(0, { event: 'mark', streamSid: 'MZ1', mark: { name: 'all' } }),
      json(0, { event: 'stop', streamSid: 'MZ1' }),
      ...Array.from({ length: 20 }, () => media(float32ToMulaw(noise(600, rate, 0.1)))),
      json(1500, { event: 'clear', streamSid: 'MZ1' }),
    ];
    const { out, received, errors } = await run('connectTwilio', {}, rate, steps, "fx.events.some((e) => e.type === 'interrupted')");
    expect(errors).toEqual([]);
    expect(events(out, 'error').map((e: any) => e.message)).toEqual([expect.stringMatching(/Twilio: a "media" message has no payload string/)]);
    expect(events(out, 'ended')[0]).toMatchObject({ utteranceId: 'twilio-1', playedSamples: 8000 });
    expect(events(out, 'mark').map((m: any) => [m.name, m.sampleOffset])).toEqual([
      ['twilio:half', 4000],
      ['twilio:all', 8000],
    ]);
    expect(received.filter((m) => m?.event === 'mark')).toEqual([
      { event: 'mark', streamSid: 'MZ1', mark: { name: 'half' } },
      { event: 'mark', streamSid: 'MZ1', mark: { name: 'all' } },
    ]);
    expect(events(out, 'interrupted')[0].utteranceId).toBe('twilio-2');
  });

  // Audio already on the wire when a turn is cut, in each vendor's own order (the unit tests
  // in test/unit/adapters/ play every order against the engine; these prove it over a real
  // socket into a real worklet): nothing of it may reach the output.
  /** Page script: waits until the first utterance has played out (the player's count, not a timer), and 200 ms more. */
  const AFTER_FIRST_ENDED = `while (!fx.events.some((e) => e.type === 'ended')) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));`;
  const staleSamples = (out: any) =>
    events(out, 'dropped')
      .filter((d: any) => d.reason === 'stale')
      .reduce((n: number, d: any) => n + d.samples, 0);

  it("in flight after a cut, Deepgram: the frames between the app's Clear and the server's Cleared are stale; the next Speak plays whole", async () => {
    const rate = 24000;
    const seg1 = noise(610, rate, 0.5);
    const seg2 = noise(620, rate, 3);
    const seg3 = noise(630, rate, 0.6);
    const frames = (s: Float32Array) => chunks(s, 2400).map((c) => ({ delayMs: 0, data: toPcm16(c) }));
    const inFlight = seg2.subarray(rate);
    const { out, received, errors } = await run(
      'connectDeepgram',
      {},
      rate,
      [...frames(seg1), json(0, { type: 'Flushed', sequence_id: 0 }), ...frames(seg2.subarray(0, rate))],
      "fx.events.filter((e) => e.type === 'ended').length === 2",
      // Cut seg2 once seg1 has played out (by the player's count, not a timer).
      `${AFTER_FIRST_ENDED} fx.player.interrupt();`,
      async (conn) => {
        await conn.waitForMessage((m) => m.json?.type === 'Clear', 30_000);
        await conn.play([
          ...frames(inFlight),
          json(0, { type: 'Flushed', sequence_id: 1 }),
          json(0, { type: 'Cleared', sequence_id: 1 }),
          ...frames(seg3),
          json(0, { type: 'Flushed', sequence_id: 2 }),
        ]);
      },
    );
    expect(errors).toEqual([]);
    expect(events(out, 'error')).toEqual([]);
    expect(received).toContainEqual({ type: 'Clear' });
    expect(events(out, 'ended').map((e: any) => [e.utteranceId, e.playedSamples])).toEqual([
      ['deepgram-1', seg1.length],
      ['deepgram-3', seg3.length],
    ]);
    expect(events(out, 'interrupted')[0].utteranceId).toBe('deepgram-2');
    expect(staleSamples(out)).toBe(inFlight.length);
    const got = captured(out);
    expect(equalRun(got, find(got, seg1), seg1)).toBe(true);
    expect(equalRun(got, find(got, seg3), seg3)).toBe(true);
    expect(find(got, inFlight)).toBe(-1);
  });

  it('in flight after a cut, Gemini Live: audio between interrupted and turnComplete is stale, that turnComplete is no error; the next turn plays whole', async () => {
    const rate = 24000;
    const turn1 = noise(640, rate, 3);
    const turn2 = noise(650, rate, 0.6);
    const part = (s: Float32Array) =>
      json(0, { serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: b64(toPcm16(s)) } }] } } });
    const inFlight = turn1.subarray(rate);
    const steps: StreamStep[] = [
      ...chunks(turn1.subarray(0, rate), 4800).map(part),
      json(600, { serverContent: { interrupted: true } }),
      ...chunks(inFlight, 4800).map(part),
      json(0, { serverContent: { turnComplete: true } }),
      ...chunks(turn2, 4800).map(part),
      json(0, { serverContent: { generationComplete: true } }),
      json(0, { serverContent: { turnComplete: true } }),
    ];
    const { out, errors } = await run('connectGeminiLive', {}, rate, steps, "fx.events.some((e) => e.type === 'ended')");
    expect(errors).toEqual([]);
    expect(events(out, 'error')).toEqual([]);
    expect(events(out, 'interrupted').map((e: any) => e.utteranceId)).toEqual(['gemini-1']);
    expect(events(out, 'ended').map((e: any) => [e.utteranceId, e.playedSamples])).toEqual([['gemini-2', turn2.length]]);
    expect(staleSamples(out)).toBe(inFlight.length);
    const got = captured(out);
    expect(equalRun(got, find(got, turn2), turn2)).toBe(true);
    expect(find(got, inFlight)).toBe(-1);
  });

  it("in flight after a cut, ElevenLabs agent: the cut response's chunks (its event_id) after interruption are stale; the next response plays whole", async () => {
    const rate = 16000;
    const reply1 = noise(660, rate, 0.5);
    const reply2 = noise(670, rate, 3);
    const reply3 = noise(680, rate, 0.6);
    const audio = (id: number) => (s: Float32Array) => json(0, { type: 'audio', audio_event: { audio_base_64: b64(toPcm16(s)), event_id: id } });
    const response = (id: number) => json(0, { type: 'agent_response', agent_response_event: { agent_response: `reply ${id}`, event_id: id } });
    const inFlight = reply2.subarray(rate);
    const steps: StreamStep[] = [response(1), ...chunks(reply1, 1600).map(audio(1)), response(2), ...chunks(reply2.subarray(0, rate), 1600).map(audio(2))];
    const { out, errors } = await run(
      'connectElevenLabsAgent',
      {},
      rate,
      steps,
      "fx.events.filter((e) => e.type === 'ended').length === 2",
      // The user speaks once reply 1 has played out (the player's count): the page tells the server.
      `${AFTER_FIRST_ENDED} fx.ws.send(JSON.stringify({ type: 'user_activity' }));`,
      async (conn) => {
        await conn.waitForMessage((m) => m.json?.type === 'user_activity', 30_000);
        await conn.play([
          json(0, { type: 'interruption', interruption_event: { event_id: 2 } }),
          ...chunks(inFlight, 1600).map(audio(2)),
          json(0, {
            type: 'agent_response_correction',
            agent_response_correction_event: { original_agent_response: 'reply 2', corrected_agent_response: 'rep', event_id: 2 },
          }),
          response(3),
          ...chunks(reply3, 1600).map(audio(3)),
          response(4),
        ]);
      },
    );
    expect(errors).toEqual([]);
    expect(events(out, 'error')).toEqual([]);
    expect(events(out, 'ended').map((e: any) => [e.utteranceId, e.playedSamples])).toEqual([
      ['agent-1', reply1.length],
      ['agent-3', reply3.length],
    ]);
    expect(staleSamples(out)).toBe(inFlight.length);
    const got = captured(out);
    expect(equalRun(got, find(got, reply1), reply1)).toBe(true);
    expect(equalRun(got, find(got, reply3), reply3)).toBe(true);
    expect(find(got, inFlight)).toBe(-1);
  });
});
