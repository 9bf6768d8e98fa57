/**
 * Real-browser test harness for voxplay.
 *
 * - launchBrowser(): headless Debian Chromium via playwright-core, with every request to a
 *   host other than 127.0.0.1/localhost aborted (in every context the browser creates).
 * - startStaticServer(): serves the repo root (dist/, test/browser/pages/) on 127.0.0.1,
 *   optionally cross-origin isolated (COOP/COEP/CORP) and with extra headers (e.g. CSP).
 * - startStreamServer(): a scripted `ws` WebSocket server that sends timed binary/text
 *   steps and records what the client sends back, all on one clock (`srv.now()`).
 * - openPage(): a page that collects console errors and uncaught page errors.
 * - Node-side signal generators and pure analysis helpers for captured Float32 output
 *   (see test/browser/pages/capture.js for the page-side recorder).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket, type RawData } from 'ws';

export { mulberry32 } from '../unit/prng';

/** Repository root (two levels above this file). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------
// Browsers: one harness, three engines (see ./engines/)
// ---------------------------------------------------------------------------------------------

export {
  CHROMIUM_ARGS,
  blockExternalRequests,
  isLocalUrl,
  launchChromium as launchBrowser,
  openChromiumPage,
  PAGE_INIT_SCRIPT,
  type ChromiumPage,
} from './engines/chromium';
export type { EngineName, LaunchOptions, OpenedPage, OpenPageOptions, TestBrowser, TestPage } from './engines/types';
export { ENGINE, launchEngine, openPage, playwrightOf } from './engines/index';

/**
 * Globals every test page has. Use `importModule` instead of `import()` inside
 * page.evaluate callbacks: vitest rewrites a literal `import()` in the test file into
 * `__vite_ssr_dynamic_import__`, which does not exist in the page.
 *
 *   await page.evaluate(async () => {
 *     const { importModule } = globalThis as unknown as TestPageGlobals;
 *     const voxplay = await importModule('/dist/voxplay.js');
 *   });
 */
export interface TestPageGlobals {
  importModule(specifier: string): Promise<any>;
}

// ---------------------------------------------------------------------------------------------
// Static file server
// ---------------------------------------------------------------------------------------------

export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wav': 'audio/wav',
  '.pcm': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

export type HeaderSource = Record<string, string> | ((pathname: string) => Record<string, string>);

export interface StaticServerOptions {
  /** Send COOP same-origin, COEP require-corp and CORP same-origin on every response. */
  isolated: boolean;
  /** Extra response headers (e.g. Content-Security-Policy), or a function of the pathname. */
  headers?: HeaderSource;
  /** Directory served; defaults to the repo root. */
  root?: string;
}

export interface StaticServer {
  /** Origin, e.g. "http://127.0.0.1:41234" (no trailing slash). */
  url: string;
  /** Pathnames requested so far, in order (including 404s). */
  requests: string[];
  close(): Promise<void>;
}

function resolveHeaders(source: HeaderSource | undefined, pathname: string): Record<string, string> {
  if (!source) return {};
  return typeof source === 'function' ? source(pathname) : source;
}

