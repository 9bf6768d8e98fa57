import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineReport } from '../../../src/worklet/messages';
import { makeRig, noise, pcm16 } from './fake-engine';

afterEach(() => {
  vi.useRealTimers();
});

describe('a mark that reaches the worklet after its utterance ended there', () => {
  it('fires with the frame its sample played, although the Ended report reached the main thread first', async () => {
    const rig = makeRig({ sampleRate: 24000 });
    const { bytes } = pcm16(noise(2000, 3));
    rig.session.write('u1', bytes, {}, 'wait');
    rig.session.ingest.end('u1', 'app');
    // Hold the worklet's reports, as a busy main thread would: the worklet ends u1 meanwhile.
    const held: EngineReport[] = [];
    const deliver = rig.port.deliver.bind(rig.port);
    rig.port.deliver = (report) => void held.push({ ...report, events: report.events ? report.events.slice(0, report.eventCount * 6) : null });
    await rig.renderUntil(() => rig.output.length > 2000 + 256 && rig.output.slice(-256).every((x) => x === 0));
    expect(rig.events('ended')).toEqual([]); // the main thread has not heard of it
    rig.session.addMark('u1', 500, 'late'); // u1 is still active here: the mark is sent
    await rig.render(1);
    rig.port.deliver = deliver;
    for (const report of held) deliver(report);
    await rig.render(4);
    const onset = rig.output.findIndex((x) => x !== 0);
    expect(rig.events('ended')).toHaveLength(1);
    const [mark] = rig.events('mark');
    expect(mark).toMatchObject({ utteranceId: 'u1', name: 'late', sampleOffset: 500 });
    expect(mark.passed).toBeUndefined();
    expect(Math.round(mark.contextTime * 24000)).toBe(onset + 500);
  });
});
