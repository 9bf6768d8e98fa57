/**
 * An HTTP server for playStream tests: each route streams a body in chunks (chunked
 * transfer encoding), optionally paced, optionally broken off after some bytes, always
 * honouring TCP backpressure (it writes the next chunk only once `write()` has room), and
 * records per request what it managed to send: so a test can see the client stop reading
 * while its buffer is full, a body cut mid-stream, and a download aborted by interrupt().
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BodyRoute {
  contentType: string | null;
  body: Uint8Array;
  /** Bytes per write (default 4096). */
  chunkBytes?: number;
  /** Pause between writes, ms (default 0). */
  delayMs?: number;
  /** Destroy the connection after this many bytes (a network failure mid-body). */
  cutAfterBytes?: number;
  /** Wait this long after the last write before the cut (default 0). */
  cutDelayMs?: number;
  /** HTTP status (default 200). */
  status?: number;
}

/** What the server saw of one request. */
export interface BodyRequestLog {
  /** Bytes handed to the socket (accepted by `write()`). */
  bytesWritten: number;
  /** Times `write()` said the socket was full and the server waited for `drain`. */
  blockedWrites: number;
  /** Currently waiting for `drain` (the client has stopped reading). */
  waitingForDrain: boolean;
  /** The whole body was sent. */
  finished: boolean;
  /** The client went away before the end (cancelled or aborted). */
  closedEarly: boolean;
}

export interface BodyServer {
  url: string;
  /** Serves `route` at `path` (replacing any earlier one). */
  route(path: string, route: BodyRoute): void;
  /** The requests made for `path`, oldest first. */
  requests(path: string): BodyRequestLog[];
  close(): Promise<void>;
}

export async function startBodyServer(): Promise<BodyServer> {
  const routes = new Map<string, BodyRoute>();
  const logs = new Map<string, BodyRequestLog[]>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = routes.get(path);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('Cache-Control', 'no-store');
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    const log: BodyRequestLog = { bytesWritten: 0, blockedWrites: 0, waitingForDrain: false, finished: false, closedEarly: false };
    logs.set(path, [...(logs.get(path) ?? []), log]);
    res.writeHead(route.status ?? 200, route.contentType ? { 'Content-Type': route.contentType } : {});
    res.on('close', () => {
      if (!log.finished) log.closedEarly = true;
    });
    const chunk = route.chunkBytes ?? 4096;
    const limit = route.cutAfterBytes ?? route.body.length;
    let at = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (at >= limit) {
        if (route.cutAfterBytes !== undefined) {
          // No terminating chunk: the client sees the body break off.
          const cut = setTimeout(() => res.socket?.destroy(), route.cutDelayMs ?? 0);
          res.once('close', () => clearTimeout(cut));
          return;
        }
        log.finished = true;
        res.end();
        return;
      }
      const piece = route.body.subarray(at, Math.min(at + chunk, limit));
      at += piece.length;
      log.bytesWritten += piece.length;
      const room = res.write(piece);
      const go = (): void => void (route.delayMs ? setTimeout(next, route.delayMs) : setImmediate(next));
      if (room) go();
      else {
        log.blockedWrites++;
        log.waitingForDrain = true;
        res.once('drain', () => {
          log.waitingForDrain = false;
          go();
        });
      }
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    route: (path, route) => routes.set(path, route),
    requests: (path) => logs.get(path) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
