/**
 * Output device (issue 16): `setSinkId()` moves the player's output to another device, and
 * back, without losing a sample. The browsers play through a private PulseAudio daemon with
 * two null sinks ("Null Output", the default, and "Other"); recording each sink's monitor
 * from Node shows where the audio really went. Chromium takes `AudioContext.setSinkId`,
 * Firefox the `<audio>` element route; WebKitGTK has neither and gets the typed error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSink } from './engines/pulse';
import { useSuite } from './fixture';
import { ENGINE, launchEngine, mulberry32, openPage, toPcm16, type TestBrowser } from './harness';

const suite = useSuite();
const RATE = 24000;

/** RMS in dBFS of each 100 ms block of a 48 kHz recording. */
function blockLevels(samples: Float32Array): number[] {
  const block = 4800;
  const out: number[] = [];
  for (let at = 0; at + block <= samples.length; at += block) {
    let sum = 0;
    for (let i = at; i < at + block; i++) sum += samples[i] * samples[i];
    out.push(10 * Math.log10(sum / block + 1e-20));
  }
  return out;
}

describe(`output device in ${ENGINE}`, () => {
  let browser: TestBrowser;
  beforeAll(async () => {
    browser = ENGINE === 'webkit' ? suite.browser : await launchEngine({ audioDevices: true });
  });
  afterAll(async () => {
    if (browser !== suite.browser) await browser?.close();
  });

  it.skipIf(ENGINE === 'webkit')(
    'setSinkId() moves the output to another device and back, loses nothing, and refuses an unknown id with a typed error',
    async () => {
      const rng = mulberry32(7);
      const seconds = 3;
      const pcm = toPcm16(new Float32Array(seconds * RATE).map(() => (rng() * 2 - 1) * 0.5));
      const address = browser.pulseAddress!;
      const opened = await openPage(browser, `${suite.plain.url}/test/browser/pages/blank.html`);
      const other = recordSink(address, 'other');
      const fallback = recordSink(address, 'null');
      try {
        const out = await opened.page.evaluate(
          async ({ pcm, rate }) => {
            const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
            // Firefox lists output devices once the page may use the microphone.
            await navigator.mediaDevices
              .getUserMedia({ audio: true })
              .then((s) => s.getTracks().forEach((t) => t.stop()))
              .catch(() => undefined);
            const devices = await navigator.mediaDevices.enumerateDevices();
            const target = devices.find((d) => d.kind === 'audiooutput' && d.label === 'Other')!;
            // In a freshly launched Chromium the first context moved by setSinkId went back to
            // the default device 0.2 s later (every fresh launch here, Chromium 156 on
            // PulseAudio); after any earlier context it stays. A context that ran first makes
            // this test about the player, not that quirk (noted in the session notes).
            const warm = new AudioContext();
            await warm.resume();
            await new Promise((r) => setTimeout(r, 1000));
            await warm.close();
            const player = new StreamPlayer({ sampleRate: rate, prebufferMs: 100 });
            const errors: string[] = [];
            player.on('error', (e: any) => errors.push(e.code));
            await player.start();
            const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
            let unknown = '';
            try {
              await player.setSinkId('no-such-device');
            } catch (e: any) {
              unknown = e.code;
            }
            const afterUnknown = { sinkId: player.sinkId, route: player.outputRoute };
            await player.setSinkId(target.deviceId);
            const moved = { sinkId: player.sinkId === target.deviceId, route: player.outputRoute };
            const ended = new Promise<any>((r) => player.on('ended', r));
            player.push(pcm, { utteranceId: 'noise' });
            player.endUtterance('noise');
            // Half the noise on "Other", by the audio clock (what the player counts as played),
            // not by a timer: the split must not depend on how busy the machine is.
            while (player.getMetrics().samples.played < pcm.length / 2 / 2) await wait(10);
            await player.setSinkId('');
            const back = { sinkId: player.sinkId, route: player.outputRoute };
            const done = await ended;
            const metrics = player.getMetrics().samples;
            await player.close();
            return { unknown, afterUnknown, moved, back, played: done.playedSamples, metrics, errors };
          },
          { pcm, rate: RATE },
        );
        await new Promise((r) => setTimeout(r, 300));
        const onOther = blockLevels(await other.stop());
        const onDefault = blockLevels(await fallback.stop());
        const loud = (levels: number[]) => levels.filter((db) => db > -20).length;
        const map = (levels: number[]) => levels.map((db) => (db > -20 ? '#' : '.')).join('');
        console.log(`[sink] Other   ${map(onOther)}\n[sink] default ${map(onDefault)}`);
        console.log(
          `[sink] ${ENGINE}: route ${out.moved.route}; 100 ms blocks above -20 dBFS: ${loud(onOther)} on "Other", ${loud(onDefault)} on the default; loudest ${Math.max(...onOther).toFixed(1)} / ${Math.max(...onDefault).toFixed(1)} dBFS`,
        );
        expect(out.unknown).toBe('output-device');
        expect(out.afterUnknown).toEqual({ sinkId: '', route: 'default' });
        expect(out.moved).toEqual({ sinkId: true, route: ENGINE === 'chromium' ? 'context' : 'media-element' });
        expect(out.back).toEqual({ sinkId: '', route: 'default' });
        expect(out.played).toBe(seconds * RATE);
        expect(out.metrics).toMatchObject({ received: seconds * RATE, played: seconds * RATE, dropped: 0 });
        expect(out.errors).toEqual([]);
        // The noise (−9 dBFS RMS) sounded on "Other" for its first half (1.5 s of audio), then on the default device.
        expect(loud(onOther)).toBeGreaterThanOrEqual(8);
        expect(loud(onDefault)).toBeGreaterThanOrEqual(8);
        expect(loud(onOther) + loud(onDefault)).toBeLessThanOrEqual(seconds * 10 + 4);
        expect(opened.errors).toEqual([]);
      } finally {
        await other.stop();
        await fallback.stop();
        await opened.close();
      }
    },
  );

  it.runIf(ENGINE === 'webkit')("setSinkId() without any way to choose a device: a typed 'unsupported' error, and the player plays on", async () => {
    const opened = await openPage(browser, `${suite.plain.url}/test/browser/pages/blank.html`);
    try {
      const out = await opened.page.evaluate(async () => {
        const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
        const player = new StreamPlayer({ sampleRate: 24000, prebufferMs: 20, sinkId: 'some-device' });
        const errors: string[] = [];
        player.on('error', (e: any) => errors.push(e.code));
        await player.start();
        let code = '';
        try {
          await player.setSinkId('another');
        } catch (e: any) {
          code = e.code;
        }
        const ended = new Promise<any>((r) => player.on('ended', r));
        player.push(new Int16Array(4800).fill(1000), { utteranceId: 'u' });
        player.endUtterance('u');
        const done = await ended;
        await player.close();
        return { code, errors, sinkId: player.sinkId, played: done.playedSamples };
      });
      expect(out).toEqual({ code: 'unsupported', errors: ['unsupported'], sinkId: '', played: 4800 });
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
