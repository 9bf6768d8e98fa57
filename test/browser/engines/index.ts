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

/** Opens `url` in a fresh page (and context) of `browser`. */
export function openPage(browser: TestBrowser, url: string, options?: OpenPageOptions): Promise<OpenedPage> {
  return browser.open(url, options);
}

/** The Playwright Browser behind a Chromium TestBrowser, for Chromium-only tests. */
export function playwrightOf(browser: TestBrowser): Browser {
  const pw = (browser as TestBrowser & { playwright?: Browser }).playwright;
  if (!pw) throw new Error(`this test needs Chromium (Playwright), not ${browser.engine}`);
  return pw;
}
