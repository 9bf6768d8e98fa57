// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_FRAME_BYTES, decodeFrame, type FrameHeader } from '../../../src/protocol/index';
import { float32ToPcm16 } from '../../../src/protocol/pcm-encode';
import { G711Decoder } from '../../../src/codecs/g711';
import { WavDecoder } from '../../../src/codecs/wav';
import { Mp3FrameSplitter } from '../../../src/codecs/mp3-frames';
import { OggDemuxer } from '../../../src/codecs/ogg';
import { MPEGDecoder } from 'mpg123-decoder';
import { startMockServer, type MockServer } from '../../../demo/server/mock-server';
import { synthesize } from '../../../demo/server/voice';

type Msg = { kind: 'binary'; data: Buffer; at: number } | { kind: 'text'; json: Record<string, unknown>; at: number };

/** A ws client that records every message with its arrival time. */
class Client {
  readonly messages: Msg[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const at = performance.now();
      this.messages.push(isBinary ? { kind: 'binary', data, at } : { kind: 'text', json: JSON.parse(data.toString('utf8')), at });
      this.wake();
    });
    ws.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async connect(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Client(ws);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(obj: unknown): void {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  speak(text: string, options?: Record<string, unknown>): void {
    this.send({ type: 'speak', text, ...(options ? { options } : {}) });
  }

  /** Resolves once `pred` holds (checked on every message/close), rejects after `ms`. */
  async until(pred: () => boolean, ms = 5000): Promise<void> {
    const deadline = performance.now() + ms;
    while (!pred()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out; ${this.messages.length} messages so far`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  texts(type?: string): Record<string, unknown>[] {
    return this.messages.flatMap((m) => (m.kind === 'text' && (type === undefined || m.json.type === type) ? [m.json] : []));
  }

  binaries(): Buffer[] {
    return this.messages.flatMap((m) => (m.kind === 'binary' ? [m.data] : []));
  }

  hasEnd(id: string): boolean {
    return this.texts('end').some((m) => m.utteranceId === id);
  }

  async closeAndWait(): Promise<void> {
    if (this.closed) return;
    this.ws.close();
    await this.until(() => this.closed);
  }
}

const FAST = { speed: 'Infinity', firstChunkDelayMs: 0 };

function decodeAll(bufs: Buffer[]): { header: FrameHeader; payload: Uint8Array; bytes: Buffer }[] {
  return bufs.map((b) => {
    const r = decodeFrame(b);
    if (!r.ok) throw new Error(`frame rejected: ${r.error.code}`);
    return { header: r.frame.header, payload: r.frame.payload, bytes: b };
  });
}

let server: MockServer;
const clients: Client[] = [];

async function client(): Promise<Client> {
  const c = await Client.connect(server.url);
  clients.push(c);
  return c;
}

async function speakAndCollect(text: string, options: Record<string, unknown> = FAST): Promise<{ c: Client; id: string }> {
  const c = await client();
  c.speak(text, options);
  await c.until(() => c.texts('start').length > 0);
  const id = c.texts('start')[0].utteranceId as string;
  await c.until(() => c.hasEnd(id) || c.closed);
  return { c, id };
}

beforeAll(async () => {
  server = await startMockServer({ port: 0 });
});

afterAll(async () => {
  for (const c of clients) await c.closeAndWait();
  await server.close();
});

describe('mock server: framed mode', () => {
  it('streams one utterance as start, frames seq 0..n-1 (start/end flagged), end', async () => {
    const text = 'Hello, world. This is the mock server.';
    const { c, id } = await speakAndCollect(text, { ...FAST, chunkMs: 40 });
    const synth = synthesize(text);

    // Order: start text first, end text last, binary frames between.
    expect(c.messages[0].kind).toBe('text');
    expect(c.messages[c.messages.length - 1]).toMatchObject({ kind: 'text', json: { type: 'end', utteranceId: id } });
    const start = c.texts('start')[0];
    expect(start).toEqual({ type: 'start', utteranceId: id, sampleRate: 24000, format: 'pcm16', text });
    expect(id).toMatch(/^[1-9][0-9]*$/);

    const frames = decodeAll(c.binaries());
    expect(frames.length).toBe(Math.ceil(synth.samples.length / 960));
    frames.forEach(({ header }, i) => {
      expect(header).toMatchObject({ codec: 'pcm16', sampleRate: 24000, utteranceId: Number(id), seq: i });
      expect(header.start).toBe(i === 0);
      expect(header.end).toBe(i === frames.length - 1);
    });
    // Payloads concatenate to exactly the synthesized audio.
    const pcm = Buffer.concat(frames.map((f) => f.payload));
    expect(pcm.length / 2).toBe(synth.samples.length);
    expect(pcm.equals(Buffer.from(float32ToPcm16(synth.samples)))).toBe(true);
  });

  it("sends one mark per synthesized word, at the word's start sample, after start", async () => {
    const text = 'Captions light up word by word.';
    const { c, id } = await speakAndCollect(text);
    const synth = synthesize(text);
    const marks = c.texts('mark');
    expect(marks).toEqual(synth.words.map((w) => ({ type: 'mark', utteranceId: id, sampleOffset: w.startSample, name: w.text })));
    expect(marks.length).toBe(6);
    const kinds = c.texts().map((m) => m.type);
    expect(kinds.indexOf('start')).toBeLessThan(kinds.indexOf('mark'));
  });

  it('gives each utterance a new, increasing id', async () => {
    const c = await client();
    c.speak('one', FAST);
    c.speak('two', FAST);
    await c.until(() => c.texts('end').length === 2);
    const [a, b] = c.texts('start').map((m) => Number(m.utteranceId));
    expect(b).toBeGreaterThan(a);
    const ids = new Set(decodeAll(c.binaries()).map((f) => f.header.utteranceId));
    expect(ids).toEqual(new Set([a, b]));
  });

  it('paces frames: the first not before firstChunkDelayMs, then the whole utterance in 40 ms frames', async () => {
    const c = await client();
    const t0 = performance.now();
    c.speak('pacing test', { firstChunkDelayMs: 250, speed: 4, chunkMs: 40 });
    await c.until(() => c.texts('end').length === 1);
    const bins = c.messages.filter((m) => m.kind === 'binary');
    const audioMs = (synthesize('pacing test').samples.length / 24000) * 1000;
    // A delay can only be stretched by load, never shortened: the lower bound is safe. The
    // spacing itself is the pure plan's (test/unit/demo/scenario.test.ts), not asserted here on
    // the wall clock, which a loaded machine bends.
    expect(bins[0].at - t0).toBeGreaterThanOrEqual(240);
    expect(bins.length).toBe(Math.ceil(audioMs / 40));
  });

  it('stalls mid-utterance when asked', async () => {
    const c = await client();
    // Send times count from the request, so the first-chunk delay also absorbs synthesis time.
    c.speak('stall test here', { firstChunkDelayMs: 150, speed: 'Infinity', chunkMs: 40, stallAtMs: 200, stallMs: 400 });
    await c.until(() => c.texts('end').length === 1);
    const bins = c.messages.filter((m) => m.kind === 'binary');
    const gaps = bins.slice(1).map((m, i) => m.at - bins[i].at);
    const big = gaps.findIndex((g) => g >= 300);
    expect(big).toBe(4); // frames 0–4 cover 0–200 ms; frame 5 starts at 200 ms
    expect(gaps.filter((g) => g >= 300).length).toBe(1);
  });
});

describe('mock server: raw and legacy modes', () => {
  it('raw: headerless PCM16 between start and end', async () => {
    const text = 'raw mode';
    const { c, id } = await speakAndCollect(text, { ...FAST, mode: 'raw' });
    const synth = synthesize(text);
    expect(c.texts('start')[0]).toMatchObject({ utteranceId: id, sampleRate: 24000, format: 'pcm16' });
    expect(c.hasEnd(id)).toBe(true);
    const pcm = Buffer.concat(c.binaries());
    expect(pcm.equals(Buffer.from(float32ToPcm16(synth.samples)))).toBe(true);
    expect(c.binaries().length).toBe(Math.ceil(synth.samples.length / 960));
  });

  it('format mulaw / alaw: framed G.711 bytes, one per sample, that the player decodes back to the voice (within G.711 steps)', async () => {
    const text = 'telephony audio';
    const synth = synthesize(text);
    for (const format of ['mulaw', 'alaw'] as const) {
      const { c } = await speakAndCollect(text, { ...FAST, format });
      expect(c.texts('start')[0]).toMatchObject({ format });
      const frames = decodeAll(c.binaries());
      expect(new Set(frames.map((f) => f.header.codec))).toEqual(new Set([format]));
      const bytes = new Uint8Array(Buffer.concat(frames.map((f) => f.payload)));
      expect(bytes.length).toBe(synth.samples.length);
      const decoded = new G711Decoder(format).decode(bytes).samples;
      let worst = 0;
      for (let i = 0; i < decoded.length; i++)
        worst = Math.max(worst, Math.abs(decoded[i] - synth.samples[i]) / Math.max(Math.abs(synth.samples[i]), 256 / 32768));
      expect(worst).toBeLessThan(1 / 12);
    }
  });

  it('format wav (raw mode): a streamed WAV (lengths 0xFFFFFFFF) whose decode is exactly the PCM16 voice', async () => {
    const text = 'a wav stream';
    const { c } = await speakAndCollect(text, { ...FAST, mode: 'raw', format: 'wav' });
    expect(c.texts('start')[0]).toMatchObject({ format: 'wav' });
    const chunks = c.binaries();
    expect(Buffer.from(chunks[0].subarray(0, 4)).toString()).toBe('RIFF');
    const d = new WavDecoder();
    const parts = chunks.map((b) => d.decode(new Uint8Array(b)));
    const samples = Float32Array.from(parts.flatMap((p) => Array.from(p.samples)));
    expect(parts[0].sampleRate).toBe(24000);
    const synth = synthesize(text);
    expect(Buffer.from(float32ToPcm16(samples)).equals(Buffer.from(float32ToPcm16(synth.samples)))).toBe(true);
  });

  it('format mp3: a tagless LAME stream cut anywhere across frames, which mpg123 decodes back to the voice (≥ 0.95 correlation after LAME’s 576 + 529 delay)', async () => {
    const text = 'an mp3 stream';
    const synth = synthesize(text);
    const { c } = await speakAndCollect(text, { ...FAST, format: 'mp3' });
    expect(c.texts('start')[0]).toMatchObject({ format: 'mp3', sampleRate: 24000 });
    // Marks stay at the voice's offsets: MP3 decodes at the input rate.
    expect(c.texts('mark').map((m) => m.sampleOffset)).toEqual(synth.words.map((w) => w.startSample));
    const frames = decodeAll(c.binaries());
    expect(new Set(frames.map((f) => f.header.codec))).toEqual(new Set(['mp3']));
    const stream = new Uint8Array(Buffer.concat(frames.map((f) => f.payload)));
    const splitter = new Mp3FrameSplitter();
    const mp3Frames = splitter.push(stream);
    expect(splitter.gapless).toBeNull(); // a pipe: no LAME tag
    expect(splitter.format).toMatchObject({ sampleRate: 24000, channels: 1 });
    expect(mp3Frames.length * 576).toBeGreaterThanOrEqual(synth.samples.length + 576 + 529);
    const decoder = new MPEGDecoder({ enableGapless: false });
    await decoder.ready;
    const decoded = decoder.decodeFrames(mp3Frames).channelData[0].subarray(576 + 529);
    decoder.free();
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let i = 0; i < synth.samples.length; i++) {
      dot += decoded[i] * synth.samples[i];
      a += decoded[i] ** 2;
      b += synth.samples[i] ** 2;
    }
    expect(dot / Math.sqrt(a * b)).toBeGreaterThan(0.95);
  });

  it('format ogg-opus: an opusenc stream cut anywhere whose granule says exactly the voice’s length at 48 kHz; marks count 48 kHz samples', async () => {
    const text = 'an ogg opus stream';
    const synth = synthesize(text);
    const { c } = await speakAndCollect(text, { ...FAST, mode: 'raw', format: 'ogg-opus' });
    expect(c.texts('start')[0]).toMatchObject({ format: 'ogg-opus' });
    expect(c.texts('mark').map((m) => m.sampleOffset)).toEqual(synth.words.map((w) => w.startSample * 2));
    const packets = new OggDemuxer().push(new Uint8Array(Buffer.concat(c.binaries())));
    expect(Buffer.from(packets[0].data.subarray(0, 8)).toString()).toBe('OpusHead');
    const preSkip = Buffer.from(packets[0].data).readUInt16LE(10);
    const last = packets[packets.length - 1];
    expect(last.last).toBe(true);
    expect(last.granule - preSkip).toBe(synth.samples.length * 2);
  });

  it('rejects an unknown format, naming the choices', async () => {
    const c = await client();
    c.speak('x', { ...FAST, format: 'aac' });
    await c.until(() => c.texts('error').length > 0);
    expect(c.texts('error')[0].message).toMatch(/options.format must be one of "pcm16", "mulaw", "alaw", "wav", "mp3", "ogg-opus" \(got "aac"\)/);
  });

  it('legacy: base64 WAV chunks inside JSON audio messages', async () => {
    const text = 'legacy mode';
    const { c, id } = await speakAndCollect(text, { ...FAST, mode: 'legacy' });
    expect(c.binaries().length).toBe(0);
    const audio = c.texts('audio');
    expect(audio.length).toBeGreaterThan(1);
    const parts = audio.map((m) => {
      expect(m.utteranceId).toBe(id);
      const wav = Buffer.from(m.wav as string, 'base64');
      expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
      expect(wav.subarray(8, 12).toString('ascii')).toBe('WAVE');
      expect(wav.readUInt32LE(24)).toBe(24000);
      expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
      return wav.subarray(44);
    });
    expect(Buffer.concat(parts).equals(Buffer.from(float32ToPcm16(synthesize(text).samples)))).toBe(true);
  });
});

describe('mock server: interrupt', () => {
  it('stops sending at once and acknowledges with end; nothing is sent afterwards', async () => {
    const c = await client();
    const interruptsBefore = server.stats.interrupts.length;
    c.speak('This is a long utterance that will be interrupted well before it finishes playing.', {
      firstChunkDelayMs: 0,
      speed: 1,
      chunkMs: 40,
    });
    await c.until(() => c.binaries().length >= 3);
    const id = c.texts('start')[0].utteranceId as string;
    c.send({ type: 'interrupt', utteranceId: id });
    await c.until(() => c.hasEnd(id));
    const ackIndex = c.messages.findIndex((m) => m.kind === 'text' && m.json.type === 'end');
    const atAck = c.binaries().length;
    await new Promise((r) => setTimeout(r, 300));
    expect(c.binaries().length).toBe(atAck);
    expect(c.messages.length).toBe(ackIndex + 1);
    // Only a handful were sent (speed 1: one frame per 40 ms), far fewer than planned.
    expect(atAck).toBeLessThan(15);

    const rec = server.stats.interrupts[interruptsBefore];
    expect(rec).toEqual({ requested: id, cancelled: [id], framesSentAfter: 0 });
    expect(server.stats.framesSentAfterInterrupt).toBe(0);
    expect(server.stats.utterancesInterrupted).toBeGreaterThanOrEqual(1);
  });

  it('interrupt with a null id cancels every active utterance of the connection', async () => {
    const c = await client();
    c.speak('first long utterance, still going on and on and on', { firstChunkDelayMs: 0, speed: 1 });
    c.speak('second long utterance, also going on and on and on', { firstChunkDelayMs: 0, speed: 1 });
    await c.until(() => c.binaries().length >= 4);
    const ids = c.texts('start').map((m) => m.utteranceId as string);
    c.send({ type: 'interrupt', utteranceId: null });
    await c.until(() => ids.every((id) => c.hasEnd(id)));
    const n = c.binaries().length;
    await new Promise((r) => setTimeout(r, 200));
    expect(c.binaries().length).toBe(n);
    const rec = server.stats.interrupts[server.stats.interrupts.length - 1];
    expect(rec.requested).toBeNull();
    expect(rec.cancelled.sort()).toEqual([...ids].sort());
    expect(rec.framesSentAfter).toBe(0);
  });

  it('records but does not answer an interrupt for an unknown utterance', async () => {
    const c = await client();
    c.send({ type: 'interrupt', utteranceId: '999999' });
    c.speak('ok', FAST); // a later reply proves the interrupt was processed first
    await c.until(() => c.texts('end').length === 1);
    expect(c.texts('end')[0].utteranceId).not.toBe('999999');
    expect(c.texts('error')).toEqual([]);
    const rec = server.stats.interrupts.find((r) => r.requested === '999999');
    expect(rec).toEqual({ requested: '999999', cancelled: [], framesSentAfter: 0 });
  });
});

describe('mock server: faults', () => {
  const text = 'Fault injection needs an utterance with a good number of frames in it.';
  const total = synthesize(text).samples.length;
  const n = Math.ceil(total / 960);

  it('drop: terminates the connection at faultAtMs', async () => {
    const { c } = await speakAndCollect(text, { ...FAST, fault: 'drop', faultAtMs: 400 });
    await c.until(() => c.closed);
    const frames = decodeAll(c.binaries());
    expect(frames.map((f) => f.header.seq)).toEqual([...Array(10).keys()]); // 0–400 ms = frames 0..9
    expect(c.texts('end')).toEqual([]);
  });

  it('malformed: one garbage binary message (bad magic) in the middle, the stream otherwise intact', async () => {
    const { c } = await speakAndCollect(text, { ...FAST, fault: 'malformed' });
    const bins = c.binaries();
    expect(bins.length).toBe(n + 1);
    const bad = bins.map((b) => decodeFrame(b)).flatMap((r, i) => (r.ok ? [] : [{ i, code: r.error.code }]));
    expect(bad).toEqual([{ i: Math.floor(n / 2), code: 'bad-magic' }]);
    const seqs = decodeAll(bins.filter((_, i) => i !== bad[0].i)).map((f) => f.header.seq);
    expect(seqs).toEqual([...Array(n).keys()]);
  });

  it('duplicate: one frame is sent twice, byte for byte', async () => {
    const { c } = await speakAndCollect(text, { ...FAST, fault: 'duplicate', faultAtMs: 200 });
    const frames = decodeAll(c.binaries());
    expect(frames.length).toBe(n + 1);
    const seqs = frames.map((f) => f.header.seq);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 5, ...Array.from({ length: n - 6 }, (_, i) => i + 6)]);
    expect(frames[5].bytes.equals(frames[6].bytes)).toBe(true);
  });

  it('reorder: two adjacent frames swap places', async () => {
    const { c } = await speakAndCollect(text, { ...FAST, fault: 'reorder', faultAtMs: 100 });
    const seqs = decodeAll(c.binaries()).map((f) => f.header.seq);
    const expected = [...Array(n).keys()];
    [expected[2], expected[3]] = [expected[3], expected[2]];
    expect(seqs).toEqual(expected);
  });

  it('oversized: one extra message larger than MAX_FRAME_BYTES', async () => {
    const { c } = await speakAndCollect(text, { ...FAST, fault: 'oversized', faultAtMs: 0 });
    const bins = c.binaries();
    expect(bins.length).toBe(n + 1);
    expect(bins[0].length).toBeGreaterThan(MAX_FRAME_BYTES);
    const r = decodeFrame(bins[0]);
    expect(r.ok ? 'ok' : r.error.code).toBe('oversized');
    expect(decodeAll(bins.slice(1)).map((f) => f.header.seq)).toEqual([...Array(n).keys()]);
  });

  it('records injected faults in the stats', () => {
    const kinds = server.stats.faultsInjected.map((f) => f.fault);
    for (const k of ['drop', 'malformed', 'duplicate', 'reorder', 'oversized']) expect(kinds).toContain(k);
  });
});

describe('mock server: robustness', () => {
  it('speaks empty, emoji, CJK, RTL and control-character text', async () => {
    const c = await client();
    const texts = ['', '😀👨‍👩‍👧‍👦🎉', '你好，世界。', 'مرحبا بالعالم', 'שלום', '\u0000\u0007\u001b[0m \ud800', 'a'.repeat(20000)];
    for (const t of texts) c.speak(t, FAST);
    await c.until(() => c.texts('end').length === texts.length, 15000);
    expect(c.texts('error')).toEqual([]);
    const starts = c.texts('start');
    expect(starts.map((s) => s.text)).toEqual(texts.map((t) => t.slice(0, 4000)));
    const frames = decodeAll(c.binaries());
    for (const s of starts) {
      const own = frames.filter((f) => f.header.utteranceId === Number(s.utteranceId));
      expect(own.length).toBeGreaterThan(0);
      expect(own[0].header.start).toBe(true);
      expect(own[own.length - 1].header.end).toBe(true);
    }
  });

  it('answers invalid JSON, bad messages and bad options with an error and keeps the connection', async () => {
    const c = await client();
    c.send('{not json');
    c.send('[1,2]');
    c.send({ type: 'dance' });
    c.send({ type: 'speak' });
    c.speak('x', { chunkMs: 'big' });
    c.speak('x', { bogus: 1 });
    c.ws.send(Buffer.from([1, 2, 3]));
    await c.until(() => c.texts('error').length === 7);
    const errors = c.texts('error').map((m) => m.message as string);
    expect(errors[0]).toMatch(/^not-json:/);
    expect(errors[1]).toMatch(/^not-object:/);
    expect(errors[2]).toMatch(/^unknown-type:/);
    expect(errors[3]).toMatch(/^bad-field:.*text/);
    expect(errors[4]).toMatch(/options\.chunkMs/);
    expect(errors[5]).toMatch(/options\.bogus/);
    expect(errors[6]).toMatch(/binary/);
    expect(c.texts('start')).toEqual([]);
    // Still usable.
    c.speak('still here', FAST);
    await c.until(() => c.texts('end').length === 1);
    expect(c.closed).toBe(false);
  });

  it('counts what it sends', async () => {
    const before = { ...server.stats };
    const { c } = await speakAndCollect('counting', FAST);
    expect(server.stats.utterancesStarted - before.utterancesStarted).toBe(1);
    expect(server.stats.utterancesCompleted - before.utterancesCompleted).toBe(1);
    expect(server.stats.framesSent - before.framesSent).toBe(c.binaries().length);
    expect(server.stats.bytesSent - before.bytesSent).toBe(c.binaries().reduce((a, b) => a + b.length, 0));
  });

  it('applies server defaults and rejects bad ones; close() ends streams and connections', async () => {
    await expect(startMockServer({ port: 0, defaults: { chunkMs: 'x' as unknown as number } })).rejects.toThrow(/chunkMs/);
    const s2 = await startMockServer({ port: 0, defaults: { mode: 'raw', speed: 1, firstChunkDelayMs: 0 } });
    const c = await Client.connect(s2.url);
    c.speak('a long one that will not finish before the server closes');
    await c.until(() => c.binaries().length >= 1);
    expect(decodeFrame(c.binaries()[0]).ok).toBe(false); // raw PCM: no header
    await s2.close();
    await c.until(() => c.closed);
    expect(c.texts('end')).toEqual([]);
    expect(s2.stats.openConnections).toBe(0);
  });
});

describe('mock server: voice services’ message shapes (?service=…)', () => {
  async function serviceClient(service: string): Promise<Client> {
    const c = await Client.connect(`${server.url}?service=${service}`);
    clients.push(c);
    return c;
  }

  it('openai-realtime: output_audio deltas whose PCM is the voice, then done; a truncate stops the item and is logged', async () => {
    const text = 'realtime shapes';
    const synth = synthesize(text);
    const c = await serviceClient('openai-realtime');
    c.speak(text, FAST);
    await c.until(() => c.texts('response.output_audio.done').length > 0);
    const deltas = c.texts('response.output_audio.delta');
    const item = deltas[0].item_id as string;
    expect(deltas.every((d) => d.item_id === item && d.content_index === 0)).toBe(true);
    const pcm = Buffer.concat(deltas.map((d) => Buffer.from(d.delta as string, 'base64')));
    expect(pcm.equals(Buffer.from(float32ToPcm16(synth.samples)))).toBe(true);
    expect(c.binaries()).toEqual([]);
    expect(c.texts('start')).toEqual([]); // no voxplay control messages in a service's shapes

    // A long one, cut by the client's truncate: the server stops sending it.
    c.speak('a much longer reply that keeps going for a while so it can be cut', { speed: 1, firstChunkDelayMs: 0 });
    await c.until(() => c.texts('response.output_audio.delta').length > deltas.length + 2);
    const long = c.texts('response.output_audio.delta').at(-1)!.item_id as string;
    c.send({ type: 'conversation.item.truncate', item_id: long, content_index: 0, audio_end_ms: 120 });
    // The client's until() wakes on messages, and a cut item sends none: poll the server instead.
    for (let k = 0; k < 100 && !server.stats.serviceMessages.some((m) => m.includes(long)); k++) await new Promise((r) => setTimeout(r, 10));
    const sent = c.texts('response.output_audio.delta').length;
    await new Promise((r) => setTimeout(r, 150));
    expect(c.texts('response.output_audio.delta').length).toBeLessThanOrEqual(sent + 1);
    expect(server.stats.serviceMessages).toContain(`conversation.item.truncate ${long} audio_end_ms 120`);
  });

  it('twilio: μ-law media at 8 kHz, one mark after each word; elevenlabs: alignment chars per chunk and isFinal', async () => {
    const text = 'one two three';
    const c = await serviceClient('twilio');
    c.speak(text, FAST);
    const synth8k = synthesize(text, 8000);
    await c.until(() => c.messages.filter((m) => m.kind === 'text' && m.json.event === 'mark').length === synth8k.words.length);
    const media = c.messages.flatMap((m) => (m.kind === 'text' && m.json.event === 'media' ? [m.json] : []));
    const bytes = Buffer.concat(media.map((m) => Buffer.from((m.media as { payload: string }).payload, 'base64')));
    expect(bytes.length).toBe(synth8k.samples.length);
    const marks = c.messages.flatMap((m) => (m.kind === 'text' && m.json.event === 'mark' ? [(m.json.mark as { name: string }).name] : []));
    expect(marks).toEqual(synth8k.words.map((w) => w.text));

    const e = await serviceClient('elevenlabs');
    e.speak(text, FAST);
    await e.until(() => e.messages.some((m) => m.kind === 'text' && m.json.isFinal === true));
    const chars = e.messages.flatMap((m) => (m.kind === 'text' && m.json.alignment ? (m.json.alignment as { chars: string[] }).chars : []));
    expect(chars.join('')).toBe('one two three ');
  });

  it("twilio: the app's barge-in (voxplay's interrupt) stops the reply and is answered with clear, after the reply's last media; openai-realtime: one response id per reply, created and done", async () => {
    const c = await serviceClient('twilio');
    c.speak('a much longer reply that keeps going for a while so it can be cut', { speed: 1, firstChunkDelayMs: 0 });
    await c.until(() => c.messages.filter((m) => m.kind === 'text' && m.json.event === 'media').length >= 2);
    c.send({ type: 'interrupt', utteranceId: null });
    await c.until(() => c.messages.some((m) => m.kind === 'text' && m.json.event === 'clear'));
    const events = c.messages.flatMap((m) => (m.kind === 'text' ? [m.json.event] : []));
    await new Promise((r) => setTimeout(r, 150));
    expect(c.messages.flatMap((m) => (m.kind === 'text' ? [m.json.event] : []))).toEqual(events); // nothing after the clear
    expect(events.at(-1)).toBe('clear');

    const o = await serviceClient('openai-realtime');
    o.speak('one', FAST);
    o.speak('two', FAST);
    await o.until(() => o.texts('response.done').length === 2);
    const created = o.texts('response.created').map((m) => (m.response as { id: string }).id);
    expect(new Set(created).size).toBe(2);
    expect(o.texts('response.done').map((m) => (m.response as { id: string }).id)).toEqual(created);
    for (const d of o.texts('response.output_audio.delta')) expect(created).toContain(d.response_id);
  });
});
