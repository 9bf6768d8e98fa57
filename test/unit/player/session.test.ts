import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AudioCodec, DecodedChunk, Decoder } from '../../../src/codecs/codec';
import type { AudioSink, AudioSource } from '../../../src/sources/source';
import { CODECS } from '../../../src/codecs/registry';
import { wavFile } from '../../../src/protocol/pcm-encode';
import { makeRig, noise, pcm16, QUANTUM } from './fake-engine';

const FIGURES = { state: 'running', speed: 1, transport: 'message', contextSampleRate: 24000, outputLatencyMs: 0, clockSource: 'timestamp' } as const;

afterEach(() => {
  vi.useRealTimers();
});

/** Index of the first non-zero output sample. */
function onset(out: number[]): number {
  return out.findIndex((x) => x !== 0);
}

/** A source the test drives by hand, with the given overflow policy. */
function handSource(overflow: 'wait' | 'drop'): AudioSource & { sink: AudioSink; cut: (string | null)[][] } {
  const source = {
    overflow,
    sink: null as unknown as AudioSink,
    cut: [] as (string | null)[][],
    connect(sink: AudioSink) {
      source.sink = sink;
      return () => undefined;
    },
    interrupted(ids: readonly (string | null)[]) {
      source.cut.push([...ids]);
    },
  };
  return source;
}

