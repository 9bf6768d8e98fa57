import { describe, expect, it } from 'vitest';
import { WorkletPort } from '../../../src/player/engine-port';
import type { EngineReport } from '../../../src/worklet/messages';

class FakeMessagePort {
  posted: unknown[] = [];
  onmessage: ((event: { data: unknown }) => void) | null = null;
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
}

describe('WorkletPort', () => {
  it('keeps messages posted before the node exists, in order, and delivers reports once connected', () => {
    const port = new WorkletPort();
    const reports: EngineReport[] = [];
    port.onReport((r) => reports.push(r));
    port.post({ type: 'begin', serial: 1, rate: 24000, at: 0, prebuffer: 0, prebufferStep: 0, prebufferMax: 0 });
    port.post({ type: 'end', serial: 1, at: 10 });
    const fake = new FakeMessagePort();
    port.connect(fake as unknown as MessagePort);
    expect(fake.posted.map((m) => (m as { type: string }).type)).toEqual(['begin', 'end']);
    port.post({ type: 'interrupt', flushTo: 10, lastSerial: 1 });
    expect(fake.posted).toHaveLength(3);
    const report: EngineReport = {
      type: 'report',
      absRead: 5,
      serial: 1,
      played: 5,
      inFlight: 0,
      levelPeak: 0,
      levelSumSquares: 0,
      levelFrames: 128,
      levelEndFrame: 128,
      eventCount: 0,
      events: null,
      lost: 0,
      recorded: null,
      recordedCount: 0,
      recordedFrame: 0,
      recordedFinal: false,
    };
    fake.onmessage!({ data: report });
    expect(reports).toEqual([report]);
  });

  it("close tells the worklet to stop ('close') and stops listening", () => {
    const port = new WorkletPort();
    const fake = new FakeMessagePort();
    port.connect(fake as unknown as MessagePort);
    port.close();
    expect(fake.posted).toEqual([{ type: 'close' }]);
    expect(fake.onmessage).toBeNull();
    port.post({ type: 'end', serial: 1, at: 0 });
    expect(fake.posted).toHaveLength(1);
  });
});
