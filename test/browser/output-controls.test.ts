/**
 * Output controls (issue 16, first part) from captured output: `volume` ramps without a
 * click, `muted` is silence while the audio still counts as played, and `getOutputLevel()`
 * agrees with the level of the captured output.
 */
import { describe, expect, it } from 'vitest';
import { useSuite } from './fixture';
import { ENGINE, mulberry32, openPage, sine, toPcm16, withoutSkips } from './harness';

const suite = useSuite();

describe(`output controls in ${ENGINE}`, () => {
  it('volume ramps with no click, muted is silence counted as played, getOutputLevel() is within 0.5 dB of the capture', async () => {
    const rate = 24000;
    const seconds = 3;
    const pcm = toPcm16(sine(440, rate, seconds, 0.5));
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    try {
      const out = await opened.page.evaluate(
        async ({ pcm, rate }) => {
          const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
          const fx = await setupPlayer({ contextRate: rate, player: { sampleRate: rate, prebufferMs: 100 } });
          const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
          const before = fx.player.volume;
          fx.player.push(pcm, { utteranceId: 'tone' });
          fx.player.endUtterance('tone');
          await fx.waitFor((e: any) => e.type === 'playing');
          const analyser = fx.player.analyser;
          await wait(300);
          fx.player.volume = 0.5;
          await wait(400);
          const level = fx.player.getOutputLevel();
          // The opt-in analyser (made above) sees the same output: its time-domain peak is the volume's 0.25.
          const data = new Float32Array(analyser.fftSize);
          analyser.getFloatTimeDomainData(data);
          const analyserPeak = data.reduce((m: number, x: number) => Math.max(m, Math.abs(x)), 0);
          fx.player.muted = true;
          await wait(500);
          const mutedRms = fx.player.getOutputLevel().rms;
          fx.player.muted = false;
          let badOption = '';
          try {
            fx.player.volume = 2;
          } catch (e: any) {
            badOption = e.code;
          }
          await fx.waitFor((e: any) => e.type === 'ended');
          await wait(200);
          return { before, level, mutedRms, badOption, analyserPeak, result: await fx.result() };
        },
        { pcm, rate },
      );
      expect(out.before).toBe(1);
      expect(out.badOption).toBe('bad-option');
      const captured = withoutSkips(Float32Array.from(out.result.samples), out.result.startFrame, out.result.skips);
      // No click: no step between samples beyond the tone's own steepest (A·2π·f/rate ≈ 0.058).
      let step = 0;
      for (let i = 1; i < captured.length; i++) step = Math.max(step, Math.abs(captured[i] - captured[i - 1]));
      expect(step).toBeLessThan(0.5 * 2 * Math.PI * (440 / rate) * 1.05);
      // Muted: a stretch of digital silence in the middle of the tone.
      let run = 0;
      let longest = 0;
      const first = captured.findIndex((x) => x !== 0);
      for (let i = first; i < captured.length; i++) {
        run = captured[i] === 0 ? run + 1 : 0;
        longest = Math.max(longest, run);
      }
      expect(longest).toBeGreaterThan(0.3 * rate);
      // Counted as played all the same: every sample, none dropped.
      const ended = out.result.events.filter((e: any) => e.type === 'ended').map((e: any) => e.detail.playedSamples);
      expect(ended).toEqual([rate * seconds]);
      const s = out.result.metrics.samples;
      expect(s).toMatchObject({ received: rate * seconds, played: rate * seconds, dropped: 0, buffered: 0 });
      // The level at volume 0.5 against the capture's over the same frames (the raw capture,
      // indexed by context frame).
      const raw = Float32Array.from(out.result.samples);
      const end = Math.round(out.level.contextTime * rate) - out.result.startFrame;
      const window = raw.subarray(end - out.level.frames, end);
      let sum = 0;
      let amplitude = 0;
      for (const x of window) {
        sum += x * x;
        amplitude = Math.max(amplitude, Math.abs(x));
      }
      const capturedRmsDb = 10 * Math.log10(sum / window.length);
      console.log(
        `[level] getOutputLevel ${out.level.rmsDb.toFixed(2)} dBFS RMS, ${out.level.peakDb.toFixed(2)} dBFS peak over ${out.level.frames} frames; capture ${capturedRmsDb.toFixed(2)} dBFS RMS, ${(20 * Math.log10(amplitude)).toFixed(2)} dBFS peak over the same frames; muted RMS ${out.mutedRms}`,
      );
      expect(Math.abs(out.level.rmsDb - capturedRmsDb)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(out.level.peakDb - 20 * Math.log10(amplitude))).toBeLessThanOrEqual(0.5);
      expect(out.mutedRms).toBe(0);
      expect(out.analyserPeak).toBeGreaterThan(0.2);
      expect(out.analyserPeak).toBeLessThan(0.3);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('pause() fades out and holds, nothing is lost: the capture without its silence is the input sample for sample (outside the two fades); no underrun; marks land on their frames after resume()', async () => {
    const rate = 24000;
    // White noise: no period, so a loss or a repeat of any length shows in the comparison.
    const rng = mulberry32(16);
    const noise = new Float32Array(2 * rate).map(() => (rng() * 2 - 1) * 0.4);
    const pcm = toPcm16(noise);
    const input = Float32Array.from(new Int16Array(pcm.buffer), (x) => x / 32768);
    const markAt = [Math.round(1.5 * rate), input.length - 1];
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    try {
      const out = await opened.page.evaluate(
        async ({ pcm, rate, markAt }) => {
          const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
          const fx = await setupPlayer({ contextRate: rate, player: { sampleRate: rate, prebufferMs: 100, fadeMs: 5 } });
          const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
          fx.player.push(pcm, { utteranceId: 'noise' });
          for (const at of markAt) fx.player.mark('noise', at, `at${at}`);
          fx.player.endUtterance('noise');
          await fx.waitFor((e: any) => e.type === 'playing');
          await wait(300);
          const pauseFrame = fx.frameNow();
          fx.player.pause();
          const pausedState = fx.player.state;
          await wait(500);
          await fx.player.resume();
          const resumedState = fx.player.state;
          await fx.waitFor((e: any) => e.type === 'ended');
          await wait(200);
          return { pausedState, resumedState, pauseFrame, result: await fx.result() };
        },
        { pcm, rate, markAt },
      );
      expect([out.pausedState, out.resumedState]).toEqual(['paused', 'running']);
      const events = out.result.events;
      expect(events.filter((e: any) => e.type === 'statechange').map((e: any) => e.detail.state)).toEqual(['starting', 'running', 'paused', 'running']);
      expect(events.filter((e: any) => e.type === 'underrun')).toEqual([]);
      expect(events.filter((e: any) => e.type === 'ended').map((e: any) => e.detail.playedSamples)).toEqual([input.length]);
      const raw = Float32Array.from(out.result.samples);
      const captured = withoutSkips(raw, out.result.startFrame, out.result.skips);
      const first = captured.findIndex((x) => x !== 0) - input.findIndex((x) => x !== 0);
      // The paused stretch: the longest run of exact zeros after the start.
      let runStart = -1;
      let best = { start: 0, length: 0 };
      for (let i = first + 2; i <= captured.length; i++) {
        const zero = i < captured.length && captured[i] === 0;
        if (zero && runStart < 0) runStart = i;
        if (!zero && runStart >= 0) {
          if (i - runStart > best.length) best = { start: runStart, length: i - runStart };
          runStart = -1;
        }
      }
      expect(best.length).toBeGreaterThan(0.3 * rate);
      // The fade-out's last sample is pinned to exactly 0: it belongs to the audio, not the pause.
      const heard = Float32Array.from([
        ...captured.subarray(first, best.start + 1),
        ...captured.subarray(best.start + best.length, first + input.length + best.length),
      ]);
      const fade = 0.005 * rate;
      // Where the pause took effect: the first heard sample that differs from the input.
      let fadeStart = 0;
      while (fadeStart < input.length && heard[fadeStart] === input[fadeStart]) fadeStart++;
      const silentAfter = best.start - first - fadeStart;
      let mismatches = 0;
      for (let k = 0; k < input.length; k++) {
        // Skip the fade-out before the pause and the fade-in after it.
        if (k >= fadeStart && k < fadeStart + 2 * fade + 2) continue;
        if (heard[k] !== input[k]) mismatches++;
      }
      // Marks after the resume: each one's frame holds its input sample (found in the raw,
      // frame-indexed capture by a 32-sample window of noise, which occurs once).
      const frameOf = (k: number): number => {
        const w = Math.max(0, Math.min(k, input.length - 32));
        for (let i = 0; i + 32 <= raw.length; i++) {
          let j = 0;
          while (j < 32 && raw[i + j] === input[w + j]) j++;
          if (j === 32) return out.result.startFrame + i + (k - w);
        }
        return -1;
      };
      const marks = events.filter((e: any) => e.type === 'mark').map((e: any) => Math.round(e.detail.contextTime * rate) - frameOf(e.detail.sampleOffset));
      console.log(
        `[pause] silent ${(best.length / rate).toFixed(3)} s; silence ${silentAfter} frames after the fade began (it took effect ${first + fadeStart + out.result.startFrame - out.pauseFrame} frames after the call's currentTime frame); ${mismatches} samples differ from the input outside the fades; mark frame errors ${marks.join(',')}`,
      );
      // Silence within fadeMs plus one quantum of the frame the pause took effect.
      expect(silentAfter).toBeLessThanOrEqual(fade + 128);
      expect(mismatches).toBe(0);
      expect(marks).toEqual([0, 0]);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
