/**
 * Which engine the browser suite runs in: $VOXPLAY_ENGINE (chromium, firefox or webkit;
 * default chromium), set per vitest project in vite.config.ts.
 */
import type { Browser } from 'playwright-core';
import { chromiumEngine } from './chromium';
import { firefoxEngine } from './firefox';
import type { EngineName, LaunchOptions, OpenedPage, OpenPageOptions, TestBrowser } from './types';
import { webkitEngine } from './webkit';

function engineFromEnv(): EngineName {
  const value = (process.env.VOXPLAY_ENGINE ?? 'chromium').toLowerCase();
  if (value === 'chromium' || value === 'firefox' || value === 'webkit') return value;
  throw new Error(`VOXPLAY_ENGINE must be chromium, firefox or webkit, not ${JSON.stringify(value)}`);
}

/** The engine this run tests. */
export const ENGINE: EngineName = engineFromEnv();

/** Launches `engine` (default: this run's). */
export function launchEngine(options: LaunchOptions = {}, engine: EngineName = ENGINE): Promise<TestBrowser> {
  if (engine === 'firefox') return firefoxEngine(options);
  if (engine === 'webkit') return webkitEngine(options);
  return chromiumEngine(options);
}

/** Pages opened by openPage() and not closed yet (see closeLeftoverPages). */
const openPages = new Set<OpenedPage>();

/** Opens `url` in a fresh page (and context) of `browser`. */
export async function openPage(browser: TestBrowser, url: string, options?: OpenPageOptions): Promise<OpenedPage> {
  const opened = await browser.open(url, options);
  const close = opened.close.bind(opened);
  opened.close = () => {
    openPages.delete(opened);
    return close();
  };
  openPages.add(opened);
  return opened;
}

/**
 * Closes the pages openPage() opened that are still open: those a test attempt left behind
 * when it failed before its own close(), with their AudioContext still rendering. Run after
 * every attempt (test/browser/retry-setup.ts), so a retry starts from a fresh page and is not
 * slowed by the failed attempt's audio. A page that does not close within `timeoutMs` is left
 * to the browser's own close. Returns how many pages were left open.
 */
export async function closeLeftoverPages(timeoutMs = 10_000): Promise<number> {
  const left = [...openPages];
  openPages.clear();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.allSettled(left.map((p) => p.close())), timeout]);
  clearTimeout(timer);
  return left.length;
}

/** The Playwright Browser behind a Chromium TestBrowser, for Chromium-only tests. */
export function playwrightOf(browser: TestBrowser): Browser {
  const pw = (browser as TestBrowser & { playwright?: Browser }).playwright;
  if (!pw) throw new Error(`this test needs Chromium (Playwright), not ${browser.engine}`);
  return pw;
}