/** Serves files under the repo root on 127.0.0.1 at a random port. GET/HEAD only, no caching. */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const root = resolve(options.root ?? REPO_ROOT);
  const requests: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const base: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (options.isolated) {
      base['Cross-Origin-Opener-Policy'] = 'same-origin';
      base['Cross-Origin-Embedder-Policy'] = 'require-corp';
      base['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400, base).end();
      return;
    }
    requests.push(pathname);
    const headers = { ...base, ...resolveHeaders(options.headers, pathname) };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    if (pathname === '/favicon.ico') {
      // Keep the console free of a 404 error for the automatic favicon request.
      res.writeHead(204, headers).end();
      return;
    }
    const file = resolve(root, '.' + pathname);
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, headers).end();
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, {
        ...headers,
        'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': String(body.length),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${pathname}`);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Scripted WebSocket stream server
// ---------------------------------------------------------------------------------------------

/** One scripted send: wait `delayMs` after the previous step was due, then send `data`. */
export interface StreamStep {
  delayMs: number;
  /** Uint8Array/ArrayBuffer → binary frame; string → text frame. */
  data: Uint8Array | ArrayBuffer | string;
}

/** A message the client sent. */
export interface ReceivedMessage {
  /** Which connection (StreamConnection.id). */
  connection: number;
  /** srv.now() when it arrived. */
  at: number;
  binary: boolean;
  /** Bytes for binary frames, text for text frames. */
  data: Uint8Array | string;
  /** Parsed JSON for text frames that are valid JSON, else undefined. */
  json?: any;
}

/** A frame the server sent. */
export interface SentRecord {
  /** Index in the play() script, or -1 for conn.send(). */
  step: number;
  /** srv.now() when handed to the socket. */
  at: number;
  binary: boolean;
  bytes: number;
}

export interface PlayOptions {
  /** Stop sending (remaining steps skipped) as soon as the client sends a matching message. */
  stopOn?: (msg: ReceivedMessage) => boolean;
  /** Close the connection after the last step (code 1000 unless given). */
  closeAfter?: boolean | { code?: number; reason?: string };
}

export interface PlayResult {
  /** Steps actually sent. */
  sent: number;
  total: number;
  /** True if every step was sent. */
  completed: boolean;
  /** Why sending ended early, if it did. */
  stoppedBy?: 'stopOn' | 'closed';
  /** The message that triggered stopOn. */
  stopMessage?: ReceivedMessage;
  /** srv.now() when the last step was sent, or NaN if none. */
  lastSentAt: number;
}

export interface StreamConnection {
  /** 1, 2, 3 ... in connection order. */
  id: number;
  /** Request path and query the client connected to, e.g. "/tts?voice=a". */
  path: string;
  socket: WebSocket;
  /** Messages from this client, in order. */
  received: ReceivedMessage[];
  /** Frames sent to this client, in order. */
  sent: SentRecord[];
  /** Whether the socket is still open. */
  readonly open: boolean;
  /** Resolves with the close code/reason once the connection is closed (by either side). */
  closed: Promise<{ code: number; reason: string; at: number }>;
  /** Sends the steps in order with their delays. Never rejects; see PlayResult. */
  play(steps: readonly StreamStep[], options?: PlayOptions): Promise<PlayResult>;
  send(data: Uint8Array | ArrayBuffer | string): void;
  close(code?: number, reason?: string): void;
  /** Resolves with the first message (already received or future) matching `pred`. */
  waitForMessage(pred?: (msg: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  /** Frames sent strictly after time `t` (srv.now() clock). */
  sentAfter(t: number): SentRecord[];
}

export interface StreamServer {
  /** e.g. "ws://127.0.0.1:41235" (append a path if you like; it is recorded, not routed). */
  url: string;
  /** Milliseconds since the server started; the clock of every `at` field. */
  now(): number;
  /** Handler run for each new connection (replaces any previous one). Errors are recorded. */
  onConnection(handler: (conn: StreamConnection) => void | Promise<void>): void;
  connections: StreamConnection[];
  /** All messages from all clients, in arrival order. */
  received: ReceivedMessage[];
  /** Errors thrown by connection handlers or sockets (assert empty). */
  errors: Error[];
  /** Resolves with connection number `index` (0-based, default: the next one not yet seen). */
  waitForConnection(index?: number, timeoutMs?: number): Promise<StreamConnection>;
  waitForMessage(pred?: (msg: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  close(): Promise<void>;
}

function toBinary(data: Uint8Array | ArrayBuffer): Buffer {
  return data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function rawToBytes(raw: RawData): Uint8Array {
  if (Array.isArray(raw)) return new Uint8Array(Buffer.concat(raw));
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw.slice(0));
  return new Uint8Array(raw); // copy of the Buffer
}

type Waiter<T> = { pred: (v: T) => boolean; resolve: (v: T) => void };

/** Starts a WebSocket server on 127.0.0.1 at a random port. */
export async function startStreamServer(): Promise<StreamServer> {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;

  const connections: StreamConnection[] = [];
  const received: ReceivedMessage[] = [];
  const errors: Error[] = [];
  const messageWaiters: Waiter<ReceivedMessage>[] = [];
  const connectionWaiters: Waiter<StreamConnection>[] = [];
  let handler: ((conn: StreamConnection) => void | Promise<void>) | undefined;
  let nextWaitIndex = 0;

  const notify = <T>(waiters: Waiter<T>[], value: T) => {
    for (let i = 0; i < waiters.length;) {
      if (waiters[i].pred(value)) {
        waiters[i].resolve(value);
        waiters.splice(i, 1);
      } else i++;
    }
  };

  const waitFor = <T>(existing: readonly T[], waiters: Waiter<T>[], pred: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> => {
    const found = existing.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolveWait, reject) => {
      const waiter: Waiter<T> = {
        pred,
        resolve: (v) => {
          clearTimeout(timer);
          resolveWait(v);
        },
      };
      const timer = setTimeout(() => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error(`stream server: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };

  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    const id = connections.length + 1;
    const connReceived: ReceivedMessage[] = [];
    const connWaiters: Waiter<ReceivedMessage>[] = [];
    const sent: SentRecord[] = [];
    let isOpen = socket.readyState === WebSocket.OPEN;
    let resolveClosed!: (v: { code: number; reason: string; at: number }) => void;
    const closed = new Promise<{ code: number; reason: string; at: number }>((r) => (resolveClosed = r));
    const closeListeners = new Set<() => void>();

    socket.on('message', (raw: RawData, isBinary: boolean) => {
      let msg: ReceivedMessage;
      if (isBinary) {
        msg = { connection: id, at: now(), binary: true, data: rawToBytes(raw) };
      } else {
        const text = Buffer.from(rawToBytes(raw)).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        msg = { connection: id, at: now(), binary: false, data: text, json };
      }
      connReceived.push(msg);
      received.push(msg);
      notify(connWaiters, msg);
      notify(messageWaiters, msg);
    });
    socket.on('close', (code: number, reason: Buffer) => {
      isOpen = false;
      resolveClosed({ code, reason: reason.toString('utf8'), at: now() });
      for (const l of closeListeners) l();
    });
    socket.on('error', (err: Error) => errors.push(err));

    const rawSend = (data: Uint8Array | ArrayBuffer | string, step: number) => {
      const binary = typeof data !== 'string';
      const payload = binary ? toBinary(data) : data;
      socket.send(payload, { binary }, (err) => {
        if (err && isOpen) errors.push(err);
      });
      sent.push({ step, at: now(), binary, bytes: binary ? (payload as Buffer).length : Buffer.byteLength(data) });
    };

    const conn: StreamConnection = {
      id,
      path: req.url ?? '/',
      socket,
      received: connReceived,
      sent,
      get open() {
        return isOpen;
      },
      closed,
      send: (data) => rawSend(data, -1),
      close: (code = 1000, reason = '') => {
        if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason);
      },
      waitForMessage: (pred = () => true, timeoutMs = 10_000) => waitFor(connReceived, connWaiters, pred, timeoutMs, `a message on connection ${id}`),
      sentAfter: (t) => sent.filter((s) => s.at > t),
      play: async (steps, playOptions = {}) => {
        let stopMessage: ReceivedMessage | undefined;
        let wake: (() => void) | undefined;
        const stopOn = playOptions.stopOn;
        const stopWaiter: Waiter<ReceivedMessage> | undefined = stopOn
          ? {
              pred: stopOn,
              resolve: (m) => {
                stopMessage = m;
                wake?.();
              },
            }
          : undefined;
        if (stopWaiter) {
          const already = connReceived.find(stopOn!);
          if (already) stopMessage = already;
          else connWaiters.push(stopWaiter);
        }
        const onClose = () => wake?.();
        closeListeners.add(onClose);

        let sentCount = 0;
        let lastSentAt = Number.NaN;
        let stoppedBy: PlayResult['stoppedBy'];
        // Steps are due on an absolute schedule (start + cumulative delays), so timer
        // lateness does not accumulate over a long paced stream.
        let due = performance.now();
        try {
          for (let i = 0; i < steps.length; i++) {
            due += steps[i].delayMs;
            while (!stopMessage && isOpen && performance.now() < due) {
              await new Promise<void>((r) => {
                wake = r;
                setTimeout(r, due - performance.now());
              });
              wake = undefined;
            }
            if (stopMessage) {
              stoppedBy = 'stopOn';
              break;
            }
            if (!isOpen) {
              stoppedBy = 'closed';
              break;
            }
            rawSend(steps[i].data, i);
            sentCount++;
            lastSentAt = now();
          }
          if (sentCount === steps.length && playOptions.closeAfter && isOpen) {
            const c = typeof playOptions.closeAfter === 'object' ? playOptions.closeAfter : {};
            conn.close(c.code ?? 1000, c.reason ?? '');
          }
        } finally {
          closeListeners.delete(onClose);
          if (stopWaiter) {
            const i = connWaiters.indexOf(stopWaiter);
            if (i >= 0) connWaiters.splice(i, 1);
          }
        }
        return {
          sent: sentCount,
          total: steps.length,
          completed: sentCount === steps.length,
          stoppedBy,
          stopMessage,
          lastSentAt,
        };
      },
    };
    connections.push(conn);
    notify(connectionWaiters, conn);
    if (handler) {
      Promise.resolve()
        .then(() => handler!(conn))
        .catch((err: unknown) => errors.push(err instanceof Error ? err : new Error(String(err))));
    }
  });

  return {
    url: `ws://127.0.0.1:${port}`,
    now,
    onConnection: (h) => {
      handler = h;
    },
    connections,
    received,
    errors,
    waitForConnection: (index, timeoutMs = 10_000) => {
      const want = index ?? nextWaitIndex;
      nextWaitIndex = want + 1;
      return waitFor(connections, connectionWaiters, (c) => c.id === want + 1, timeoutMs, `connection #${want}`);
    },
    waitForMessage: (pred = () => true, timeoutMs = 10_000) => waitFor(received, messageWaiters, pred, timeoutMs, 'a client message'),
    close: async () => {
      for (const c of connections) c.socket.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
    },
  };
}

