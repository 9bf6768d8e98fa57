// The simulated room of the echo bench (test/support/echo-room.ts) measured from the outside:
// reverberation time by Schroeder integration, signal-to-echo ratio, bulk delay by GCC-PHAT.
import { describe, expect, it } from 'vitest';
import { convolve, FAR_FIXTURE, fft, loadFixture, loadNearIndex, makeRir, NEAR_FIXTURE, ROOM_RATE, ROOMS, simulateRoom } from '../../support/echo-room';
import { mulberry32 } from '../prng';

/** RT60 from Schroeder backward integration, extrapolated from the −5 to −25 dB range (T20). */
function schroederRt60(h: Float32Array, rate: number): number {
  const edc = new Float64Array(h.length);
  let acc = 0;
  for (let i = h.length - 1; i >= 0; i--) edc[i] = acc += h[i] * h[i];
  const db = (i: number) => 10 * Math.log10(edc[i] / edc[0]);
  let a = 0;
  while (db(a) > -5) a++;
  let b = a;
  while (db(b) > -25) b++;
  // Least squares of dB against seconds over [a, b].
  let st = 0,
    sd = 0,
    stt = 0,
    std = 0;
  const n = b - a + 1;
  for (let i = a; i <= b; i++) {
    const t = i / rate;
    const d = db(i);
    st += t;
    sd += d;
    stt += t * t;
    std += t * d;
  }
  const slope = (n * std - st * sd) / (n * stt - st * st);
  return -60 / slope;
}

/** Lag (0 … maxLag) of the GCC-PHAT peak of y against x over their first 2^k samples. */
function gccPhatLag(x: Float32Array, y: Float32Array, from: number, maxLag: number): number {
  let n = 1;
  while (n * 2 <= Math.min(x.length, y.length) - from) n *= 2;
  const xr = Float64Array.from(x.subarray(from, from + n));
  const xi = new Float64Array(n);
  const yr = Float64Array.from(y.subarray(from, from + n));
  const yi = new Float64Array(n);
  fft(xr, xi);
  fft(yr, yi);
  for (let k = 0; k < n; k++) {
    const r = yr[k] * xr[k] + yi[k] * xi[k]; // Y · conj(X)
    const i = yi[k] * xr[k] - yr[k] * xi[k];
    const m = Math.hypot(r, i) + 1e-20;
    yr[k] = r / m;
    yi[k] = i / m;
  }
  fft(yr, yi, true);
  let best = 0;
  for (let lag = 1; lag <= maxLag; lag++) if (yr[lag] > yr[best]) best = lag;
  return best;
}

/** Active power as documented in echo-room.ts, written again here: 256-sample blocks within 30 dB of the 95th percentile. */
function activePowerAgain(x: Float32Array): number {
  const p: number[] = [];
  for (let i = 0; i + 256 <= x.length; i += 256) {
    let s = 0;
    for (let j = i; j < i + 256; j++) s += x[j] ** 2;
    p.push(s / 256);
  }
  const sorted = [...p].sort((a, b) => a - b);
  const floor = sorted[Math.floor(0.95 * sorted.length)] / 1000;
  const active = p.filter((v) => v > 0 && v >= floor);
  return active.reduce((a, b) => a + b, 0) / active.length;
}

const far = loadFixture(FAR_FIXTURE);

/** Voice B's utterances placed every 4 s from 2 s on, in a signal as long as voice A. */
function nearTrack(): { near: Float32Array; spans: [number, number][] } {
  const b = loadFixture(NEAR_FIXTURE);
  const near = new Float32Array(far.length);
  const spans: [number, number][] = [];
  loadNearIndex().forEach((u, i) => {
    const at = (2 + 4 * i) * ROOM_RATE;
    if (at + u.end - u.start > near.length) return;
    near.set(b.subarray(u.start, u.end), at);
    spans.push([at, at + u.end - u.start]);
  });
  return { near, spans };
}

