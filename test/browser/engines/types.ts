/**
 * What a browser test needs of a page and a browser, the same in every engine. Chromium
 * runs it through Playwright, Firefox through puppeteer-core (WebDriver BiDi), WebKitGTK
 * through selenium-webdriver (classic WebDriver); see the files next to this one.
 */

/** The engines the browser suite runs in. */
export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** A page function: runs in the page with one (structured) argument. */
export type PageFunction<A, R> = (arg: A) => R | Promise<R>;

/** The page operations tests use in every engine (Playwright's names and argument order). */
export interface TestPage {
  evaluate<R, A = undefined>(fn: PageFunction<A, R> | string, arg?: A): Promise<R>;
  /** Polls `fn(arg)` until it returns a truthy value, which it resolves with. */
  waitForFunction<R, A = undefined>(fn: PageFunction<A, R> | string, arg?: A, options?: { timeout?: number; polling?: number }): Promise<unknown>;
  /** Waits on the test side. */
  waitForTimeout(ms: number): Promise<void>;
  /** Clicks the element matching `selector` (a real input event where the engine's driver has one). */
  click(selector: string): Promise<void>;
}

/** A page a test opened; it closes it itself, so a retry starts fresh. */
export interface OpenedPage {
  readonly engine: EngineName;
  page: TestPage;
  /** Console errors and uncaught exceptions ("pageerror: ..."), in order. */
  errors: string[];
  /** Every console message as "type: text" (for diagnostics when a test fails). */
  logs: string[];
  close(): Promise<void>;
}

export interface OpenPageOptions {
  /** Console errors matching any of these are not added to `errors` (still in `logs`). */
  ignoreErrors?: RegExp[];
  /** page.goto waitUntil (Chromium and Firefox); default 'load'. */
  waitUntil?: 'load' | 'domcontentloaded' | 'networkidle' | 'commit';
}

/** A launched engine. */
export interface TestBrowser {
  readonly engine: EngineName;
  /** Browser name and version as the engine reports it. */
  readonly version: string;
  /** PULSE_SERVER of the browser's private PulseAudio daemon, when it plays through one (see pulse.ts). */
  readonly pulseAddress?: string;
  open(url: string, options?: OpenPageOptions): Promise<OpenedPage>;
  close(): Promise<void>;
}

/** Launch options every engine understands. */
export interface LaunchOptions {
  /** Extra Chromium command-line switches (ignored by the other engines). */
  args?: string[];
  /** Launch with the browser's own autoplay policy (audio needs a user gesture). Default false. */
  requireGesture?: boolean;
  /**
   * Chromium: play through a private PulseAudio daemon with two null sinks ("Null Output",
   * "Other"), whose monitors the page can record, and grant media permissions. Firefox
   * always has this. Default false: Chromium's own headless output.
   */
  audioDevices?: boolean;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Stops a helper process (SIGTERM, SIGKILL after 2 s) and resolves once it exited. */
export function stopChild(child: import('node:child_process').ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}

/** waitForFunction for drivers without one: poll evaluate. */
export async function pollFor(
  page: Pick<TestPage, 'evaluate'>,
  fn: PageFunction<any, unknown> | string,
  arg: unknown,
  options: { timeout?: number; polling?: number } = {},
): Promise<unknown> {
  const deadline = Date.now() + (options.timeout ?? 30_000);
  for (;;) {
    const value = await page.evaluate(fn as PageFunction<unknown, unknown>, arg);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waitForFunction timed out after ${options.timeout ?? 30_000} ms`);
    await sleep(options.polling ?? 50);
  }
}