/** Builds steps from chunks: a fixed delay, or a per-chunk delay function. */
export function toSteps(chunks: readonly (Uint8Array | string)[], delayMs: number | ((index: number, chunk: Uint8Array | string) => number)): StreamStep[] {
  return chunks.map((data, i) => ({ delayMs: typeof delayMs === 'number' ? delayMs : delayMs(i, data), data }));
}

// ---------------------------------------------------------------------------------------------
// Signals (node side)
// ---------------------------------------------------------------------------------------------

/** `amp * sin(2π f n / rate)` for round(rate * seconds) samples. */
export function sine(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array<ArrayBuffer> {
  const n = Math.round(rate * seconds);
  const out = new Float32Array(n);
  const w = (2 * Math.PI * freq) / rate;
  for (let i = 0; i < n; i++) out[i] = amp * Math.sin(w * i);
  return out;
}

/** Linear chirp from f0 to f1 Hz over `seconds` (phase-continuous). */
export function chirp(f0: number, f1: number, rate: number, seconds: number, amp = 0.5): Float32Array<ArrayBuffer> {
  const n = Math.round(rate * seconds);
  const out = new Float32Array(n);
  const k = (f1 - f0) / seconds;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    out[i] = amp * Math.sin(2 * Math.PI * (f0 * t + 0.5 * k * t * t));
  }
  return out;
}

