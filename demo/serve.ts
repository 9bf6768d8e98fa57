/**
 * Starts everything the live demo needs, in-process:
 *
 * - the mock TTS WebSocket server (demo/server/mock-server.ts) on 127.0.0.1;
 * - a Vite dev server rooted at the repository, with the demo page at /demo/.
 *
 * `npm run demo` (demo/start.mjs) and test/browser/demo.test.ts both call startDemo(), so the
 * test covers the code of the real command.
 *
 * The page loads the *built* library: /dist/* is answered by a small static handler that runs
 * before Vite's transform pipeline, so the browser gets dist/voxplay.js and
 * dist/playback-processor.js byte for byte and the library resolves its worklet URL exactly as
 * it would on any other host.
 *
 * Cross-origin isolation: every response carries COOP `same-origin` + COEP `require-corp`, so
 * `SharedArrayBuffer` exists and the player uses its shared ring. A page requested with
 * `?isolated=0` is served without those headers (the player then uses postMessage), and
 * `isolation: false` turns them off everywhere.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { serveTts, type HttpTtsStats } from './server/http-tts';
import { startMockServer, type MockServer } from './server/mock-server';
import type { Scenario } from './server/scenario';
import { synthesize } from './server/voice';

export interface DemoOptions {
  /** HTTP port of the page (Vite); 0 picks a free one. Default 5173. */
  port?: number;
  /** Port of the mock TTS WebSocket server; 0 picks a free one. Default 8787. */
  wsPort?: number;
  /** Interface both servers bind. Default 127.0.0.1. */
  host?: string;
  /** Send COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer transport). Default true. */
  isolation?: boolean;
  /** Fail instead of moving to the next free port when `port` is taken. Default false. */
  strictPort?: boolean;
  /** Scenario defaults for every speak request (see demo/server/scenario.ts). */
  scenarioDefaults?: Partial<Scenario>;
  /** Log lines of the mock server and of Vite (warnings and errors only). Default: silent. */
  log?: (line: string) => void;
}

export interface DemoServers {
  /** The page to open, e.g. http://127.0.0.1:5173/demo/ */
  pageUrl: string;
  /** The same page without COOP/COEP (postMessage transport). */
  nonIsolatedUrl: string;
  /** ws://127.0.0.1:8787/ */
  wsUrl: string;
  /** HTTP origin of the page server, e.g. http://127.0.0.1:5173 */
  origin: string;
  /** The mock TTS server (live `stats`). */
  mock: MockServer;
  /** What the HTTP TTS endpoint (`/tts`) has served. */
  http: HttpTtsStats;
  vite: ViteDevServer;
  /** Stops both servers. Idempotent. */
  close(): Promise<void>;
}

/** Repository root (the parent of demo/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const DIST = resolve(REPO_ROOT, 'dist');

const MIME: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

function isolationHeaders(res: ServerResponse): void {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** Vite plugin: isolation headers, /demo/config.json, raw /dist/ files, the HTTP TTS endpoint /tts, and / → /demo/. */
function demoPlugin(wsUrl: () => string, isolation: boolean, httpStats: HttpTtsStats): Plugin {
  return {
    name: 'voxplay-demo',
    configureServer(server) {
      // Added here (not in a returned function), so it runs before Vite's own middlewares.
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
        const url = new URL(req.url ?? '/', 'http://demo.invalid');
        const wantsIsolation = isolation && url.searchParams.get('isolated') !== '0';
        if (wantsIsolation) isolationHeaders(res);
        const path = url.pathname;
        if (path === '/' || path === '/demo' || path === '/index.html') {
          res.writeHead(302, { Location: `/demo/${url.search}` }).end();
          return;
        }
        if (path === '/favicon.ico') {
          res.writeHead(204).end();
          return;
        }
        if (path === '/demo/config.json') {
          const body = JSON.stringify({ wsUrl: wsUrl(), isolation });
          res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(body);
          return;
        }
        if (path.startsWith('/dist/')) {
          void serveDist(path, req, res);
          return;
        }
        if (path === '/tts') {
          serveTts(req, res, url, httpStats);
          return;
        }
        next();
      });
    },
  };
}

/** dist/ files exactly as built (no Vite transform), so the demo runs the real artifact. */
async function serveDist(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let file: string;
  try {
    file = resolve(REPO_ROOT, '.' + decodeURIComponent(path));
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (!file.startsWith(DIST + sep)) {
    res.writeHead(403).end();
    return;
  }
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    const body = await readFile(file);
    res.writeHead(200, {
      'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${path} (run "npm run build")`);
  }
}

/** Starts the mock TTS server and the demo page server. */
export async function startDemo(options: DemoOptions = {}): Promise<DemoServers> {
  const host = options.host ?? '127.0.0.1';
  const isolation = options.isolation ?? true;
  const log = options.log;
  // The mock voice synthesizes a whole utterance before its first frame; warm its code up so
  // the first Speak is not slower than the rest.
  synthesize('Warming up the mock voice, one sentence.');
  const mock = await startMockServer({
    port: options.wsPort ?? 8787,
    host,
    defaults: options.scenarioDefaults ?? {},
    log: log ? (line) => log(`[mock-tts] ${line}`) : undefined,
  });
  const http: HttpTtsStats = { started: 0, completed: 0, aborted: 0 };
  let vite: ViteDevServer | undefined;
  try {
    vite = await createServer({
      configFile: false,
      root: REPO_ROOT,
      appType: 'mpa',
      clearScreen: false,
      logLevel: log ? 'warn' : 'silent',
      customLogger: log
        ? {
            info: () => undefined,
            warn: (msg) => log(`[vite] ${msg}`),
            warnOnce: (msg) => log(`[vite] ${msg}`),
            error: (msg) => log(`[vite] ${msg}`),
            clearScreen: () => undefined,
            hasErrorLogged: () => false,
            hasWarned: false,
          }
        : undefined,
      // The demo is plain TypeScript + DOM; its one npm import (the browser-support probe) is
      // pre-bundled up front, and nothing else is crawled for.
      optimizeDeps: { noDiscovery: true, include: ['standardized-audio-context'] },
      server: {
        host,
        port: options.port ?? 5173,
        strictPort: options.strictPort ?? false,
        open: false,
      },
      plugins: [demoPlugin(() => mock.url, isolation, http)],
    });
    await vite.listen();
  } catch (error) {
    await vite?.close().catch(() => undefined);
    await mock.close();
    throw error;
  }
  const address = vite.httpServer?.address() as AddressInfo | null;
  if (!address) {
    await vite.close();
    await mock.close();
    throw new Error('the demo page server did not start listening');
  }
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  const server = vite;
  let closing: Promise<void> | undefined;
  return {
    pageUrl: `${origin}/demo/`,
    nonIsolatedUrl: `${origin}/demo/?isolated=0`,
    wsUrl: mock.url,
    origin,
    mock,
    http,
    vite: server,
    close() {
      closing ??= Promise.all([server.close(), mock.close()]).then(() => undefined);
      return closing;
    },
  };
}
