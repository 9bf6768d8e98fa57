/**
 * Firefox ESR through puppeteer-core over WebDriver BiDi ($FIREFOX_PATH or
 * /usr/bin/firefox-esr), headless, with its own PulseAudio null sink (see pulse.ts) and
 * autoplay allowed by pref. Each page gets its own browser context.
 *
 * Page functions cross as source text and JSON (page-script.ts); requests to other hosts are
 * not intercepted here (the pages load only from 127.0.0.1), unlike Chromium.
 */
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { pageFunctionBody, settle } from './page-script';
import { startPulse } from './pulse';
import { pollFor, type LaunchOptions, type OpenedPage, type OpenPageOptions, type TestBrowser, type TestPage } from './types';
import { PAGE_INIT_SCRIPT } from './chromium';

function wrap(page: Page): TestPage {
  const testPage: TestPage = {
    async evaluate(fn, arg) {
      // An async IIFE as a string: puppeteer evaluates it and awaits the promise.
      return settle(await page.evaluate(`(async () => {${pageFunctionBody(fn as never, arg)}})()`)) as never;
    },
    waitForFunction: (fn, arg, options) => pollFor(testPage, fn as never, arg, options),
    waitForTimeout: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    async click(selector) {
      await page.click(selector);
    },
  };
  return testPage;
}

export async function firefoxEngine(options: LaunchOptions = {}): Promise<TestBrowser> {
  const pulse = await startPulse();
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
      headless: true,
      env: { ...process.env, PULSE_SERVER: pulse.address },
      // 0 allows audible autoplay; 5 blocks all autoplay until a gesture.
      extraPrefsFirefox: {
        'media.autoplay.default': options.requireGesture ? 5 : 0,
        'media.autoplay.blocking_policy': 0,
        'media.navigator.permission.disabled': true,
      },
    });
  } catch (e) {
    await pulse.stop();
    throw e;
  }
  const version = await browser.version();
  return {
    engine: 'firefox',
    version,
    pulseAddress: pulse.address,
    async open(url: string, openOptions: OpenPageOptions = {}): Promise<OpenedPage> {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.evaluateOnNewDocument(PAGE_INIT_SCRIPT);
      const errors: string[] = [];
      const logs: string[] = [];
      const ignored = (text: string) => (openOptions.ignoreErrors ?? []).some((re) => re.test(text));
      page.on('console', (msg) => {
        const text = msg.text();
        logs.push(`${msg.type()}: ${text}`);
        if (msg.type() === 'error' && !ignored(text)) errors.push(text);
      });
      page.on('pageerror', (err) => {
        const text = `pageerror: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
        logs.push(text);
        if (!ignored(text)) errors.push(text);
      });
      const waitUntil =
        openOptions.waitUntil === 'networkidle' ? 'networkidle0' : openOptions.waitUntil === 'commit' ? 'domcontentloaded' : (openOptions.waitUntil ?? 'load');
      await page.goto(url, { waitUntil });
      return { engine: 'firefox', page: wrap(page), errors, logs, close: () => context.close() };
    },
    async close() {
      try {
        await browser.close();
      } finally {
        await pulse.stop();
      }
    },
  };
}