/**
 * Float32 → little-endian signed 16-bit PCM, scaled by 32768 and clamped to
 * [-32768, 32767] (round to nearest). fromPcm16 (÷32768, like voxplay's decoder) inverts it
 * exactly for already-quantized input.
 */
export function toPcm16(f32: Float32Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(f32.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < f32.length; i++) {
    const v = Math.max(-32768, Math.min(32767, Math.round(f32[i] * 32768)));
    view.setInt16(i * 2, v, true);
  }
  return out;
}

/** Little-endian int16 PCM → Float32 (÷32768). A trailing odd byte is ignored. */
export function fromPcm16(bytes: Uint8Array): Float32Array<ArrayBuffer> {
  const n = bytes.length >> 1;
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}

/** The samples a pcm16 round trip yields: what the browser should play for toPcm16(f32). */
export function quantizePcm16(f32: Float32Array): Float32Array<ArrayBuffer> {
  return fromPcm16(toPcm16(f32));
}

/** Float32 → little-endian f32 bytes (a copy). */
export function toF32le(f32: Float32Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(f32.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < f32.length; i++) view.setFloat32(i * 4, f32[i], true);
  return out;
}

/**
 * Splits `bytes` into consecutive chunks of random length in [minBytes, maxBytes] (the last
 * may be shorter). Boundaries ignore sample alignment on purpose. Each chunk is a copy with
 * its own ArrayBuffer. Deterministic for a given rng (e.g. mulberry32(seed)).
 */
