/**
 * The live demo (`npm run demo`), end to end in Chromium: the real mock TTS server and the
 * real page server, started by the same startDemo() the command uses. `?test=1` routes the
 * page's output through the recorder worklet (test/browser/pages/capture.js), so the test
 * hears what reaches the destination.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startDemo, type DemoServers } from '../../demo/serve';
import { launchBrowser, openChromiumPage as openPage, REPO_ROOT, type ChromiumPage as OpenedPage } from './harness';

const SHORT_TEXT = 'Testing the demo, one two three.';
/** Fade (5 ms) + one render quantum + the render-ahead of headless Chromium, generously. */
const SILENCE_WITHIN_MS = 40;

let demo: DemoServers;
let browser: Browser;
let opened: OpenedPage;

type Rec = {
  engine: string;
  id: string | null;
  state: string;
  ttfaMs: number | null;
  gaps: number;
  bargeInMs: number | null;
  reportedBargeInMs: number | null;
  playedMs: number;
};

beforeAll(async () => {
  demo = await startDemo({ port: 0, wsPort: 0 });
  browser = await launchBrowser();
});

afterAll(async () => {
  await opened?.close();
  await browser?.close();
  await demo?.close();
});

async function records(): Promise<Rec[]> {
  return opened.page.evaluate(() => JSON.parse(JSON.stringify((globalThis as any).voxplayDemo.records.items)));
}

/** Waits until the newest record of `engine` is in one of `states`; returns it. */
async function waitForRecord(engine: string, states: string[], timeout = 15_000): Promise<Rec> {
  await opened.page.waitForFunction(
    ({ engine, states }) => {
      const items = (globalThis as any).voxplayDemo.records.items.filter((r: any) => r.engine === engine);
      return items.length > 0 && states.includes(items[items.length - 1].state);
    },
    { engine, states },
    { timeout },
  );
  return (await records()).filter((r) => r.engine === engine).at(-1)!;
}

/** Peak |sample| the recorder captured since `fromFrame` (context frames). */
async function peakSince(fromFrame: number): Promise<{ peak: number; lastSoundFrame: number | null }> {
  return opened.page.evaluate(async (from) => {
    const { bus } = (globalThis as any).voxplayDemo;
    const cap = await bus.recorder.capture();
    let peak = 0;
    let last: number | null = null;
    for (let i = Math.max(0, from - cap.startFrame); i < cap.samples.length; i++) {
      const x = Math.abs(cap.samples[i]);
      if (x > peak) peak = x;
      if (x > 1e-4) last = cap.startFrame + i;
    }
    return { peak, lastSoundFrame: last };
  }, fromFrame);
}

/** Presses Esc (the demo's interrupt) while the voice is sounding: a cut in a pause between words has nothing to time. */
async function escapeMidWord(): Promise<void> {
  await opened.page.evaluate(
    () =>
      new Promise<void>((done) => {
        const poll = () => {
          if ((globalThis as any).voxplayDemo.bus.level() > 0.1) {
            document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
            done();
          } else setTimeout(poll, 2);
        };
        poll();
      }),
  );
}

const frameNow = () => opened.page.evaluate(() => (globalThis as any).voxplayDemo.bus.frameNow() as number);

