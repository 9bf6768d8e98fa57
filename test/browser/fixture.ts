/**
 * The one setup every browser test file shares: `useSuite()` registers beforeAll/afterAll
 * hooks that launch this run's engine ($VOXPLAY_ENGINE: chromium, firefox or webkit; see
 * ./engines/) and start the servers a file asks for, and returns them.
 *
 *   const suite = useSuite({ tts: true });
 *   it('…', async () => { const opened = await openPage(suite.browser, `${suite.plain.url}/…`); });
 *
 * What a test opens itself (pages, sockets, rigs) it closes itself, so a retry starts from a
 * fresh page and a fresh connection; the suite's servers hand out connections by arrival
 * (`stream.waitForConnection()` waits for the next one), never by index.
 */
import { afterAll, beforeAll } from 'vitest';
import { startMockServer, type MockServer } from '../../demo/server/mock-server';
import { launchEngine, startStaticServer, startStreamServer, type LaunchOptions, type StaticServer, type StreamServer, type TestBrowser } from './harness';

export interface SuiteOptions {
  /** Launch options (extra Chromium switches, e.g. precise memory info for heap checks). */
  launch?: LaunchOptions;
  /** Start the mock TTS server too. */
  tts?: boolean;
}

/** What a suite provides; reading a field before beforeAll ran throws. */
export interface Suite {
  /** This run's engine. */
  readonly browser: TestBrowser;
  /** The repo root served on 127.0.0.1, not cross-origin isolated (the postMessage transport). */
  readonly plain: StaticServer;
  /** The same, cross-origin isolated (SharedArrayBuffer, the shared transport). */
  readonly isolated: StaticServer;
  /** A scripted WebSocket server (timed binary/text steps, records what clients send). */
  readonly stream: StreamServer;
  /** The mock TTS server (demo/server), when asked for. */
  readonly tts: MockServer;
}

export function useSuite(options: SuiteOptions = {}): Suite {
  const parts: Partial<Record<keyof Suite, unknown>> = {};
  beforeAll(async () => {
    const [browser, plain, isolated, stream, tts] = await Promise.all([
      launchEngine(options.launch),
      startStaticServer({ isolated: false }),
      startStaticServer({ isolated: true }),
      startStreamServer(),
      options.tts ? startMockServer({ port: 0 }) : Promise.resolve(undefined),
    ]);
    Object.assign(parts, { browser, plain, isolated, stream, tts });
  });
  afterAll(async () => {
    const { browser, plain, isolated, stream, tts } = parts as Partial<Suite>;
    await Promise.all([tts?.close(), stream?.close(), plain?.close(), isolated?.close()]);
    await browser?.close();
  });
  const get = <K extends keyof Suite>(key: K): Suite[K] => {
    const value = parts[key];
    if (value === undefined) throw new Error(`suite.${key} is not available (outside a test, or not asked for)`);
    return value as Suite[K];
  };
  return {
    get browser() {
      return get('browser');
    },
    get plain() {
      return get('plain');
    },
    get isolated() {
      return get('isolated');
    },
    get stream() {
      return get('stream');
    },
    get tts() {
      return get('tts');
    },
  };
}