export function randomChunks(bytes: Uint8Array, rng: () => number, minBytes: number, maxBytes: number): Uint8Array<ArrayBuffer>[] {
  if (!(minBytes >= 1) || maxBytes < minBytes) throw new RangeError('randomChunks: need 1 <= minBytes <= maxBytes');
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const size = minBytes + Math.floor(rng() * (maxBytes - minBytes + 1));
    chunks.push(bytes.slice(pos, Math.min(bytes.length, pos + size)));
    pos += size;
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// Analysis (node side, pure)
// ---------------------------------------------------------------------------------------------

/** Half-open range [start, end). */
export interface Region {
  start: number;
  /** Exclusive: one past the last sample above the threshold. */
  end: number;
}

/** First and last sample with |x| > threshold, as [start, end); null if none. */
export function findActiveRegion(samples: Float32Array, threshold: number): Region | null {
  let start = -1;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]) > threshold) {
      start = i;
      break;
    }
  }
  if (start < 0) return null;
  let end = start + 1;
  for (let i = samples.length - 1; i > start; i--) {
    if (Math.abs(samples[i]) > threshold) {
      end = i + 1;
      break;
    }
  }
  return { start, end };
}

export interface Gap {
  start: number;
  length: number;
}

/** Runs of at least minRunSamples consecutive samples with |x| <= silenceThreshold in [start, end). */
export function findGaps(samples: Float32Array, start: number, end: number, minRunSamples: number, silenceThreshold: number): Gap[] {
  const gaps: Gap[] = [];
  const stop = Math.min(end, samples.length);
  let runStart = -1;
  for (let i = Math.max(0, start); i < stop; i++) {
    if (Math.abs(samples[i]) <= silenceThreshold) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      if (i - runStart >= minRunSamples) gaps.push({ start: runStart, length: i - runStart });
      runStart = -1;
    }
  }
  if (runStart >= 0 && stop - runStart >= minRunSamples) gaps.push({ start: runStart, length: stop - runStart });
  return gaps;
}

/** Number of near-silent runs (see findGaps) inside [start, end). */
export function countGaps(samples: Float32Array, start: number, end: number, minRunSamples: number, silenceThreshold: number): number {
  return findGaps(samples, start, end, minRunSamples, silenceThreshold).length;
}

/** Largest |x[i] - x[i-1]| for start < i < end (compare against the source's own maxStep). */
export function maxStep(samples: Float32Array, start = 0, end = samples.length): number {
  let max = 0;
  const stop = Math.min(end, samples.length);
  for (let i = Math.max(1, start + 1); i < stop; i++) {
    const d = Math.abs(samples[i] - samples[i - 1]);
    if (d > max) max = d;
  }
  return max;
}

/** RMS of consecutive non-overlapping windows (the last may be partial); length ceil(n / window). */
export function rmsEnvelope(samples: Float32Array, window: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(Math.ceil(samples.length / window));
  for (let w = 0; w < out.length; w++) {
    const s = w * window;
    const e = Math.min(samples.length, s + window);
    let acc = 0;
    for (let i = s; i < e; i++) acc += samples[i] * samples[i];
    out[w] = Math.sqrt(acc / (e - s));
  }
  return out;
}

/**
 * SNR in dB of `captured` against `reference`, with reference[i] expected at
 * captured[offset + i]. Reference samples that fall outside `captured` count as fully
 * missing (error = reference). Infinity when identical.
 */
export function snrAgainst(reference: Float32Array, captured: Float32Array, offset: number): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i];
    const j = offset + i;
    const c = j >= 0 && j < captured.length ? captured[j] : 0;
    signal += r * r;
    noise += (c - r) * (c - r);
  }
  if (noise === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10(signal / noise);
}

