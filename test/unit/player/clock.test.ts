import { describe, expect, it } from 'vitest';
import { clockQuirks, OutputClock } from '../../../src/player/clock';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15';
const WEBKITGTK = 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';

/** A context whose clock reads are counted; `stamp` is what getOutputTimestamp returns. */
function fakeContext(init: { currentTime: number; baseLatency?: number; outputLatency?: number; stamp?: AudioTimestamp | null }) {
  const reads = { outputLatency: 0, getOutputTimestamp: 0 };
  const ctx = {
    sampleRate: 48000,
    currentTime: init.currentTime,
    baseLatency: init.baseLatency ?? 0.01,
    get outputLatency() {
      reads.outputLatency++;
      return init.outputLatency ?? 0.02;
    },
    ...(init.stamp === null
      ? {}
      : {
          getOutputTimestamp() {
            reads.getOutputTimestamp++;
            return init.stamp ?? {};
          },
        }),
  };
  return { ctx: ctx as unknown as AudioContext, reads };
}

describe('clockQuirks', () => {
  it('avoids the output reads in Gecko only', () => {
    expect(clockQuirks(FIREFOX).avoidOutputReads).toBe(true);
    expect(clockQuirks(CHROME).avoidOutputReads).toBe(false);
    expect(clockQuirks(SAFARI).avoidOutputReads).toBe(false);
    expect(clockQuirks(WEBKITGTK).avoidOutputReads).toBe(false);
    expect(clockQuirks(undefined).avoidOutputReads).toBe(false);
  });
});

describe('OutputClock', () => {
  const now = () => 10_000;

  it('uses a plausible output timestamp (it already holds the output latency)', () => {
    const { ctx } = fakeContext({ currentTime: 2, stamp: { contextTime: 1.99, performanceTime: 9_990 } });
    const clock = new OutputClock(ctx, clockQuirks(CHROME), now);
    // Frame at 2.0 s is 10 ms after the stamp's context time.
    expect(clock.audibleAt(96_000)).toBeCloseTo(10_000, 6);
    expect(clock.source).toBe('timestamp');
  });

  it('falls back to currentTime + latency when the stamp lies in the future (WebKitGTK: performanceTime ahead by the context age)', () => {
    const { ctx } = fakeContext({ currentTime: 2, stamp: { contextTime: 1.99, performanceTime: 11_200 } });
    const clock = new OutputClock(ctx, clockQuirks(WEBKITGTK), now);
    expect(clock.audibleAt(96_000)).toBeCloseTo(10_000 + 30, 6); // base 10 ms + output 20 ms
    expect(clock.source).toBe('currentTime');
  });

  it('falls back when the stamp is empty or zero (a context that has not started)', () => {
    for (const stamp of [{}, { contextTime: 0, performanceTime: 0 }, null] as const) {
      const { ctx } = fakeContext({ currentTime: 1, stamp });
      const clock = new OutputClock(ctx, clockQuirks(CHROME), now);
      expect(clock.audibleAt(48_000 + 480)).toBeCloseTo(10_000 + 10 + 30, 6);
      expect(clock.source).toBe('currentTime');
    }
  });

  it('in Gecko never calls getOutputTimestamp nor reads outputLatency, and counts baseLatency only', () => {
    const { ctx, reads } = fakeContext({ currentTime: 1, stamp: { contextTime: 0.99, performanceTime: 9_990 } });
    const clock = new OutputClock(ctx, clockQuirks(FIREFOX), now);
    expect(clock.source).toBeNull();
    expect(clock.audibleAt(48_000)).toBeCloseTo(10_000 + 10, 6);
    expect(clock.latencyMs()).toBeCloseTo(10, 9);
    expect(reads).toEqual({ outputLatency: 0, getOutputTimestamp: 0 });
    expect(clock.source).toBe('currentTime');
  });

  it('reads a missing or non-finite latency as 0', () => {
    const { ctx } = fakeContext({ currentTime: 0, baseLatency: Number.NaN, outputLatency: undefined });
    (ctx as unknown as { baseLatency: number }).baseLatency = Number.NaN;
    expect(new OutputClock(ctx, clockQuirks(CHROME), now).latencyMs()).toBe(0);
  });
});
