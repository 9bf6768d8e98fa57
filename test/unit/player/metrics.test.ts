import { describe, expect, it } from 'vitest';
import { buildMetrics, PrebufferPolicy, Totals, UtteranceStats, msToSamples, samplesToMs, type MetricsInput } from '../../../src/player/metrics';
import { mulberry32 } from '../prng';

describe('msToSamples', () => {
  it('converts milliseconds to whole samples at a rate, rounding to nearest', () => {
    expect(msToSamples(1000, 24000)).toBe(24000);
    expect(msToSamples(5, 44100)).toBe(221); // 220.5 rounds up
    expect(msToSamples(20, 48000)).toBe(960);
    expect(msToSamples(0, 16000)).toBe(0);
  });
});

describe('samplesToMs', () => {
  it('converts sample counts at a rate to milliseconds', () => {
    expect(samplesToMs(24000, 24000)).toBe(1000);
    expect(samplesToMs(240, 24000)).toBe(10);
    expect(samplesToMs(441, 44100)).toBe(10);
    expect(samplesToMs(1, 48000)).toBeCloseTo(1 / 48, 12);
    expect(samplesToMs(0, 16000)).toBe(0);
  });

  it('returns 0 for a zero or negative rate instead of dividing by it', () => {
    expect(samplesToMs(1000, 0)).toBe(0);
    expect(samplesToMs(1000, -8000)).toBe(0);
  });
});

describe('UtteranceStats: preload rate', () => {
  it('the first chunk is not a boundary: preloadRate is null with one chunk', () => {
    const s = new UtteranceStats('u', 24000);
    s.onChunk(2400, 0, 0, false);
    expect(s.boundaries).toBe(0);
    expect(s.snapshot().preloadRate).toBeNull();
  });

  it('counts a boundary as preloaded only when audio was still buffered and playback not starved', () => {
    const s = new UtteranceStats('u', 24000);
    s.onChunk(2400, 0, 0, false); // first: not a boundary, whatever bufferedBefore says
    s.onChunk(2400, 50, 1200, false); // preloaded
    s.onChunk(2400, 100, 0, false); // missed: previous chunk had run out
    s.onChunk(2400, 150, 500, true); // missed: starved even though something is buffered
    s.onChunk(2400, 200, 1, false); // preloaded
    expect(s.boundaries).toBe(4);
    expect(s.preloaded).toBe(2);
    expect(s.snapshot().preloadRate).toBe(0.5);
  });

  it('a first chunk with bufferedBefore > 0 still does not count', () => {
    const s = new UtteranceStats('u', 24000);
    s.onChunk(100, 0, 999, false);
    s.onChunk(100, 10, 0, true);
    expect(s.snapshot().preloadRate).toBe(0);
  });

  it('matches a direct count over random chunk sequences', () => {
    const rng = mulberry32(11);
    for (let trial = 0; trial < 50; trial++) {
      const s = new UtteranceStats('u', 16000);
      const n = 1 + Math.floor(rng() * 30);
      let good = 0;
      for (let k = 0; k < n; k++) {
        const buffered = rng() < 0.3 ? 0 : Math.floor(rng() * 5000);
        const starved = rng() < 0.2;
        if (k > 0 && buffered > 0 && !starved) good++;
        s.onChunk(160, k * 10, buffered, starved);
      }
      const rate = s.snapshot().preloadRate;
      if (n === 1) expect(rate).toBeNull();
      else expect(rate).toBeCloseTo(good / (n - 1), 12);
    }
  });
});

describe('UtteranceStats: arrival speed and time to first audio', () => {
  it('1 s of audio arriving over 250 ms is 4× real time', () => {
    const s = new UtteranceStats('u', 24000);
    for (let k = 0; k < 5; k++) s.onChunk(4800, 1000 + k * 62.5, 0, false);
    expect(s.received).toBe(24000);
    expect(s.arrivalSpeed()).toBe(4);
    expect(s.snapshot().arrivalSpeed).toBe(4);
  });

  it('uses the utterance rate: 16 kHz audio of 8000 samples over 1 s is 0.5×', () => {
    const s = new UtteranceStats('u', 16000);
    s.onChunk(4000, 0, 0, false);
    s.onChunk(4000, 1000, 0, false);
    expect(s.arrivalSpeed()).toBe(0.5);
  });

  it('is null with a single chunk, with no chunk, and when all chunks share one timestamp', () => {
    const none = new UtteranceStats('u', 24000);
    expect(none.arrivalSpeed()).toBeNull();
    const one = new UtteranceStats('u', 24000);
    one.onChunk(24000, 5, 0, false);
    expect(one.arrivalSpeed()).toBeNull();
    const same = new UtteranceStats('u', 24000);
    same.onChunk(100, 5, 0, false);
    same.onChunk(100, 5, 100, false);
    expect(same.arrivalSpeed()).toBeNull();
  });

  it('time to first audio runs from the first arrival to the first audible frame', () => {
    const s = new UtteranceStats('u', 24000);
    expect(s.timeToFirstAudio()).toBeNull();
    s.onChunk(100, 1234.5, 0, false);
    expect(s.timeToFirstAudio()).toBeNull();
    s.onChunk(100, 1300, 100, false); // later chunks do not move the start
    s.firstAudible = 1400;
    expect(s.timeToFirstAudio()).toBe(1400 - 1234.5);
    expect(s.snapshot().timeToFirstAudioMs).toBe(165.5);
  });

  it('firstArrival is the first chunk, lastArrival the latest', () => {
    const s = new UtteranceStats('u', 24000);
    s.onChunk(1, 10, 0, false);
    s.onChunk(1, 20, 0, false);
    s.onChunk(1, 35, 0, false);
    expect(s.firstArrival).toBe(10);
    expect(s.lastArrival).toBe(35);
  });
});

