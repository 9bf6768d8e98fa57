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

  it('outputStream is a MediaStream of exactly what plays, after the volume', async () => {
    const rate = 24000;
    const rng = mulberry32(31);
    // Wideband: noise through a gentle low-pass, so a wrong gain, a gap or a shift shows.
    const input = new Float32Array(2 * rate);
    let y = 0;
    for (let i = 0; i < input.length; i++) input[i] = y = 0.6 * y + 0.3 * (rng() * 2 - 1);
    const pcm = toPcm16(input);
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    try {
      const out = await opened.page.evaluate(
        async ({ pcm }) => {
          const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
          const { createRecorder } = await (globalThis as any).importModule('/test/browser/pages/capture.js');
          const fx = await setupPlayer({ contextRate: 24000, player: { sampleRate: 24000, prebufferMs: 100 } });
          const stream = fx.player.outputStream as MediaStream;
          const same = fx.player.outputStream === stream;
          const context = fx.player.audioContext as AudioContext;
          const recorder = await createRecorder(context);
          context.createMediaStreamSource(stream).connect(recorder.node);
          fx.player.volume = 0.5;
          fx.player.push(pcm, { utteranceId: 'n' });
          fx.player.endUtterance('n');
          await fx.waitFor((e: any) => e.type === 'ended');
          await new Promise((r) => setTimeout(r, 300));
          const viaStream = await recorder.capture();
          return {
            same,
            tracks: stream.getAudioTracks().length,
            direct: await fx.result(),
            viaStream: { samples: Array.from(viaStream.samples as Float32Array) },
          };
        },
        { pcm },
      );
      expect(opened.errors).toEqual([]);
      expect(out.same).toBe(true);
      expect(out.tracks).toBe(1);
      const direct = withoutSkips(Float32Array.from(out.direct.samples), out.direct.startFrame, out.direct.skips);
      const viaStream = Float32Array.from(out.viaStream.samples);
      // Where the stream's copy starts: the lag of best match of a 512-sample stretch well inside.
      const d0 = direct.findIndex((x) => x !== 0) + 4800;
      let lag = -1;
      let best = Infinity;
      for (let i = 0; i + 512 <= viaStream.length; i++) {
        let err = 0;
        for (let j = 0; j < 512 && err < best; j++) err += (viaStream[i + j] - direct[d0 + j]) ** 2;
        if (err < best) [best, lag] = [err, i];
      }
      // Over the next second: the same samples (the volume is in both), to within the stream path's rounding.
      let signal = 0;
      let noise = 0;
      for (let k = 0; k < rate; k++) {
        signal += direct[d0 + k] ** 2;
        noise += (viaStream[lag + k] - direct[d0 + k]) ** 2;
      }
      const snrDb = 10 * Math.log10(signal / noise);
      console.log(`[outputStream, ${ENGINE}] the stream's copy against the direct output: ${snrDb.toFixed(1)} dB over 1 s`);
      if (ENGINE !== 'webkit') expect(snrDb).toBeGreaterThan(60);
      else {
        // WebKitGTK's MediaStream path is not sample-exact (its own buffering and clock: the same
        // seen for createReferenceStream in barge-in.test.ts): the level is what it keeps.
        let streamEnergy = 0;
        for (let k = 0; k < rate; k++) streamEnergy += viaStream[lag + k] ** 2;
        const levelDb = 10 * Math.log10(streamEnergy / signal);
        console.log(`[outputStream, webkit] level against the direct output: ${levelDb.toFixed(2)} dB`);
        expect(Math.abs(levelDb)).toBeLessThan(6);
      }
    } finally {
      await opened.close();
    }
  });

  it('record() gives back exactly what was heard: the output sample for sample, each utterance in place, the cut one with its fade', async () => {
    const rate = 24000;
    const rng = mulberry32(41);
    const a = new Float32Array(rate).map(() => (rng() * 2 - 1) * 0.3);
    const b = new Float32Array(3 * rate).map(() => (rng() * 2 - 1) * 0.3);
    const opened = await openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    try {
      const out = await opened.page.evaluate(
        async ({ a, b }) => {
          const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
          const fx = await setupPlayer({ contextRate: 24000, player: { sampleRate: 24000, prebufferMs: 100 } });
          const recorder = fx.player.record({ maxSeconds: 30 });
          let twice = '';
          try {
            fx.player.record();
          } catch (e: any) {
            twice = e.code;
          }
          fx.player.push(new Uint8Array(a), { utteranceId: 'a' });
          fx.player.push(new Uint8Array(b), { utteranceId: 'b' });
          await fx.waitFor((e: any) => e.type === 'ended');
          await new Promise((r) => setTimeout(r, 700));
          fx.player.interrupt();
          await fx.waitFor((e: any) => e.type === 'interrupted');
          await new Promise((r) => setTimeout(r, 200));
          const rec = await recorder.stop();
          const wav = new Uint8Array(await rec.toWav().arrayBuffer());
          return {
            twice,
            sampleRate: rec.sampleRate,
            samples: Array.from(rec.samples as Float32Array),
            utterances: rec.utterances,
            wavBytes: wav.length,
            result: await fx.result(),
          };
        },
        { a: Array.from(toPcm16(a)), b: Array.from(toPcm16(b)) },
      );
      expect(opened.errors).toEqual([]);
      expect(out.twice).toBe('bad-option');
      expect(out.sampleRate).toBe(rate);
      expect(out.wavBytes).toBe(44 + 4 * out.samples.length);
      const recorded = Float32Array.from(out.samples);
      const raw = Float32Array.from(out.result.samples);
      // The capture and the recording, aligned on their first sound: the same samples wherever both have them.
      const shift = raw.findIndex((x) => x !== 0) - recorded.findIndex((x) => x !== 0);
      let compared = 0;
      let mismatches = 0;
      for (let i = 0; i < recorded.length; i++) {
        const j = i + shift;
        if (j < 0 || j >= raw.length) continue;
        compared++;
        if (recorded[i] !== raw[j]) mismatches++;
      }
      const [ua, ub] = out.utterances;
      const cut = out.result.events.find((e: any) => e.type === 'interrupted').detail;
      console.log(
        `[record, ${ENGINE}] ${recorded.length} frames recorded, ${compared} compared with the capture, ${mismatches} differ; utterances ${JSON.stringify(out.utterances)}`,
      );
      expect(compared).toBeGreaterThan(rate);
      expect(mismatches).toBe(0);
      // a played out whole: its span is its samples (pcm16 round trip), exactly.
      expect(ua).toMatchObject({ utteranceId: 'a', playedSamples: rate, interrupted: false, sampleRate: rate });
      const quantized = Float32Array.from(new Int16Array(toPcm16(a).buffer), (v) => v / 32768);
      expect(Array.from(recorded.subarray(ua.start, ua.end))).toEqual(Array.from(quantized));
      // b was cut: its span is what was heard, fade included, as the interrupted event counts it.
      expect(ub).toMatchObject({ utteranceId: 'b', interrupted: true, playedSamples: cut.playedSamples });
      expect(ub.end - ub.start).toBe(cut.playedSamples);
      expect(recorded.subarray(ub.end, ub.end + 2400).every((x) => x === 0)).toBe(true);
    } finally {
      await opened.close();
    }
  });
});
