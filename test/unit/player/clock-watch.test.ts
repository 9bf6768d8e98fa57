import { describe, expect, it } from 'vitest';
import { ClockWatch } from '../../../src/player/clock-watch';

/** Feeds readings every `step` ms; returns the verdicts with their times. */
function run(watch: ClockWatch, readings: Array<[number, number, boolean]>) {
  const out: Array<[number, string]> = [];
  for (const [now, time, running] of readings) {
    const v = watch.observe(now, time, running);
    if (v) out.push([now, v]);
  }
  return out;
}

describe('ClockWatch', () => {
  it('says nothing while a running clock moves', () => {
    const w = new ClockWatch(1000);
    const readings: Array<[number, number, boolean]> = [];
    for (let t = 0; t <= 5000; t += 250) readings.push([t, t / 1000, true]);
    expect(run(w, readings)).toEqual([]);
    expect(w.stalled).toBe(false);
  });

  it('calls a running clock that stands still for stallMs stalled, once, and recovered when it moves', () => {
    const w = new ClockWatch(1000);
    const readings: Array<[number, number, boolean]> = [];
    for (let t = 0; t <= 1000; t += 250) readings.push([t, t / 1000, true]);
    for (let t = 1250; t <= 3000; t += 250) readings.push([t, 1, true]); // frozen at 1.0 from t = 1000
    readings.push([3250, 1.01, true]);
    expect(run(w, readings)).toEqual([
      [2000, 'stalled'],
      [3250, 'recovered'],
    ]);
    expect(w.stalled).toBe(false);
  });

  it('never calls a suspended context stalled, and restarts the wait when it runs again', () => {
    const w = new ClockWatch(1000);
    const readings: Array<[number, number, boolean]> = [];
    for (let t = 0; t <= 5000; t += 250) readings.push([t, 2, false]); // suspended: clock stands
    readings.push([5250, 2, true]); // running again: the wait counts from the last suspended reading
    readings.push([5900, 2, true]);
    expect(run(w, readings)).toEqual([]);
    expect(w.observe(6000, 2, true)).toBe('stalled');
  });

  it('a stalled clock that is then suspended stays stalled until it moves', () => {
    const w = new ClockWatch(500);
    expect(
      run(w, [
        [0, 1, true],
        [600, 1, true],
      ]),
    ).toEqual([[600, 'stalled']]);
    expect(w.observe(700, 1, false)).toBe(null);
    expect(w.stalled).toBe(true);
    expect(w.observe(800, 1.2, true)).toBe('recovered');
  });
});