async function waitForServer(pred: () => boolean, what: string, timeout = 5000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for the mock server: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('demo page (npm run demo)', () => {
  it('loads the built library cross-origin isolated, with no console errors', async () => {
    opened = await openPage(browser, `${demo.pageUrl}?test=1`);
    await opened.page.setViewportSize({ width: 1280, height: 800 });
    await opened.page.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
    const info = await opened.page.evaluate(() => {
      const d = (globalThis as any).voxplayDemo;
      return {
        isolated: globalThis.crossOriginIsolated,
        transport: d.player.transport,
        state: d.player.state,
        resources: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
        conn: document.getElementById('conn-pill')!.textContent,
      };
    });
    expect(info.isolated).toBe(true);
    expect(info.transport).toBe('shared');
    expect(info.state).toBe('running');
    expect(info.resources).toContain('/dist/voxplay.js');
    expect(info.resources).not.toContain('/src/index.ts');
    await opened.page.waitForFunction(() => document.getElementById('conn-pill')!.textContent === 'TTS server: connected');
    expect(opened.errors).toEqual([]);
  });

  it('Speak plays audio that reaches the destination, and the metric views update', async () => {
    const { page } = opened;
    const from = await frameNow();
    await page.click('#speak'); // the long default text
    const playing = await waitForRecord('voxplay', ['playing']);
    await page.waitForTimeout(1200);
    const played = await page.evaluate(() => (globalThis as any).voxplayDemo.player.getMetrics().samples.played as number);
    expect(played).toBeGreaterThan(0);
    const { peak } = await peakSince(from);
    expect(peak).toBeGreaterThan(0.05);
    expect(playing.ttfaMs).toBeGreaterThan(0);
    const views = await page.evaluate(() => {
      const d = (globalThis as any).voxplayDemo;
      const canvas = document.getElementById('chart') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
      const text = (id: string) => document.getElementById(id)!.textContent;
      return { draws: d.chart.draws, painted, ttfa: text('t-ttfa'), buffered: text('t-buffered'), state: text('t-state'), arrival: text('t-arrival') };
    });
    expect(views.draws).toBeGreaterThan(10);
    expect(views.painted).toBeGreaterThan(5000);
    expect(views.ttfa).toMatch(/^\d+ ms$/);
    expect(views.buffered).toMatch(/ms|s$/);
    expect(views.state).toBe('running');
    expect(views.arrival).toMatch(/×$/);
    // Captions: words light up as the player's mark events fire.
    await page.waitForSelector('#caption-text .word.heard');
  });

  it('Interrupt (Esc) silences the output within the fade and the server stops sending', async () => {
    const { page } = opened;
    const id = (await records()).at(-1)!.id!;
    // Press Esc mid-word (a cut in a pause between words has nothing to time).
    await escapeMidWord();
    const at = await page.evaluate(() => (globalThis as any).voxplayDemo.lastInterrupt as { frame: number; at: number });
    await waitForServer(() => demo.mock.stats.interrupts.length >= 1, 'an interrupt');
    await page.waitForTimeout(400);
    const { lastSoundFrame } = await peakSince(at.frame - 4800);
    const rate = await page.evaluate(() => (globalThis as any).voxplayDemo.bus.context.sampleRate as number);
    const silentAfterMs = lastSoundFrame === null ? 0 : ((lastSoundFrame - at.frame) * 1000) / rate;
    const rec = await waitForRecord('voxplay', ['interrupted']);
    await page.waitForFunction(() => (globalThis as any).voxplayDemo.records.items.at(-1).bargeInMs !== null);
    const measured = (await records()).at(-1)!;
    console.log(
      `[demo] interrupt → last audible sample ${silentAfterMs.toFixed(1)} ms; page shows barge-in ${measured.bargeInMs?.toFixed(1)} ms (player: ${measured.reportedBargeInMs?.toFixed(1)} ms at the speakers)`,
    );
    expect(silentAfterMs).toBeLessThanOrEqual(SILENCE_WITHIN_MS);
    expect(rec.id).toBe(id);
    expect(measured.bargeInMs!).toBeLessThanOrEqual(SILENCE_WITHIN_MS);
    const interrupt = demo.mock.stats.interrupts[0];
    expect(interrupt.requested).toBe(id);
    expect(interrupt.cancelled).toEqual([id]);
    // Give in-flight timers a chance to (wrongly) send more, then check none did.
    await page.waitForTimeout(200);
    expect(demo.mock.stats.framesSentAfterInterrupt).toBe(0);
    await expect.poll(() => page.textContent('#t-barge')).toMatch(/^\d+\.\d ms$/);
    // The caption is cut where the listener stopped hearing (the interrupted event's lastMark).
    const caption = await page.evaluate(() => ({
      heard: document.querySelectorAll('#caption-text .word.heard').length,
      unheard: document.querySelectorAll('#caption-text .word.unheard').length,
      note: document.getElementById('caption-note')!.textContent,
    }));
    expect(caption.heard).toBeGreaterThan(0);
    expect(caption.unheard).toBeGreaterThan(0);
    expect(caption.note).toMatch(/^Cut after “.+”/);
  });

  it('a malformed frame and a dropped connection show in the error log, and the next Speak still plays', async () => {
    const { page } = opened;
    await page.fill('#text', SHORT_TEXT);
    await page.selectOption('select[name="speed"]', 'max');
    for (const [fault, code] of [
      ['malformed', 'bad-frame'],
      ['drop', 'disconnected'],
    ] as const) {
      await page.selectOption('select[name="fault"]', fault);
      await page.click('#speak');
      await page.waitForFunction((code) => (globalThis as any).voxplayDemo.log.entries.some((e: any) => e.code === code), code, { timeout: 10_000 });
      await expect.poll(() => page.locator('#log').textContent()).toContain(code);
      await page.keyboard.press('Escape'); // no need to hear the rest of it
      // The fault was for one request only; this one is clean and must play in full.
      expect(await page.inputValue('select[name="fault"]')).toBe('');
      await page.click('#speak');
      const next = await waitForRecord('voxplay', ['ended'], 15_000);
      expect(next.playedMs).toBeGreaterThan(1000);
      expect(next.gaps).toBe(0);
    }
    expect(demo.mock.stats.faultsInjected.map((f) => f.fault)).toEqual(['malformed', 'drop']);
    expect(demo.mock.stats.connections).toBeGreaterThanOrEqual(3); // the voxplay socket reconnected after the drop
    expect(opened.errors).toEqual([]);
  });

  it('the Playback speed slider plays at 2×: captions light in source time and the cut falls where the listener stopped', async () => {
    const { page } = opened;
    await page.fill('#text', 'Listening faster keeps every word in its place: the captions follow the marks, and the cut is exact.');
    // The server sends 10× real time, so the whole utterance is buffered long before the cut: at
    // 4× a loaded CI host stalled the feed twice, the underruns left no mark pair to check, and
    // the test failed its first attempt (f117c0a). Mark spacing, not delivery, is tested here.
    await page.selectOption('select[name="speed"]', '10');
    await page.evaluate(() => {
      const d = (globalThis as any).voxplayDemo;
      const input = document.getElementById('playback-speed') as HTMLInputElement;
      input.value = '2';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      for (const off of d.speedLogOffs ?? []) off(); // a retry starts afresh
      const log = { marks: [] as any[], cut: null as any, underruns: [] as number[] };
      d.speedLog = log;
      d.speedLogOffs = [
        d.player.on('mark', (e: any) => log.marks.push(e)),
        d.player.on('interrupted', (e: any) => (log.cut = e)),
        d.player.on('underrun', () => log.underruns.push(d.bus.context.currentTime)),
      ];
    });
    expect(await page.textContent('#playback-speed-out')).toBe('2.00×');
    await page.click('#speak');
    await page.waitForFunction(() => (globalThis as any).voxplayDemo.speedLog.marks.length >= 4, null, { timeout: 15_000 });
    await escapeMidWord();
    await page.waitForFunction(() => (globalThis as any).voxplayDemo.speedLog.cut !== null);
    await page.waitForTimeout(300);
    const got = await page.evaluate(() => {
      const d = (globalThis as any).voxplayDemo;
      const input = document.getElementById('playback-speed') as HTMLInputElement;
      input.value = '1';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      for (const off of d.speedLogOffs) off();
      d.speedLogOffs = [];
      return {
        log: JSON.parse(JSON.stringify(d.speedLog)),
        heard: document.querySelectorAll('#caption-text .word.heard').length,
        unheard: document.querySelectorAll('#caption-text .word.unheard').length,
        metricsSpeed: d.player.getMetrics().speed,
      };
    });
    expect(got.metricsSpeed).toBe(1);
    const cut = got.log.cut;
    const marks = got.log.marks.filter((m: any) => m.utteranceId === cut.utteranceId);
    // In source time at 2×: consecutive marks are (Δoffset ÷ 2) apart on the audio clock, within
    // one longest pitch period (15.4 ms), when nothing stalled between them (an underrun's
    // silence is not speech; such a pair is left out, and said so).
    const underruns: number[] = got.log.underruns;
    const pairs = marks.slice(1).map((m: any, k: number) => ({
      error: (m.contextTime - marks[k].contextTime) * 1000 - (m.offsetMs - marks[k].offsetMs) / 2,
      stalled: underruns.some((t) => t >= marks[k].contextTime - 0.5 && t <= m.contextTime + 0.5),
    }));
    console.log(
      `[demo] 2×: ${marks.length} marks heard (passed: ${marks.filter((m: any) => m.passed).length}, underruns ${underruns.length}), spacing error vs Δoffset/2 (ms): ${pairs.map((p: any) => `${p.error.toFixed(1)}${p.stalled ? ' (underrun: left out)' : ''}`).join(', ')}; cut at ${cut.playedMs.toFixed(0)} ms of audio`,
    );
    expect(pairs.filter((p: any) => !p.stalled).length).toBeGreaterThan(0);
    for (const p of pairs) if (!p.stalled) expect(Math.abs(p.error)).toBeLessThanOrEqual(16);
    // The cut: the last mark heard is the interrupted event's lastMark, the played count is past
    // its sample, and the caption strikes out exactly the words after it.
    const last = marks.at(-1);
    expect(cut.lastMark.name).toBe(last.name);
    expect(cut.playedSamples).toBeGreaterThanOrEqual(last.sampleOffset);
    expect(got.heard).toBe(marks.length);
    expect(got.unheard).toBeGreaterThan(0);
    expect(opened.errors).toEqual([]);
  });

  it('the legacy <audio> queue plays too, with its gaps and barge-in measured', async () => {
    const { page } = opened;
    await page.click('label:has(input[value="legacy"])');
    await page.selectOption('select[name="speed"]', '4');
    const from = await frameNow();
    await page.click('#speak');
    const done = await waitForRecord('legacy', ['ended'], 15_000);
    expect(done.ttfaMs).toBeGreaterThan(0);
    expect(done.playedMs).toBeGreaterThan(500);
    const { peak } = await peakSince(from);
    expect(peak).toBeGreaterThan(0.05);
    // Barge in on a longer legacy utterance. A click that lands in a pause (between words,
    // or in one of legacy's own gaps) has nothing to time: then try again.
    const interruptsBefore = demo.mock.stats.interrupts.length;
    await page.fill('#text', 'This is the legacy queue, chunk after chunk, each one in its own audio element.');
    let cut: Rec | undefined;
    for (let attempt = 0; attempt < 3 && cut?.bargeInMs == null; attempt++) {
      await page.click('#speak');
      await waitForRecord('legacy', ['playing']);
      await page.waitForTimeout(500);
      await page.evaluate(
        () =>
          new Promise<void>((done) => {
            const poll = () => {
              if ((globalThis as any).voxplayDemo.bus.level() > 0.05) {
                document.getElementById('interrupt')!.click();
                done();
              } else setTimeout(poll, 2);
            };
            poll();
          }),
      );
      await waitForRecord('legacy', ['interrupted']);
      await page.waitForTimeout(300); // the probe answers after 100 ms of silence
      cut = (await records()).at(-1)!;
    }
    await waitForServer(() => demo.mock.stats.interrupts.length > interruptsBefore, 'the legacy interrupt');
    expect(demo.mock.stats.interrupts.at(-1)!.requested).toBeNull();
    cut = cut!;
    console.log(`[demo] legacy: first audio ${done.ttfaMs?.toFixed(0)} ms, ${done.gaps} gaps; barge-in ${cut.bargeInMs?.toFixed(1)} ms`);
    expect(cut.bargeInMs).not.toBeNull();
    expect(cut.engine).toBe('legacy');
    expect(cut.state).toBe('interrupted');
    await page.waitForTimeout(200);
    expect(demo.mock.stats.framesSentAfterInterrupt).toBe(0);
    const ab = await page.locator('#ab-body').textContent();
    expect(ab).toMatch(/barge-in/);
    expect(opened.errors).toEqual([]);
    await mkdir(resolve(REPO_ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: resolve(REPO_ROOT, 'test-results/demo.png') });
  });

  it('the ?isolated=0 page uses the postMessage transport and plays', async () => {
    const plain = await openPage(browser, `${demo.pageUrl}?test=1&isolated=0`);
    try {
      await plain.page.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
      await plain.page.fill('#text', SHORT_TEXT);
      await plain.page.click('#speak');
      await plain.page.waitForFunction(() => (globalThis as any).voxplayDemo.records.items.at(-1)?.state === 'playing', null, { timeout: 15_000 });
      await plain.page.waitForTimeout(300);
      const out = await plain.page.evaluate(() => {
        const d = (globalThis as any).voxplayDemo;
        return {
          isolated: globalThis.crossOriginIsolated,
          transport: d.player.transport,
          played: d.player.getMetrics().samples.played,
          pill: document.getElementById('transport-pill')!.textContent,
        };
      });
      expect(out).toMatchObject({ isolated: false, transport: 'message', pill: 'postMessage ring' });
      expect(out.played).toBeGreaterThan(0);
      expect(plain.errors).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('"loudspeaker room": the energy VAD fires on the echo, voxplay/barge-in does not, and confirms a voice talking over it', async () => {
    // A page of its own: the tests before leave the shared page with a short text and another engine.
    const fresh = await openPage(browser, `${demo.pageUrl}?test=1`);
    try {
      const { page } = fresh;
      await page.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
      await page.click('label:has(#room-toggle)');
      await page.waitForFunction(() => document.getElementById('room-status')!.dataset.kind !== 'info', null, { timeout: 10_000 });
      const status = await page.evaluate(() => document.getElementById('room-status')!.textContent);
      expect(await page.evaluate(() => document.getElementById('room-status')!.dataset.kind), status).toBe('on');
      const interruptsBefore = demo.mock.stats.interrupts.length;
      await page.click('#speak'); // the long default text
      try {
        await page.waitForFunction(() => (globalThis as any).voxplayDemo.records.items.at(-1)?.state === 'playing', null, { timeout: 15_000 });
      } catch (error) {
        // Once in a CI run the agent's turn never started playing here: say what the page saw.
        const seen = await page.evaluate(() => {
          const d = (globalThis as any).voxplayDemo;
          return JSON.stringify({
            state: d.player.state,
            records: d.records.items.slice(-2),
            log: d.log.entries.slice(-5),
            current: d.player.getMetrics().current,
          });
        });
        throw new Error(`the agent's turn did not start playing within 15 s: ${seen}`, { cause: error });
      }
      await page.waitForTimeout(4000);
      const figures = () => page.evaluate(() => ({ ...(globalThis as any).voxplayDemo.room.figures }));
      const before = await figures();
      expect(before.oursFalse, JSON.stringify(before)).toBe(0);
      expect(before.naiveFalse, JSON.stringify(before)).toBeGreaterThan(0);
      // The detector's recall is not 100 %, least of all on the mock voice: in the bench's
      // scenario (d), this protocol in a room like this one (npm run bench:echo) is heard at the
      // first talk in 27 of 39 placements and not in three talks in 6 (docs/barge-in.md, "The
      // demo's loudspeaker room"). A voice that talks over the agent and is not heard talks
      // again, as a user would, up to three times. Each miss is printed with what the detector
      // saw; a false barge-in is never allowed.
      // Each talk waits (up to 3 s) for the canceller to be converged: before that the level
      // gate judges, and it is deaf to a talker near the echo's level by design (issue 23's
      // convergence, 1.6 s in the bench and longer on the mock's voice). A talk that a miss
      // had knocked out of convergence (double talk read as an echo-path change) missed all
      // three times in 1 of 7 local runs on 2026-12-07 and in CI on 2026-12-06.
      const misses: string[] = [];
      for (let talk = 0; talk < 3; talk++) {
        await page
          .waitForFunction(() => (globalThis as any).voxplayDemo.room.detector?.report?.()?.converged === true, null, { timeout: 3000 })
          .catch(() => undefined); // talk anyway: the miss, if any, prints the report
        await page.click('#room-talk');
        try {
          await page.waitForFunction(() => (globalThis as any).voxplayDemo.log.entries.some((e: any) => e.code === 'echo-aware-barge-in'), null, {
            timeout: 2000,
          });
          break;
        } catch {
          misses.push(
            await page.evaluate(() => {
              const d = (globalThis as any).voxplayDemo;
              return JSON.stringify({ figures: d.room.figures, report: d.room.detector?.report?.(), playedMs: d.player.getMetrics().current?.playedMs });
            }),
          );
        }
      }
      console.log(`[demo] loudspeaker room: heard after ${misses.length + 1} talk(s)${misses.length ? `; missed: ${misses.join(' | ')}` : ''}`);
      expect(misses.length, misses.join(' | ')).toBeLessThan(3);
      await waitForServer(() => demo.mock.stats.interrupts.length > interruptsBefore, 'the echo-aware barge-in');
      const after = await figures();
      expect(after, JSON.stringify(after)).toMatchObject({ oursFalse: 0, oursTrue: 1 });
      expect(await page.evaluate(() => (globalThis as any).voxplayDemo.records.items.at(-1).state)).toBe('interrupted');
      await page.click('label:has(#room-toggle)');
      expect(fresh.errors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('"barge in when I talk": a denied microphone is explained; a granted one interrupts on sound', async () => {
    // Chromium's fake capture device beeps periodically: a stand-in for the user talking.
    const fakeMic = await launchBrowser({ args: ['--use-fake-device-for-media-stream'] });
    try {
      const page2 = await openPage(fakeMic, `${demo.pageUrl}?test=1`);
      const { page } = page2;
      await page.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
      const micState = () =>
        page.evaluate(() => ({
          on: (document.getElementById('mic-toggle') as HTMLInputElement).checked,
          kind: document.getElementById('mic-status')!.dataset.kind,
          text: document.getElementById('mic-status')!.textContent,
        }));
      await page.click('label.toggle'); // no permission granted: the prompt is dismissed
      await page.waitForFunction(() => document.getElementById('mic-status')!.dataset.kind === 'error');
      const denied = await micState();
      expect(denied.on).toBe(false);
      expect(denied.text).toMatch(/denied/);
      await page2.context.grantPermissions(['microphone'], { origin: demo.origin });
      await page.click('label.toggle');
      await page.waitForFunction(() => document.getElementById('mic-status')!.dataset.kind === 'on');
      expect((await micState()).on).toBe(true);
      const interruptsBefore = demo.mock.stats.interrupts.length;
      await page.evaluate(() => {
        (globalThis as any).voxplayDemo.mic.holdMs = 30; // the beeps are short
      });
      await page.click('#speak');
      await page.waitForFunction(() => (globalThis as any).voxplayDemo.log.entries.some((e: any) => e.code === 'voice-barge-in'), null, { timeout: 10_000 });
      await waitForServer(() => demo.mock.stats.interrupts.length > interruptsBefore, 'the voice barge-in');
      const state = await page.evaluate(() => (globalThis as any).voxplayDemo.records.items.at(-1).state);
      expect(state).toBe('interrupted');
      expect(page2.errors).toEqual([]);
      await page2.close();
    } finally {
      await fakeMic.close();
    }
  });
});
