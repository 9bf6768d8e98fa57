/**
 * The demo (`npm run demo`) in every engine: the real mock TTS server and page server from
 * startDemo(), the page driven by the engine's own click. Speak plays audio that reaches the
 * destination (heard by the recorder, `?test=1`), Interrupt silences it and tells the server.
 * The demo's UI in depth (metric views, logs, microphone) is demo.test.ts, Chromium only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoServers } from '../../demo/serve';
import { ENGINE, launchEngine, openPage, type TestBrowser } from './harness';

let demo: DemoServers;
let browser: TestBrowser;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo({ port: 0, wsPort: 0 }), launchEngine()]);
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

/** The demo page, once it is ready and connected to the mock server. */
async function openDemo() {
  const opened = await openPage(browser, `${demo.pageUrl}?test=1`);
  await opened.page.waitForFunction(
    () => document.body.dataset.ready === '1' && document.getElementById('conn-pill')!.textContent === 'TTS server: connected',
    undefined,
    { timeout: 15_000 },
  );
  return opened;
}

describe(`demo page in ${ENGINE}`, () => {
  it('loads cross-origin isolated on the shared transport; Speak plays to the destination; Interrupt silences it and reaches the server', async () => {
    const opened = await openDemo();
    try {
      const info = await opened.page.evaluate(() => {
        const d = (globalThis as any).voxplayDemo;
        return { isolated: globalThis.crossOriginIsolated, transport: d.player.transport, state: d.player.state };
      });
      expect(info).toEqual({ isolated: true, transport: 'shared', state: 'running' });
      await opened.page.click('#speak');
      // Sound at the destination: the recorder hears it.
      await opened.page.waitForFunction(() => (globalThis as any).voxplayDemo.bus.level() > 0.1, undefined, { timeout: 15_000 });
      const played = await opened.page.evaluate(() => (globalThis as any).voxplayDemo.player.getMetrics().samples.played as number);
      expect(played).toBeGreaterThan(0);
      await opened.page.click('#interrupt');
      await opened.page.waitForFunction(() => (globalThis as any).voxplayDemo.records.items.at(-1)?.state === 'interrupted', undefined, { timeout: 10_000 });
      const start = Date.now();
      while (demo.mock.stats.interrupts.length < 1 && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
      expect(demo.mock.stats.interrupts.length).toBe(1);
      // Silent after the fade: the level meter reads nothing once the cut has played out.
      await opened.page.waitForTimeout(300);
      const after = await opened.page.evaluate(() => ({
        level: (globalThis as any).voxplayDemo.bus.level() as number,
        buffered: (globalThis as any).voxplayDemo.player.getMetrics().samples.buffered as number,
      }));
      expect(after.level).toBeLessThan(1e-3);
      expect(after.buffered).toBe(0);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('the format picker: μ-law, A-law, WAV, MP3 and Ogg Opus streams from the mock server play to the end through the same player', async () => {
    const opened = await openDemo();
    try {
      for (const format of ['mulaw', 'alaw', 'wav', 'mp3', 'ogg-opus']) {
        const formats = await opened.page.evaluate(async (format) => {
          const d = (globalThis as any).voxplayDemo;
          const seen: string[] = [];
          const off = d.player.on('utterancestart', (e: any) => seen.push(e.format));
          (document.querySelector('select[name="format"]') as HTMLSelectElement).value = format;
          (document.querySelector('textarea, input[name="text"]') as HTMLInputElement).value = 'One two three.';
          const before = d.player.getMetrics().samples.played;
          (document.getElementById('speak') as HTMLButtonElement).click();
          const deadline = performance.now() + 15_000;
          while (d.records.items.at(-1)?.state !== 'ended' && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          off();
          return { seen, played: d.player.getMetrics().samples.played - before, state: d.records.items.at(-1)?.state };
        }, format);
        expect(formats.seen, format).toEqual([format]);
        expect(formats.state, format).toBe('ended');
        expect(formats.played, format).toBeGreaterThan(8000);
      }
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('the Server picker: the mock server speaks each voice service’s shapes, played through its adapter (voxplay/adapters), and HTTP through playStream; OpenAI’s barge-in truncates at what was heard', async () => {
    const opened = await openDemo();
    try {
      for (const service of ['openai-realtime', 'elevenlabs', 'cartesia', 'gemini-live', 'deepgram', 'twilio', 'http']) {
        const result = await opened.page.evaluate(async (service) => {
          const d = (globalThis as any).voxplayDemo;
          const select = document.getElementById('service') as HTMLSelectElement;
          select.value = service;
          select.dispatchEvent(new Event('change'));
          const deadline = performance.now() + 15_000;
          while (document.getElementById('conn-pill')!.textContent !== 'TTS server: connected' && performance.now() < deadline)
            await new Promise((r) => setTimeout(r, 20));
          const seen: string[] = [];
          const off = d.player.on('utterancestart', (e: any) => seen.push(e.utteranceId));
          (document.querySelector('textarea, input[name="text"]') as HTMLInputElement).value = 'One two three.';
          const before = d.player.getMetrics().samples.played;
          (document.getElementById('speak') as HTMLButtonElement).click();
          while (d.records.items.at(-1)?.state !== 'ended' && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          off();
          const words = document.querySelectorAll('#caption-text span[class^="word"]').length;
          return { seen, played: d.player.getMetrics().samples.played - before, state: d.records.items.at(-1)?.state, words };
        }, service);
        // The services that send word timings fill the captions' word list through the adapter.
        if (service === 'elevenlabs' || service === 'cartesia') expect(result.words, service).toBeGreaterThanOrEqual(3);
        expect(result.state, service).toBe('ended');
        expect(result.seen, service).toHaveLength(1);
        expect(result.played, service).toBeGreaterThan(service === 'twilio' ? 4000 : 8000);
      }
      expect(demo.http).toMatchObject({ started: 1, completed: 1, aborted: 0 }); // the HTTP choice fetched /tts once
      // OpenAI Realtime again, cut mid-reply: the adapter sends the truncate to the mock server.
      await opened.page.evaluate(async () => {
        const d = (globalThis as any).voxplayDemo;
        const select = document.getElementById('service') as HTMLSelectElement;
        select.value = 'openai-realtime';
        select.dispatchEvent(new Event('change'));
        const deadline = performance.now() + 15_000;
        while (document.getElementById('conn-pill')!.textContent !== 'TTS server: connected' && performance.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        (document.querySelector('textarea, input[name="text"]') as HTMLInputElement).value =
          'A much longer reply, so that there is time to cut it off in the middle.';
        (document.getElementById('speak') as HTMLButtonElement).click();
        while (d.records.items.at(-1)?.state !== 'playing' && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 300));
        (document.getElementById('interrupt') as HTMLButtonElement).click();
      });
      const start = Date.now();
      while (!demo.mock.stats.serviceMessages.some((m) => m.startsWith('conversation.item.truncate')) && Date.now() - start < 5000)
        await new Promise((r) => setTimeout(r, 20));
      const truncate = demo.mock.stats.serviceMessages.find((m) => m.startsWith('conversation.item.truncate'));
      expect(truncate).toMatch(/^conversation.item.truncate item_\d+ audio_end_ms \d+$/);
      expect(Number(truncate!.split(' ').at(-1))).toBeGreaterThan(0);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
  it('the Output card: the voice meter reads getOutputLevel() while speaking; Pause holds and Resume plays on; the volume slider and Mute reach the player', async () => {
    const opened = await openDemo();
    try {
      const meterPercent = () => opened.page.evaluate(() => parseFloat(document.getElementById('out-level')!.style.width || '0'));
      expect(await meterPercent()).toBe(0);
      await opened.page.click('#speak');
      // The meter spans −60…0 dBFS: speech sits well above −40 dBFS (a third of the way up).
      await opened.page.waitForFunction(() => parseFloat(document.getElementById('out-level')!.style.width || '0') > 33, undefined, { timeout: 15_000 });
      await opened.page.click('#pause');
      const paused = await opened.page.evaluate(() => ({
        state: (globalThis as any).voxplayDemo.player.state as string,
        label: document.getElementById('pause')!.textContent,
      }));
      expect(paused).toEqual({ state: 'paused', label: 'Resume' });
      // Paused: the level falls to silence, and nothing is played meanwhile.
      await opened.page.waitForFunction(() => !((globalThis as any).voxplayDemo.player.getOutputLevel().rms > 0), undefined, { timeout: 5_000 });
      const heldAt = await opened.page.evaluate(() => (globalThis as any).voxplayDemo.player.getMetrics().samples.played as number);
      await opened.page.waitForTimeout(300);
      expect(await opened.page.evaluate(() => (globalThis as any).voxplayDemo.player.getMetrics().samples.played as number)).toBe(heldAt);
      await opened.page.click('#pause');
      await opened.page.waitForFunction(() => (globalThis as any).voxplayDemo.player.getOutputLevel().rms > 0.01, undefined, { timeout: 5_000 });
      await opened.page.click('#mute');
      const after = await opened.page.evaluate(() => {
        const volume = document.getElementById('volume') as HTMLInputElement;
        volume.value = '40';
        volume.dispatchEvent(new Event('input'));
        const player = (globalThis as any).voxplayDemo.player;
        return { state: player.state as string, muted: player.muted as boolean, volume: player.volume as number };
      });
      expect(after).toEqual({ state: 'running', muted: true, volume: 0.4 });
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