describe('echo room', () => {
  it('reads the fixtures at the documented lengths', () => {
    expect(far.length).toBe(60 * ROOM_RATE);
    const b = loadFixture(NEAR_FIXTURE);
    const index = loadNearIndex();
    expect(index).toHaveLength(12);
    for (const u of index) {
      expect(u.end - u.start).toBeGreaterThanOrEqual(0.3 * ROOM_RATE);
      expect(u.end - u.start).toBeLessThanOrEqual(1.5 * ROOM_RATE);
      // The index is exact: the utterance is loud inside and the samples just before it are silent.
      let peak = 0;
      for (let i = u.start; i < u.end; i++) peak = Math.max(peak, Math.abs(b[i]));
      expect(peak).toBeGreaterThan(0.5);
      expect(Math.max(...Array.from(b.subarray(u.start - 160, u.start), Math.abs))).toBe(0);
    }
  });

  it('convolves by FFT overlap-add as a direct convolution does', () => {
    const rand = mulberry32(7);
    const x = Float32Array.from({ length: 20000 }, () => rand() - 0.5);
    const h = Float32Array.from({ length: 3000 }, () => rand() - 0.5);
    const delay = 37;
    const y = convolve(x, h, delay);
    let worst = 0;
    for (let i = 0; i < x.length; i += 97) {
      let s = 0;
      for (let k = 0; k < h.length && k <= i - delay; k++) s += h[k] * x[i - delay - k];
      worst = Math.max(worst, Math.abs(y[i] - s));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('makes RIRs whose Schroeder RT60 is within 15 % of the target', () => {
    for (const rt60 of [0.2, 0.35, 0.6]) {
      for (const drrDb of [0, null]) {
        const h = makeRir({ rt60, seed: 11, drrDb });
        let e = 0;
        for (const v of h) e += v * v;
        expect(e).toBeCloseTo(1, 4);
        const measured = schroederRt60(h, ROOM_RATE);
        expect(Math.abs(measured / rt60 - 1), `rt60 ${rt60}, drr ${drrDb}: measured ${measured.toFixed(3)} s`).toBeLessThan(0.15);
      }
    }
  });

  it('mixes the near end at the asked signal-to-echo ratio, and the noise at 30 dB below the echo', () => {
    const { near } = nearTrack();
    const room = ROOMS[1]; // soft clipping, so the level is taken after the loudspeaker
    const rir = makeRir({ rt60: room.rt60, seed: room.seed });
    for (const serDb of [-15, -5, 5]) {
      const r = simulateRoom({ far, near, rir, delayMs: room.delayMs, clip: room.clip, serDb, echoLevelDb: -20 });
      // The near end as the microphone holds it.
      const s = r.mic.map((m, i) => m - r.echo[i] - r.noise[i]);
      const echoPower = activePowerAgain(r.echo);
      const ser = 10 * Math.log10(activePowerAgain(s) / echoPower);
      expect(Math.abs(ser - serDb), `SER ${serDb}: measured ${ser.toFixed(2)} dB`).toBeLessThan(0.5);
      expect(10 * Math.log10(echoPower)).toBeCloseTo(-20, 0);
      let n2 = 0;
      for (const v of r.noise) n2 += v * v;
      expect(Math.abs(10 * Math.log10(echoPower / (n2 / r.noise.length)) - 30)).toBeLessThan(0.5);
    }
  });

  it('puts the echo at the configured bulk delay in every room, and after a path change at the new one', () => {
    const maxLag = 0.5 * ROOM_RATE;
    for (const [i, room] of ROOMS.entries()) {
      const rir = makeRir({ rt60: room.rt60, seed: room.seed });
      const other = ROOMS[(i + 3) % ROOMS.length];
      const pathChange = { atSample: 30 * ROOM_RATE, rir: makeRir({ rt60: other.rt60, seed: other.seed }), delayMs: other.delayMs };
      const r = simulateRoom({ far, rir, delayMs: room.delayMs, clip: room.clip, pathChange });
      expect(gccPhatLag(r.ref, r.mic, 0, maxLag), room.name).toBe(Math.round((room.delayMs * ROOM_RATE) / 1000));
      expect(gccPhatLag(r.ref, r.mic, 30 * ROOM_RATE, maxLag), `${room.name} after the change`).toBe(Math.round((other.delayMs * ROOM_RATE) / 1000));
    }
  });

  it('scales the reference and the echo together when the volume changes', () => {
    const rir = makeRir({ rt60: 0.3, seed: 3 });
    const at = 20 * ROOM_RATE;
    const r = simulateRoom({ far, rir, delayMs: 40, volumeChange: { atSample: at, gain: 0.5 }, snrDb: 200 });
    for (let i = 0; i < far.length; i += 1009) expect(r.ref[i]).toBe(i < at ? far[i] : Math.fround(far[i] * 0.5));
    const plain = simulateRoom({ far, rir, delayMs: 40, snrDb: 200 });
    // Once the old tail has died (delay + RIR), the echo is exactly half the unchanged room's.
    for (let i = at + ROOM_RATE; i < far.length; i += 1009) expect(r.echo[i]).toBeCloseTo(plain.echo[i] * 0.5, 6);
    expect(r.echo[at - 1]).toBe(plain.echo[at - 1]);
  });
});
