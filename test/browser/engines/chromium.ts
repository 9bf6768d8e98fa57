/**
 * Chromium through playwright-core: the Debian build at $CHROMIUM_PATH or /usr/bin/chromium,
 * headless, with every request to a host other than 127.0.0.1/localhost aborted. Chromium's
 * fake audio sink is timer-driven, so no audio device is needed.
 *
 * Chromium-only tests (the demo's UI, bundler consumers, the autoplay gesture) use
 * launchChromium/openChromiumPage for Playwright's full Page API.
 */
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { startPulse } from './pulse';
import type { LaunchOptions, OpenedPage, OpenPageOptions, TestBrowser, TestPage } from './types';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  // Belt and braces next to the request routing below: names other than localhost do not
  // resolve at all, which also covers WebSocket and other traffic that routing cannot see.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

/** Init script (a string, so vitest cannot rewrite it) defining TestPageGlobals. */
export const PAGE_INIT_SCRIPT = 'globalThis.importModule = (specifier) => import(specifier);';

/** True for http(s)/ws(s) URLs on 127.0.0.1 / localhost / [::1], and for data:/blob:/about: URLs. */
export function isLocalUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  return u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
}

/** Aborts every request of `context` whose URL is not local (see isLocalUrl). */
export async function blockExternalRequests(context: BrowserContext): Promise<void> {
  await context.route(
    (url) => !isLocalUrl(url.href),
    (route) => route.abort('blockedbyclient'),
  );
}

/**
 * Launches headless Chromium (a fresh temporary profile per launch). Every context created
 * through the returned Browser — `browser.newContext()` and `browser.newPage()` alike — has
 * non-local requests aborted. Close it with `await browser.close()`.
 */
export async function launchChromium(options: LaunchOptions & { executablePath?: string; env?: Record<string, string> } = {}): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: options.executablePath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS.filter((a) => !(options.requireGesture && a.startsWith('--autoplay-policy'))), ...(options.args ?? [])],
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    // Playwright mutes Chromium by default; a test that records the sinks needs the sound.
    ignoreDefaultArgs: [
      ...(options.requireGesture ? ['--autoplay-policy=no-user-gesture-required'] : []),
      ...(options.env?.PULSE_SERVER ? ['--mute-audio'] : []),
    ],
    headless: true,
  });
  const newContext = browser.newContext.bind(browser);
  // browser.newPage() goes through this.newContext(), so this covers both.
  browser.newContext = async (contextOptions) => {
    const context = await newContext(contextOptions);
    await blockExternalRequests(context);
    return context;
  };
  return browser;
}

/** A Chromium page with Playwright's whole API. */
export interface ChromiumPage {
  page: Page;
  context: BrowserContext;
  /** Console messages of type "error" and uncaught exceptions ("pageerror: ..."), in order. */
  errors: string[];
  /** Every console message as "type: text" (for diagnostics when a test fails). */
  logs: string[];
  /** Closes the page and its context. */
  close(): Promise<void>;
}

/**
 * Opens `url` in a new context of `browser` (non-local requests aborted), collecting console
 * errors and page errors, with TestPageGlobals installed before any page script runs.
 */
export async function openChromiumPage(browser: Browser, url: string, options: OpenPageOptions = {}): Promise<ChromiumPage> {
  const context = await browser.newContext();
  // Idempotent if launchChromium already installed it; needed for a foreign Browser.
  await blockExternalRequests(context);
  const page = await context.newPage();
  await page.addInitScript({ content: PAGE_INIT_SCRIPT });
  const errors: string[] = [];
  const logs: string[] = [];
  const ignored = (text: string) => (options.ignoreErrors ?? []).some((re) => re.test(text));
  page.on('console', (msg: ConsoleMessage) => {
    const text = msg.text();
    logs.push(`${msg.type()}: ${text}`);
    if (msg.type() === 'error' && !ignored(text)) errors.push(text);
  });
  page.on('pageerror', (err: Error) => {
    const text = `pageerror: ${err.stack ?? err.message}`;
    logs.push(text);
    if (!ignored(text)) errors.push(text);
  });
  page.on('crash', () => errors.push('page crashed'));
  await page.goto(url, { waitUntil: options.waitUntil ?? 'load' });
  return {
    page,
    context,
    errors,
    logs,
    close: async () => {
      await context.close();
    },
  };
}

/** Chromium as a TestBrowser; `playwright` is the Browser for Chromium-only tests. */
export async function chromiumEngine(options: LaunchOptions = {}): Promise<TestBrowser & { playwright: Browser }> {
  const pulse = options.audioDevices ? await startPulse() : null;
  let browser: Browser;
  try {
    browser = await launchChromium(
      pulse ? { ...options, env: { PULSE_SERVER: pulse.address }, args: [...(options.args ?? []), '--use-fake-ui-for-media-stream'] } : options,
    );
  } catch (e) {
    await pulse?.stop();
    throw e;
  }
  return {
    engine: 'chromium',
    version: `Chromium ${browser.version()}`,
    playwright: browser,
    ...(pulse ? { pulseAddress: pulse.address } : {}),
    async open(url: string, openOptions?: OpenPageOptions): Promise<OpenedPage> {
      const opened = await openChromiumPage(browser, url, openOptions);
      // Playwright's Page has every TestPage method with the same names and argument order.
      return { engine: 'chromium', page: opened.page as unknown as TestPage, errors: opened.errors, logs: opened.logs, close: opened.close };
    },
    async close() {
      try {
        await browser.close();
      } finally {
        await pulse?.stop();
      }
    },
  };
}