describe('UtteranceStats: buffered and snapshot', () => {
  it('buffered = received - played - dropped, never negative', () => {
    const s = new UtteranceStats('u', 24000);
    s.onChunk(1000, 0, 0, false);
    s.played = 300;
    s.dropped = 200;
    expect(s.buffered).toBe(500);
    s.played = 900;
    expect(s.buffered).toBe(0); // over-reported (e.g. fade samples): clamped, not negative
    s.dropped = 10_000;
    expect(s.buffered).toBe(0);
  });

  it('snapshot reports every sample field in ms at the utterance rate and underrunMs at the output rate', () => {
    const s = new UtteranceStats('utt-7', 16000);
    s.onChunk(8000, 100, 0, false);
    s.onChunk(8000, 600, 4000, false);
    s.played = 4000;
    s.dropped = 1600;
    s.stale = 320;
    s.underruns = 2;
    s.underrunFrames = 4800;
    s.outputRate = 48000;
    s.sequenceGaps = 3;
    s.state = 'playing';
    s.firstAudible = 250;
    expect(s.snapshot()).toEqual({
      utteranceId: 'utt-7',
      sampleRate: 16000,
      state: 'playing',
      timeToFirstAudioMs: 150,
      receivedMs: 1000,
      playedMs: 250,
      bufferedMs: 650, // (16000 - 4000 - 1600) / 16
      droppedMs: 100,
      staleMs: 20,
      underruns: 2,
      underrunMs: 100, // 4800 frames at 48 kHz, not at 16 kHz (which would be 300)
      preloadRate: 1,
      arrivalSpeed: 2, // 1000 ms of audio over 500 ms
      sequenceGaps: 3,
    });
  });

  it('underrunMs is 0 while the output rate is unknown', () => {
    const s = new UtteranceStats('u', 24000);
    s.underrunFrames = 1000;
    expect(s.snapshot().underrunMs).toBe(0);
  });

  it('a fresh utterance snapshots as buffering with zeros and nulls', () => {
    const snap = new UtteranceStats('x', 24000).snapshot();
    expect(snap.state).toBe('buffering');
    expect(snap.receivedMs).toBe(0);
    expect(snap.bufferedMs).toBe(0);
    expect(snap.preloadRate).toBeNull();
    expect(snap.arrivalSpeed).toBeNull();
    expect(snap.timeToFirstAudioMs).toBeNull();
  });
});

describe('buildMetrics', () => {
  const base = (over: Partial<MetricsInput> = {}): MetricsInput => ({
    state: 'running',
    speed: 1,
    transport: 'message',
    contextSampleRate: 48000,
    outputLatencyMs: 0,
    clockSource: 'timestamp',
    capacityMs: 1000,
    prebufferMs: 60,
    lowWaterMs: null,
    totals: new Totals(),
    written: 0,
    report: { absRead: 0, serial: -1, played: 0, inFlight: 0 },
    active: [],
    recent: [],
    head: null,
    reported: null,
    ...over,
  });

  it('sums per-utterance figures converted at each utterance own rate', () => {
    const a = new UtteranceStats('a', 24000);
    a.played = 24000; // 1000 ms
    const b = new UtteranceStats('b', 16000);
    b.played = 8000; // 500 ms
    const c = new UtteranceStats('c', 48000);
    c.played = 480; // 10 ms
    const m = buildMetrics(base({ recent: [a, b], active: [c], head: c }));
    expect(m.playedMs).toBe(1510);
    expect(m.droppedMs).toBe(0);
    expect(m.current?.utteranceId).toBe('c');
    expect(m.recent.map((r) => r.utteranceId)).toEqual(['a', 'b']);
    expect(buildMetrics(base()).playedMs).toBe(0);
  });

  it('counts samples exactly: buffered is what was written and not yet read, plus what the resampler holds', () => {
    const totals = new Totals();
    totals.received = 10_000;
    totals.played = 4000; // utterances already finished
    totals.flushed = 500;
    totals.stale = 300;
    totals.overflow = 200;
    const head = new UtteranceStats('h', 24000);
    head.played = 2000;
    const m = buildMetrics(
      base({ totals, written: 9000, report: { absRead: 6100, serial: 3, played: 2000, inFlight: 100 }, active: [head], head, reported: head }),
    );
    expect(m.samples).toEqual({ received: 10_000, played: 6000, buffered: 3000, dropped: 1000, stale: 300, overflow: 200, nonFinite: 0 });
    expect(m.samples.received).toBe(m.samples.played + m.samples.buffered + m.samples.dropped);
  });
});

describe('PrebufferPolicy', () => {
  it('grows by step per underrun and caps at max', () => {
    const p = new PrebufferPolicy(100, { stepMs: 40, maxMs: 250 });
    expect(p.ms).toBe(100);
    const seen: number[] = [];
    for (let k = 0; k < 6; k++) {
      p.onUnderrun();
      seen.push(p.ms);
    }
    expect(seen).toEqual([140, 180, 220, 250, 250, 250]);
  });

  it('stays fixed when adapt is false', () => {
    const p = new PrebufferPolicy(120, false);
    for (let k = 0; k < 10; k++) p.onUnderrun();
    expect(p.ms).toBe(120);
  });

  it('never shrinks below its initial value when max is below it', () => {
    const p = new PrebufferPolicy(300, { stepMs: 50, maxMs: 200 });
    p.onUnderrun();
    expect(p.ms).toBe(300);
  });

  it('a zero step never grows', () => {
    const p = new PrebufferPolicy(80, { stepMs: 0, maxMs: 1000 });
    p.onUnderrun();
    p.onUnderrun();
    expect(p.ms).toBe(80);
  });
});
