/**
 * Consumer-test server: static files of one directory and WebSocket endpoints on the same
 * origin (so pages can use `new WebSocket('/tts')` and a CSP of `connect-src 'self'`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { MIME_TYPES } from '../browser/harness';

export interface ConsumerServer {
  /** e.g. "http://127.0.0.1:41234" */
  url: string;
  /** Pathnames requested, in order. */
  requests: string[];
  /** Resolves with the next WebSocket connection to `path` (including ones already made and not yet taken). */
  nextSocket(path: string, timeoutMs?: number): Promise<ServerSocket>;
  close(): Promise<void>;
}

export interface ServerSocket {
  socket: WebSocket;
  /** Text messages received (parsed JSON where possible). */
  received: unknown[];
  /** Resolves with the first received message matching `pred` (past or future). */
  waitFor(pred: (msg: unknown) => boolean, timeoutMs?: number): Promise<unknown>;
  send(data: string | Uint8Array): void;
}

export interface ServeOptions {
  root: string;
  /** Extra headers for a pathname (e.g. a Content-Security-Policy for HTML). */
  headers?: (pathname: string) => Record<string, string>;
}

function wrap(socket: WebSocket): ServerSocket {
  const received: unknown[] = [];
  const waiters: { pred: (msg: unknown) => boolean; resolve: (msg: unknown) => void }[] = [];
  socket.on('message', (raw: RawData, isBinary: boolean) => {
    if (isBinary) return;
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.concat(raw as Buffer[]).toString('utf8');
    let msg: unknown = text;
    try {
      msg = JSON.parse(text);
    } catch {
      // keep the text
    }
    received.push(msg);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].pred(msg)) waiters.splice(i, 1)[0].resolve(msg);
    }
  });
  return {
    socket,
    received,
    send: (data) => socket.send(data),
    waitFor(pred, timeoutMs = 10_000) {
      const found = received.find(pred);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolveWait, reject) => {
        const waiter = {
          pred,
          resolve: (msg: unknown) => {
            clearTimeout(timer);
            resolveWait(msg);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out waiting for a client message; received ${JSON.stringify(received)}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

export async function serve(options: ServeOptions): Promise<ConsumerServer> {
  const root = resolve(options.root);
  const requests: string[] = [];
  const pending = new Map<string, ServerSocket[]>();
  const takers = new Map<string, ((s: ServerSocket) => void)[]>();
  const wss = new WebSocketServer({ noServer: true });

  const server: Server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(pathname);
    const headers = { 'Cache-Control': 'no-store', ...(options.headers?.(pathname) ?? {}) };
    if (pathname === '/favicon.ico') {
      res.writeHead(204, headers).end();
      return;
    }
    const file = resolve(root, '.' + (pathname.endsWith('/') ? pathname + 'index.html' : pathname));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403, headers).end();
      return;
    }
    stat(file)
      .then((info) => {
        if (!info.isFile()) throw new Error('not a file');
        return readFile(file);
      })
      .then(
        (body) => res.writeHead(200, { ...headers, 'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' }).end(body),
        () => res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${pathname}`),
      );
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(`ws:${pathname}`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const wrapped = wrap(ws);
      const taker = takers.get(pathname)?.shift();
      if (taker) taker(wrapped);
      else pending.set(pathname, [...(pending.get(pathname) ?? []), wrapped]);
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    nextSocket(path, timeoutMs = 15_000) {
      const ready = pending.get(path)?.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolveSocket, reject) => {
        const taker = (s: ServerSocket) => {
          clearTimeout(timer);
          resolveSocket(s);
        };
        const timer = setTimeout(() => reject(new Error(`no WebSocket connection to ${path} within ${timeoutMs} ms`)), timeoutMs);
        takers.set(path, [...(takers.get(path) ?? []), taker]);
      });
    },
    close: () =>
      new Promise<void>((done) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
