import { afterEach, describe, expect, it, vi } from 'vitest';
import { PlayerRecorder } from '../../../src/player/recorder';
import { buildRecording, encodeWav } from '../../../src/player/recording';
import { makeRig, noise, pcm16 } from './fake-engine';

afterEach(() => vi.useRealTimers());

describe('buildRecording', () => {
  it('puts blocks back to back and maps utterance boundaries (context frames) to indices, whatever order they came in', () => {
    const blocks = [
      { frame: 1000, samples: new Float32Array(100).fill(1) },
      { frame: 1100, samples: new Float32Array(100).fill(2) },
    ];
    const r = buildRecording(24000, blocks, [
      { utteranceId: 'a', startFrame: 1010, endFrame: 1090, playedSamples: 80, sampleRate: 24000, interrupted: false },
      { utteranceId: 'b', startFrame: 1150, endFrame: Infinity, playedSamples: 0, sampleRate: 16000, interrupted: false },
    ]);
    expect(r.samples.length).toBe(200);
    expect(r.utterances).toEqual([
      { utteranceId: 'a', start: 10, end: 90, playedSamples: 80, sampleRate: 24000, interrupted: false },
      { utteranceId: 'b', start: 150, end: 200, playedSamples: 0, sampleRate: 16000, interrupted: false },
    ]);
    expect(Array.from(r.utterance('a')!)).toEqual(new Array(80).fill(1));
    expect(r.utterance('nobody')).toBeNull();
  });

  it('writes a 32-bit float WAV that holds the samples exactly', async () => {
    const x = Float32Array.from([0, 0.1, -0.25, 1e-7, 0.999]);
    const bytes = new Uint8Array(await encodeWav(x, 24000).arrayBuffer());
    const view = new DataView(bytes.buffer);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('RIFF');
    expect(view.getUint16(20, true)).toBe(3); // IEEE float
    expect(view.getUint32(24, true)).toBe(24000);
    expect(view.getUint32(40, true)).toBe(20);
    const back = Array.from({ length: 5 }, (_, i) => view.getFloat32(44 + 4 * i, true));
    expect(back).toEqual(Array.from(x));
  });
});

describe('PlayerRecorder through the engine', () => {
  it('stops at maxFrames, says so once, and keeps what it had', async () => {
    const rig = makeRig();
    let limits = 0;
    const posts: boolean[] = [];
    const recorder = new PlayerRecorder(24000, 10000, {
      post: (on: boolean) => {
        posts.push(on);
        rig.port.post({ type: 'record', on });
      },
      detach: () => (rig.session.reports.tap = null),
      limit: () => limits++,
    });
    rig.session.reports.tap = recorder;
    rig.port.post({ type: 'record', on: true });
    await rig.render(200);
    expect(limits).toBe(1);
    expect(recorder.recording).toBe(false);
    expect(posts).toEqual([false]);
    const rec = await recorder.stop();
    expect(rec.samples.length).toBe(10000);
  });

  it('records what the engine output, sample for sample, with an ended and an interrupted utterance in place', async () => {
    const rig = makeRig({ fadeMs: 5 });
    let limits = 0;
    const recorder = new PlayerRecorder(24000, 24000 * 60, {
      post: (on: boolean) => rig.port.post({ type: 'record', on }),
      detach: () => (rig.session.reports.tap = null),
      limit: () => limits++,
    });
    rig.session.reports.tap = recorder;
    rig.port.post({ type: 'record', on: true });
    const a = pcm16(noise(6000, 1));
    const b = pcm16(noise(24000, 2));
    rig.session.write('a', a.bytes, {}, 'wait');
    rig.session.ingest.end('a', 'app');
    rig.session.write('b', b.bytes, {}, 'wait');
    await rig.renderUntil(() => rig.events('ended').length > 0);
    await rig.render(40);
    rig.session.interrupt();
    await rig.renderUntil(() => rig.events('interrupted').length > 0);
    const done = recorder.stop();
    await rig.render(2);
    const rec = await done;
    expect(limits).toBe(0);
    expect(recorder.recording).toBe(false);
    expect(rig.session.reports.tap).toBeNull();
    // The recording is the output itself (the rig's output starts at frame 0, as the recording did).
    expect(Array.from(rec.samples)).toEqual(rig.output.slice(0, rec.samples.length));
    const [ua, ub] = rec.utterances;
    expect(ua).toMatchObject({ utteranceId: 'a', playedSamples: 6000, interrupted: false });
    expect(Array.from(rec.utterance('a')!)).toEqual(Array.from(a.floats));
    const cut = rig.events('interrupted')[0];
    expect(ub).toMatchObject({ utteranceId: 'b', playedSamples: cut.playedSamples, interrupted: true });
    // b's span is what was heard: its played samples, then nothing (the fade is inside them).
    expect(ub.end - ub.start).toBe(cut.playedSamples);
    expect(Array.from(rec.utterance('b')!.subarray(0, 100))).toEqual(Array.from(b.floats.subarray(0, 100)));
  });
});
