/**
 * The echo worklet's work at a context rate, fed render quantum by render quantum as the
 * AudioWorklet does: microphone and reference down to 16 kHz in lockstep, the cancelled
 * microphone back up, at most one message per quantum.
 */
import { HEAP_GROWTH_LIMIT, medianHeapGrowth } from '../../support/heap-growth';
import { describe, expect, it } from 'vitest';
import { StreamingResampler } from '../../../src/dsp/resampler';
import { EchoHost } from '../../../src/echo/echo-host';
import { ECHO_BLOCK, EchoDetector } from '../../../src/echo/echo-detector';
import { FAR_FIXTURE, loadFixture, makeRir, simulateRoom } from '../../support/echo-room';

/** 16 kHz → 48 kHz, band-limited (the player's own resampler). */
function up3(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length * 3);
  new StreamingResampler(16000, 48000).process(x, 0, x.length, y, 0, y.length);
  return y;
}

describe('EchoHost', () => {
  it('at 48 kHz: fills every quantum, cancels the echo as well as the 16 kHz detector does, reports a few times a second and finds the delay', () => {
    const far = loadFixture(FAR_FIXTURE).subarray(0, 12 * 16000);
    const room = simulateRoom({ far, rir: makeRir({ rt60: 0.3, seed: 4 }), delayMs: 70, snrDb: 60 });
    const mic = up3(room.mic);
    const ref = up3(room.ref);
    const host = new EchoHost(48000, {});
    const out = new Float32Array(mic.length);
    const quantum = new Float32Array(128);
    let reports = 0;
    for (let s = 0; s + 128 <= mic.length; s += 128) {
      quantum.fill(NaN);
      const message = host.render(mic.subarray(s, s + 128), ref.subarray(s, s + 128), quantum, s);
      expect(Number.isNaN(quantum[0]) || Number.isNaN(quantum[127])).toBe(false);
      out.set(quantum, s);
      if (message?.type === 'report') reports++;
      expect(message?.type === 'event' && message.event === 'bargein').toBe(false);
    }
    expect(reports).toBeGreaterThan(40); // ~4 a second for 12 s
    expect(Math.abs(host.detector.report.delayMs - 70)).toBeLessThan(3);
    let m = 0;
    let o = 0;
    for (let i = 4 * 48000; i < mic.length; i++) {
      m += mic[i] * mic[i];
      o += out[i] * out[i];
    }
    const hostErle = 10 * Math.log10(m / o);
    // The same room straight into the 16 kHz detector: the host's conversions cost nothing.
    const direct = new EchoDetector({});
    const block = new Float32Array(ECHO_BLOCK);
    let dm = 0;
    let dout = 0;
    for (let s = 0; s + ECHO_BLOCK <= room.mic.length; s += ECHO_BLOCK) {
      direct.process(room.mic.subarray(s, s + ECHO_BLOCK), room.ref.subarray(s, s + ECHO_BLOCK), block);
      if (s < 4 * 16000) continue;
      for (let i = 0; i < ECHO_BLOCK; i++) {
        dm += room.mic[s + i] * room.mic[s + i];
        dout += block[i] * block[i];
      }
    }
    const directErle = 10 * Math.log10(dm / dout);
    expect(hostErle).toBeGreaterThan(15);
    // No worse than the detector fed at 16 kHz directly (at 60 dB SNR both reach the noise, ~60 dB).
    expect(hostErle, `host ${hostErle.toFixed(1)} dB, direct ${directErle.toFixed(1)} dB`).toBeGreaterThan(Math.min(directErle, 40) - 1.5);
  });

  it('an unconnected input is silence, and the output stays silent and finite', () => {
    const host = new EchoHost(44100, {});
    const quantum = new Float32Array(128);
    for (let q = 0; q < 400; q++) {
      expect(host.render(undefined, undefined, quantum, q * 128)?.type ?? 'report').toBe('report');
      for (const x of quantum) expect(x).toBe(0);
    }
  });

  it('allocation sanity check (soft): 11,000 quanta of double talk after warm-up leave the heap essentially unchanged', () => {
    // The median window of heap growth (see test/support/heap-growth.ts).
    const far = loadFixture(FAR_FIXTURE).subarray(0, 20 * 16000);
    const near = loadFixture(FAR_FIXTURE).subarray(30 * 16000, 50 * 16000);
    const room = simulateRoom({ far, near, serDb: 0, rir: makeRir({ rt60: 0.3, seed: 5 }), delayMs: 40 });
    const mic = up3(room.mic);
    const ref = up3(room.ref);
    const host = new EchoHost(48000, {});
    const quantum = new Float32Array(128);
    // Copied into fixed arrays, not subarray()s: a view per quantum is an allocation of the test's.
    const micQ = new Float32Array(128);
    const refQ = new Float32Array(128);
    let at = 0;
    const step = (n: number) => {
      for (let q = 0; q < n; q++) {
        if (at + 128 > mic.length) at = 0;
        for (let i = 0; i < 128; i++) {
          micQ[i] = mic[at + i];
          refQ[i] = ref[at + i];
        }
        host.render(micQ, refQ, quantum, at);
        at += 128;
      }
    };
    const { median, deltas } = medianHeapGrowth(step);
    expect(median, `heap growth per 1000 quanta: ${deltas.join(', ')}`).toBeLessThan(HEAP_GROWTH_LIMIT);
  });
});