export interface Alignment {
  /** captured[offset + i] corresponds to reference[i]. */
  offset: number;
  /** True if the search window matched bit-for-bit. */
  exact: boolean;
  /** Normalized cross-correlation at `offset` (1 for an exact match). */
  correlation: number;
}

export interface AlignmentOptions {
  /** Reference samples matched, starting at its first non-zero sample; default 2000. */
  window?: number;
}

/**
 * Finds where `reference` sits inside `captured`: first an exact (bit-identical) search for
 * the reference's first `window` samples starting at its first non-zero sample, then, if
 * that fails, the lag of maximum normalized cross-correlation. Returns null if the
 * reference is all zeros or longer-window than the capture.
 */
export function bestAlignment(reference: Float32Array, captured: Float32Array, options: AlignmentOptions = {}): Alignment | null {
  let r0 = 0;
  while (r0 < reference.length && reference[r0] === 0) r0++;
  if (r0 === reference.length) return null;
  const k = Math.min(options.window ?? 2000, reference.length - r0);
  const w = reference.subarray(r0, r0 + k);
  const lastPos = captured.length - k;
  if (lastPos < 0) return null;

  // Exact match.
  const first = w[0];
  for (let pos = 0; pos <= lastPos; pos++) {
    if (captured[pos] !== first) continue;
    let i = 1;
    while (i < k && captured[pos + i] === w[i]) i++;
    if (i === k) return { offset: pos - r0, exact: true, correlation: 1 };
  }

  // Normalized cross-correlation.
  let wEnergy = 0;
  for (let i = 0; i < k; i++) wEnergy += w[i] * w[i];
  let cEnergy = 0;
  for (let i = 0; i < k; i++) cEnergy += captured[i] * captured[i];
  let best = -Infinity;
  let bestPos = 0;
  for (let pos = 0; pos <= lastPos; pos++) {
    if (pos > 0) {
      const out = captured[pos - 1];
      const inn = captured[pos + k - 1];
      cEnergy += inn * inn - out * out;
    }
    let dot = 0;
    for (let i = 0; i < k; i++) dot += w[i] * captured[pos + i];
    const denom = Math.sqrt(wEnergy * Math.max(cEnergy, 0));
    const corr = denom > 0 ? dot / denom : 0;
    if (corr > best) {
      best = corr;
      bestPos = pos;
    }
  }
  return { offset: bestPos - r0, exact: false, correlation: best };
}

export interface SampleDiff {
  /** Reference samples compared (all of them; out-of-range captured samples count as 0). */
  compared: number;
  /** Samples that are not bit-identical. */
  mismatches: number;
  /** Index into reference of the first mismatch, or -1. */
  firstMismatch: number;
  maxAbsDiff: number;
}

/** Bit-exact comparison of reference[i] with captured[offset + i]. */
export function diffAgainst(reference: Float32Array, captured: Float32Array, offset: number): SampleDiff {
  let mismatches = 0;
  let firstMismatch = -1;
  let maxAbsDiff = 0;
  for (let i = 0; i < reference.length; i++) {
    const j = offset + i;
    const c = j >= 0 && j < captured.length ? captured[j] : 0;
    if (c !== reference[i]) {
      mismatches++;
      if (firstMismatch < 0) firstMismatch = i;
      const d = Math.abs(c - reference[i]);
      if (d > maxAbsDiff) maxAbsDiff = d;
    }
  }
  return { compared: reference.length, mismatches, firstMismatch, maxAbsDiff };
}

/** The capture with the frames the context's clock skipped (never rendered) removed. */
export function withoutSkips(samples: Float32Array, startFrame: number, skips: { frame: number; frames: number }[]): Float32Array {
  const keep: number[] = [];
  let cursor = 0;
  for (const skip of skips) {
    const at = skip.frame - startFrame;
    for (; cursor < at; cursor++) keep.push(samples[cursor]);
    cursor = at + skip.frames;
  }
  for (; cursor < samples.length; cursor++) keep.push(samples[cursor]);
  return Float32Array.from(keep);
}
