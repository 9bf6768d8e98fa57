// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO, LIMITS, chunkSamples, faultFrameIndex, parseScenario, planDelivery, type Scenario } from '../../../demo/server/scenario';

function ok(input: unknown, defaults?: Partial<Scenario>): Scenario {
  const r = parseScenario(input, defaults);
  if (!r.ok) throw new Error(`expected ok, got error: ${r.error}`);
  return r.scenario;
}

function err(input: unknown, defaults?: Partial<Scenario>): string {
  const r = parseScenario(input, defaults);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.scenario)}`);
  return r.error;
}

const s = (over: Partial<Scenario> = {}): Scenario => ({ ...DEFAULT_SCENARIO, ...over });

describe('parseScenario', () => {
  it('gives the documented defaults for missing, null and empty options', () => {
    const expected = { mode: 'framed', format: 'pcm16', firstChunkDelayMs: 100, chunkMs: 40, speed: 4, jitterMs: 0, seed: 1 };
    expect(ok(undefined)).toEqual(expected);
    expect(ok(null)).toEqual(expected);
    expect(ok({})).toEqual(expected);
    expect(ok({ speed: null, mode: null })).toEqual(expected);
  });

  it('accepts every field', () => {
    expect(
      ok({
        mode: 'raw',
        format: 'mulaw',
        firstChunkDelayMs: 900,
        chunkMs: 20,
        speed: 1.5,
        jitterMs: 15,
        stallAtMs: 500,
        stallMs: 1200,
        fault: 'reorder',
        faultAtMs: 300,
        seed: 42,
      }),
    ).toEqual({
      mode: 'raw',
      format: 'mulaw',
      firstChunkDelayMs: 900,
      chunkMs: 20,
      speed: 1.5,
      jitterMs: 15,
      stallAtMs: 500,
      stallMs: 1200,
      fault: 'reorder',
      faultAtMs: 300,
      seed: 42,
    });
    for (const mode of ['framed', 'raw', 'legacy']) expect(ok({ mode }).mode).toBe(mode);
    for (const fault of ['drop', 'malformed', 'duplicate', 'reorder', 'oversized']) expect(ok({ fault }).fault).toBe(fault);
  });

  it('accepts Infinity speed as a number or a string', () => {
    expect(ok({ speed: Infinity }).speed).toBe(Infinity);
    for (const v of ['Infinity', 'inf', 'max', ' INFINITY ']) expect(ok({ speed: v }).speed).toBe(Infinity);
  });

  it('clamps numbers into LIMITS', () => {
    expect(ok({ firstChunkDelayMs: -5 }).firstChunkDelayMs).toBe(0);
    expect(ok({ firstChunkDelayMs: 1e9 }).firstChunkDelayMs).toBe(LIMITS.firstChunkDelayMs[1]);
    expect(ok({ chunkMs: 0 }).chunkMs).toBe(LIMITS.chunkMs[0]);
    expect(ok({ chunkMs: 1e6 }).chunkMs).toBe(LIMITS.chunkMs[1]);
    expect(ok({ speed: 1e-9 }).speed).toBe(LIMITS.speed[0]);
    expect(ok({ speed: 1e9 }).speed).toBe(LIMITS.speed[1]);
    expect(ok({ jitterMs: -1 }).jitterMs).toBe(0);
    expect(ok({ stallAtMs: -1, stallMs: 1e9 })).toMatchObject({ stallAtMs: 0, stallMs: LIMITS.stallMs[1] });
    expect(ok({ fault: 'drop', faultAtMs: -3 }).faultAtMs).toBe(0);
    expect(ok({ firstChunkDelayMs: Infinity }).firstChunkDelayMs).toBe(LIMITS.firstChunkDelayMs[1]);
  });

  it('truncates the seed to a u32', () => {
    expect(ok({ seed: 7.9 }).seed).toBe(7);
    expect(ok({ seed: -1 }).seed).toBe(0xffffffff);
    expect(ok({ seed: 2 ** 32 + 5 }).seed).toBe(5);
  });

  it('rejects wrong types with errors naming the field', () => {
    expect(err({ mode: 'stream' })).toMatch(/options\.mode/);
    expect(err({ mode: 1 })).toMatch(/options\.mode/);
    expect(err({ chunkMs: '40' })).toMatch(/options\.chunkMs must be a number \(got "40"\)/);
    expect(err({ firstChunkDelayMs: Number.NaN })).toMatch(/options\.firstChunkDelayMs/);
    expect(err({ jitterMs: true })).toMatch(/options\.jitterMs/);
    expect(err({ speed: 0 })).toMatch(/options\.speed must be > 0/);
    expect(err({ speed: -2 })).toMatch(/options\.speed/);
    expect(err({ speed: 'fast' })).toMatch(/options\.speed/);
    expect(err({ seed: 'x' })).toMatch(/options\.seed/);
    expect(err({ seed: Infinity })).toMatch(/options\.seed/);
    expect(err({ fault: 'explode' })).toMatch(/options\.fault must be one of/);
    expect(err({ stallAtMs: [1], stallMs: 1 })).toMatch(/options\.stallAtMs/);
  });

  it('rejects unknown fields, non-object options and unpaired fields', () => {
    expect(err({ chunkMS: 40 })).toMatch(/options\.chunkMS is not a known option/);
    expect(err('framed')).toMatch(/options must be an object/);
    expect(err([1, 2])).toMatch(/options must be an object/);
    expect(err(42)).toMatch(/options must be an object/);
    expect(err({ stallAtMs: 100 })).toMatch(/options\.stallMs is required/);
    expect(err({ stallMs: 100 })).toMatch(/options\.stallAtMs is required/);
    expect(err({ faultAtMs: 100 })).toMatch(/options\.faultAtMs needs options\.fault/);
  });

  it('applies defaults under the options', () => {
    const defaults: Partial<Scenario> = { speed: Infinity, firstChunkDelayMs: 0, mode: 'raw' };
    expect(ok(undefined, defaults)).toMatchObject({ speed: Infinity, firstChunkDelayMs: 0, mode: 'raw', chunkMs: 40 });
    expect(ok({ mode: 'legacy' }, defaults).mode).toBe('legacy');
    expect(err(undefined, { chunkMS: 1 } as Partial<Scenario>)).toMatch(/defaults\.chunkMS/);
  });

  it('never throws, whatever the input', () => {
    for (const input of [Symbol('x'), () => 1, new Date(), Object.create({ speed: 1 }), { __proto__: null, speed: 2 }, 1n]) {
      expect(() => parseScenario(input)).not.toThrow();
    }
  });
});

describe('planDelivery', () => {
  const SR = 24000;

  it('covers every sample exactly once, in chunkMs frames', () => {
    const total = 24000 * 2 + 123;
    const plan = planDelivery(total, SR, s());
    const size = chunkSamples(SR, s());
    expect(size).toBe(960);
    expect(plan.length).toBe(Math.ceil(total / size));
    let next = 0;
    for (const f of plan) {
      expect(f.fromSample).toBe(next);
      expect(f.toSample - f.fromSample).toBe(Math.min(size, total - f.fromSample));
      next = f.toSample;
    }
    expect(next).toBe(total);
  });

  it('sends the first frame after firstChunkDelayMs, then paces at speed × real time', () => {
    const plan = planDelivery(24000, SR, s({ firstChunkDelayMs: 900, speed: 2, chunkMs: 40 }));
    expect(plan[0].atMs).toBe(900);
    for (let i = 1; i < plan.length; i++) expect(plan[i].atMs - plan[i - 1].atMs).toBeCloseTo(20, 9);
    const rt = planDelivery(24000, SR, s({ firstChunkDelayMs: 0, speed: 1, chunkMs: 100 }));
    expect(rt.map((f) => f.atMs)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });

  it('sends everything at the first-chunk time when speed is Infinity', () => {
    const plan = planDelivery(48000, SR, s({ speed: Infinity, firstChunkDelayMs: 50 }));
    expect(plan.every((f) => f.atMs === 50)).toBe(true);
  });

  it('jitters deterministically per seed, within ±jitterMs, never going backwards', () => {
    const sc = s({ jitterMs: 30, speed: 1, chunkMs: 20, seed: 9 });
    const a = planDelivery(48000, SR, sc);
    expect(planDelivery(48000, SR, sc)).toEqual(a);
    expect(planDelivery(48000, SR, { ...sc, seed: 10 })).not.toEqual(a);
    const nominal = planDelivery(48000, SR, { ...sc, jitterMs: 0 });
    let moved = 0;
    for (let i = 0; i < a.length; i++) {
      if (i > 0) expect(a[i].atMs).toBeGreaterThanOrEqual(a[i - 1].atMs);
      expect(a[i].atMs).toBeGreaterThanOrEqual(0);
      // Either within the jitter band, or held back to the previous frame's time.
      const within = Math.abs(a[i].atMs - nominal[i].atMs) <= 30 + 1e-9;
      expect(within || (i > 0 && a[i].atMs === a[i - 1].atMs)).toBe(true);
      if (a[i].atMs !== nominal[i].atMs) moved++;
    }
    expect(moved).toBeGreaterThan(a.length / 2);
  });

  it('clamps jitter at time 0', () => {
    const plan = planDelivery(2400, SR, s({ firstChunkDelayMs: 0, jitterMs: 1000, speed: Infinity }));
    expect(plan.every((f) => f.atMs >= 0)).toBe(true);
  });

  it('stalls for stallMs once the audio position reaches stallAtMs', () => {
    const sc = s({ firstChunkDelayMs: 100, speed: 1, chunkMs: 100, stallAtMs: 300, stallMs: 2000 });
    const plan = planDelivery(24000, SR, sc);
    expect(plan.map((f) => f.atMs)).toEqual([100, 200, 300, 2400, 2500, 2600, 2700, 2800, 2900, 3000]);
    // A stall at 0 still lets the first frame out.
    const early = planDelivery(4800, SR, { ...sc, stallAtMs: 0 });
    expect(early.map((f) => f.atMs)).toEqual([100, 2200]);
    // Past the end: no stall at all.
    const never = planDelivery(4800, SR, { ...sc, stallAtMs: 10_000 });
    expect(never.map((f) => f.atMs)).toEqual([100, 200]);
  });

  it('plans a single empty frame for an empty utterance, and rejects a bad sample rate', () => {
    expect(planDelivery(0, SR, s())).toEqual([{ atMs: 100, fromSample: 0, toSample: 0 }]);
    expect(() => planDelivery(100, 0, s())).toThrow(RangeError);
  });
});

describe('faultFrameIndex', () => {
  const plan = planDelivery(24000, 24000, s({ chunkMs: 100 })); // 10 frames
  it('picks the frame containing faultAtMs, the last past the end, the middle when unset', () => {
    expect(faultFrameIndex(plan, 24000, 0)).toBe(0);
    expect(faultFrameIndex(plan, 24000, 99.9)).toBe(0);
    expect(faultFrameIndex(plan, 24000, 100)).toBe(1);
    expect(faultFrameIndex(plan, 24000, 950)).toBe(9);
    expect(faultFrameIndex(plan, 24000, 60_000)).toBe(9);
    expect(faultFrameIndex(plan, 24000, undefined)).toBe(5);
    expect(faultFrameIndex([], 24000, 0)).toBe(-1);
  });
});