describe('PlaybackSession against the real engine (fake port)', () => {
  it('plays pushed PCM16 bit-exact and gapless whatever the chunking, then fires ended once, on the audio clock', async () => {
    const rig = makeRig({ sampleRate: 24000 });
    const { bytes, floats } = pcm16(noise(5000, 7));
    // Odd cuts: samples split across chunks.
    const cuts = [0, 1, 2, 333, 1001, 4097, 7000, 9999, bytes.length];
    for (let k = 0; k + 1 < cuts.length; k++) expect(rig.session.write('u1', bytes.subarray(cuts[k], cuts[k + 1]), {}, 'wait')).toBe(true);
    rig.session.ingest.end('u1', 'app');
    await rig.renderUntil(() => rig.events('ended').length > 0);
    const start = onset(rig.output);
    expect(rig.output.slice(start, start + floats.length)).toEqual(Array.from(floats));
    expect(rig.output.slice(start + floats.length).every((x) => x === 0)).toBe(true);
    const [ended] = rig.events('ended');
    expect(ended).toMatchObject({ utteranceId: 'u1', playedSamples: 5000 });
    // ended fires once the last frame has been heard, not when the report arrives.
    const endedAt = rig.log.find((l) => l.type === 'ended')!.frame;
    expect(endedAt).toBeGreaterThanOrEqual(start + floats.length);
    await rig.render(20);
    expect(rig.events('ended')).toHaveLength(1);
    const m = rig.session.metrics({ state: 'running', speed: 1, transport: 'message', contextSampleRate: 24000, outputLatencyMs: 0, clockSource: 'timestamp' });
    expect(m.samples).toMatchObject({ received: 5000, played: 5000, buffered: 0, dropped: 0 });
  });

  it('announces an utterance once with its text and metadata (utterancestart)', async () => {
    const rig = makeRig();
    const src = handSource('drop');
    rig.session.connect(src);
    src.sink.startUtterance('7', { sampleRate: 16000, format: 'pcm16', text: 'Hello there.', meta: { voice: 'x' } });
    src.sink.write('7', pcm16(noise(100)).bytes, { sampleRate: 16000, format: 'pcm16' });
    src.sink.startUtterance('7', { sampleRate: 16000 });
    expect(rig.events('utterancestart')).toEqual([{ utteranceId: '7', sampleRate: 16000, format: 'pcm16', text: 'Hello there.', meta: { voice: 'x' } }]);
    rig.session.write('8', pcm16(noise(10)).bytes, {}, 'wait');
    expect(rig.events('utterancestart')[1]).toEqual({ utteranceId: '8', sampleRate: 24000, format: 'pcm16', text: null, meta: null });
  });

  it('interrupt: stale audio arriving for the cut utterance is a dropped event (not an error), counted exactly; sources hear of every cut', async () => {
    const rig = makeRig({ fadeMs: 5 });
    const src = handSource('drop');
    rig.session.connect(src);
    src.sink.write('a', pcm16(noise(12000)).bytes);
    src.sink.write('b', pcm16(noise(2400)).bytes); // queued behind a (and a is ended by it)
    src.sink.startUtterance('c', {});
    await rig.render(10);
    const estimate = rig.session.interrupt();
    expect(estimate.utteranceId).toBe('a');
    expect(src.cut).toEqual([['a', 'b', 'c']]);
    for (let k = 0; k < 3; k++) src.sink.write('b', pcm16(noise(480)).bytes);
    await rig.renderUntil(() => rig.events('interrupted').length > 0);
    const [cut] = rig.events('interrupted');
    expect(cut.utteranceId).toBe('a');
    expect(cut.flushed).toEqual(['b']);
    expect(cut.playedSamples).toBeGreaterThan(10 * QUANTUM - 1);
    expect(rig.events('error')).toEqual([]);
    // b was ended by c's announcement, so its late frames are after-end… but it was cut first: stale.
    const dropped = rig.events('dropped');
    expect(dropped.map((d) => d.reason)).toEqual(['stale', 'stale', 'stale']);
    expect(dropped.reduce((n, d) => n + d.samples, 0)).toBe(1440);
    const m = rig.session.metrics({ state: 'running', speed: 1, transport: 'message', contextSampleRate: 24000, outputLatencyMs: 0, clockSource: 'timestamp' });
    expect(m.samples.stale).toBe(1440);
    expect(m.samples.received).toBe(m.samples.played + m.samples.buffered + m.samples.dropped);
    // After the fade, silence.
    const silentFrom = rig.log.find((l) => l.type === 'interrupted')!.frame;
    expect(rig.output.slice(silentFrom).every((x) => x === 0)).toBe(true);
  });

  it("a source that cannot wait ('drop') overflows into dropped events whose samples sum to the overflow count", async () => {
    const rig = makeRig({ maxBufferMs: 100 }); // 2400 samples
    const src = handSource('drop');
    rig.session.connect(src);
    for (let k = 0; k < 10; k++) src.sink.write('u', pcm16(noise(960, k)).bytes);
    src.sink.endUtterance('u');
    const dropped = rig.events('dropped');
    expect(dropped.every((d) => d.reason === 'overflow')).toBe(true);
    expect(dropped.reduce((n, d) => n + d.samples, 0)).toBe(960 * 8);
    await rig.renderUntil(() => rig.events('ended').length > 0);
    const m = rig.session.metrics({ state: 'running', speed: 1, transport: 'message', contextSampleRate: 24000, outputLatencyMs: 0, clockSource: 'timestamp' });
    expect(m.samples).toMatchObject({ received: 9600, played: 1920, overflow: 7680, dropped: 7680, buffered: 0 });
    expect(rig.events('error')).toEqual([]);
  });

  it("a source that can wait ('wait') is refused with nothing taken, then drain fires and whenWritable resolves once it fits", async () => {
    const rig = makeRig({ maxBufferMs: 100, transportKind: 'shared' });
    const { bytes, floats } = pcm16(noise(4000, 3));
    const chunks = [bytes.subarray(0, 3001), bytes.subarray(3001, 6001), bytes.subarray(6001)];
    expect(rig.session.write('u', chunks[0], {}, 'wait')).toBe(true);
    // 1500 + 1500 samples > 2400: refused whole.
    expect(rig.session.write('u', chunks[1], {}, 'wait')).toBe(false);
    let writable = false;
    void rig.session.whenWritable(1500).then(() => (writable = true));
    expect(rig.events('drain')).toEqual([]);
    await rig.renderUntil(() => writable);
    expect(rig.events('drain')).toHaveLength(1);
    expect(rig.events('drain')[0].freeSamples).toBeGreaterThanOrEqual(1500);
    expect(rig.session.write('u', chunks[1], {}, 'wait')).toBe(true);
    await rig.renderUntil(() => rig.session.write('u', chunks[2], {}, 'wait'));
    rig.session.ingest.end('u', 'app');
    await rig.renderUntil(() => rig.events('ended').length > 0);
    const start = onset(rig.output);
    expect(rig.output.slice(start, start + floats.length)).toEqual(Array.from(floats));
    expect(rig.events('error')).toEqual([]);
    expect(rig.events('dropped')).toEqual([]);
  });

  it('a compressed-class stream (WAV: its size is known only after decoding) is refused by the estimate from what decoded so far; whenWritable() with no argument waits for that; nothing is dropped', async () => {
    // The WAV decoder is a lazy chunk: load it first, so the rig's quanta do not race the import.
    await CODECS.wav.createDecoder(24000).decode(new Uint8Array(0));
    const rig = makeRig({ maxBufferMs: 100, transportKind: 'shared' });
    const { bytes, floats } = pcm16(noise(4500, 5));
    const wav = new Uint8Array(wavFile(bytes, 24000));
    const chunks = [wav.subarray(0, 44 + 3000), wav.subarray(44 + 3000, 44 + 6000), wav.subarray(44 + 6000)];
    expect(rig.session.write('u', chunks[0], { format: 'wav' }, 'wait')).toBe(true); // taken on trust
    await rig.renderUntil(() => rig.session.metrics(FIGURES).samples.received === 1500);
    // 1500 decoded from 3044 bytes: the next 3000 bytes make about 1478 more; 1500 + 1478 > 2400.
    expect(rig.session.write('u', chunks[1], { format: 'wav' }, 'wait')).toBe(false);
    let writable = false;
    void rig.session.whenWritable().then(() => (writable = true));
    await rig.renderUntil(() => writable);
    expect(rig.session.write('u', chunks[1], { format: 'wav' }, 'wait')).toBe(true);
    await rig.renderUntil(() => rig.session.write('u', chunks[2], { format: 'wav' }, 'wait'));
    rig.session.ingest.end('u', 'app');
    await rig.renderUntil(() => rig.events('ended').length > 0);
    const start = onset(rig.output);
    expect(rig.output.slice(start, start + floats.length)).toEqual(Array.from(floats));
    expect(rig.events('dropped')).toEqual([]);
    expect(rig.events('error')).toEqual([]);
  });

  it('a chunk larger than the whole buffer is an error (it can never fit), and the player keeps playing', async () => {
    const rig = makeRig({ maxBufferMs: 100 });
    expect(rig.session.write('u', new Uint8Array(2401 * 2), {}, 'wait')).toBe(false);
    expect(rig.events('error').map((e) => e.code)).toEqual(['oversized']);
    const { bytes, floats } = pcm16(noise(480));
    expect(rig.session.write('u', bytes, {}, 'wait')).toBe(true);
    rig.session.ingest.end('u', 'app');
    await rig.renderUntil(() => rig.events('ended').length > 0);
    expect(rig.output.slice(onset(rig.output), onset(rig.output) + 480)).toEqual(Array.from(floats));
  });

  it('an utterance that ends mid-sample reports the dangling bytes (bad-frame) and plays every whole sample', async () => {
    const rig = makeRig();
    const { bytes, floats } = pcm16(noise(480));
    const withTail = new Uint8Array(bytes.length + 1);
    withTail.set(bytes);
    withTail[bytes.length] = 0x7f; // half a sample
    expect(rig.session.write('t', withTail, {}, 'wait')).toBe(true);
    rig.session.ingest.end('t', 'app');
    await rig.renderUntil(() => rig.events('ended').length > 0);
    const errors = rig.events('error');
    expect(errors.map((e) => e.code)).toEqual(['bad-frame']);
    expect(errors[0].message).toMatch(/utterance "t" \(pcm16\) ended with 1 byte\(s\) that do not complete a sample, frame or page/);
    expect(rig.events('ended')[0]).toMatchObject({ utteranceId: 't', playedSamples: 480 });
    expect(rig.output.slice(onset(rig.output), onset(rig.output) + 480)).toEqual(Array.from(floats));
  });

  it('sequence: a duplicate is dropped and counted, a gap is reported as dropped, a gap in oddly framed audio ends the utterance with an error', async () => {
    const rig = makeRig();
    const src = handSource('drop');
    rig.session.connect(src);
    src.sink.write('u', pcm16(noise(480)).bytes);
    src.sink.gap('u', { discardedBytes: 960, missing: 0, message: 'frame 0 again' });
    src.sink.gap('u', { discardedBytes: 0, missing: 2, message: '2 frames missing' });
    expect(rig.events('dropped').map((d) => [d.reason, d.samples])).toEqual([
      ['duplicate', 480],
      ['gap', 0],
    ]);
    src.sink.write('odd', new Uint8Array(481));
    src.sink.gap('odd', { discardedBytes: 0, missing: 1, message: '1 frame missing' });
    expect(rig.events('error').map((e) => e.code)).toEqual(['sequence']);
    src.sink.write('odd', new Uint8Array(480));
    expect(rig.events('dropped').at(-1)).toMatchObject({ reason: 'after-end', samples: 240 });
    const m = rig.session.metrics({ state: 'running', speed: 1, transport: 'message', contextSampleRate: 24000, outputLatencyMs: 0, clockSource: 'timestamp' });
    expect(m.sequenceGaps).toBe(3);
  });

  it('marks fire at the exact output frame of their sample; marks given before the utterance wait for it; a cut mark never fires', async () => {
    const rig = makeRig();
    rig.session.addMark('u', 1000, 'early'); // before the utterance exists
    rig.session.write('u', pcm16(noise(3000)).bytes, {}, 'wait');
    rig.session.addMark('u', 2500, 'held'); // not arrived yet? it has (3000 in); sent at once
    rig.session.addMark('u', 4000, 'later'); // arrives with the next chunk
    rig.session.write('u', pcm16(noise(3000)).bytes, {}, 'wait');
    await rig.renderUntil(() => rig.events('mark').length === 3);
    const start = onset(rig.output);
    const marks = rig.log.filter((l) => l.type === 'mark');
    expect(marks.map((l) => (l.event as { name: string }).name)).toEqual(['early', 'held', 'later']);
    expect(marks.map((l) => (l.event as { contextTime: number }).contextTime * 24000)).toEqual([start + 1000, start + 2500, start + 4000]);
    // Each fires once its frame has been heard.
    for (const l of marks) expect(l.frame).toBeGreaterThanOrEqual((l.event as { contextTime: number }).contextTime * 24000);
    rig.session.addMark('u', 5900, 'cut');
    rig.session.interrupt();
    await rig.render(40);
    expect(rig.events('mark').map((m) => m.name)).toEqual(['early', 'held', 'later']);
    expect(rig.events('interrupted')[0].lastMark?.name).toBe('later');
  });

  it('an asynchronous codec: results keep their order, capacity is checked on decoded samples, the end waits for the decodes', async () => {
    // Each byte decodes to 4 samples of value byte/256, after a delay that shrinks, so later
    // chunks would finish first if order were not kept.
    let delay = 30;
    const slowCodec: AudioCodec = {
      name: 'pcm16',
      wireCode: 1,
      bytesPerSample: null,
      createDecoder(): Decoder {
        return {
          pendingBytes: 0,
          reset: () => 0,
          decode(bytes: Uint8Array): Promise<DecodedChunk> {
            const samples = new Float32Array(bytes.length * 4);
            for (let i = 0; i < samples.length; i++) samples[i] = bytes[i >> 2] / 256;
            const wait = (delay = Math.max(0, delay - 10));
            return new Promise((resolve) => setTimeout(() => resolve({ samples, nonFinite: 0 }), wait));
          },
        };
      },
    };
    const rig = makeRig({ maxBufferMs: 100 }); // 2400 samples
    (rig.session.ingest as unknown as { codecs: Record<string, AudioCodec> }).codecs = { pcm16: slowCodec, f32: slowCodec };
    const chunk = (v: number, n: number) => new Uint8Array(n).fill(v);
    expect(rig.session.write('u', chunk(10, 100), {}, 'wait')).toBe(true);
    expect(rig.session.write('u', chunk(20, 100), {}, 'wait')).toBe(true);
    expect(rig.session.write('u', chunk(30, 1000), {}, 'wait')).toBe(true); // 4000 samples: can never fit
    expect(rig.session.write('u', chunk(40, 100), {}, 'wait')).toBe(true);
    rig.session.ingest.end('u', 'app');
    await rig.renderUntil(() => rig.events('ended').length > 0);
    const heard = rig.output.filter((x) => x !== 0);
    expect(heard).toEqual([...Array(400).fill(10 / 256), ...Array(400).fill(20 / 256), ...Array(400).fill(40 / 256)]);
    expect(rig.events('error').map((e) => e.code)).toEqual(['oversized']);
    expect(rig.events('dropped')).toMatchObject([{ reason: 'overflow', samples: 4000 }]);
    const m = rig.session.metrics({ state: 'running', speed: 1, transport: 'message', contextSampleRate: 24000, outputLatencyMs: 0, clockSource: 'timestamp' });
    expect(m.samples).toMatchObject({ received: 5200, played: 1200, overflow: 4000, buffered: 0 });
  });

  it('close rejects a pending whenWritable with `closed` and disconnects sources', async () => {
    const rig = makeRig({ maxBufferMs: 100 });
    let stopped = 0;
    rig.session.connect({ overflow: 'wait', connect: () => () => void stopped++ });
    rig.session.write('u', new Uint8Array(4000), {}, 'wait');
    const waiting = rig.session.whenWritable(2400);
    rig.session.close();
    await expect(waiting).rejects.toMatchObject({ code: 'closed' });
    expect(stopped).toBe(1);
  });
});
