/**
 * A WebSocket to the mock TTS server that reconnects after it drops (e.g. the `drop` fault),
 * with a growing delay. Each new socket is handed to `onSocket` before it opens, so the
 * player can attach to it without missing a message.
 */
export type ConnectionStatus = 'connecting' | 'open' | 'closed';

export class ServerConnection {
  /** Where it connects; change it with {@link ServerConnection.reconnect}. */
  url: string;
  socket: WebSocket | null = null;
  status: ConnectionStatus = 'closed';
  /** Sockets opened so far. */
  opened = 0;
  private readonly onSocket: (socket: WebSocket) => void;
  private readonly onStatus: (status: ConnectionStatus, detail: string) => void;
  private retryMs = 250;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(url: string, onSocket: (socket: WebSocket) => void, onStatus: (status: ConnectionStatus, detail: string) => void) {
    this.url = url;
    this.onSocket = onSocket;
    this.onStatus = onStatus;
  }

  connect(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopped = false;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.setStatus('connecting', this.url);
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      this.opened++;
      this.retryMs = 250;
      this.setStatus('open', this.url);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const why = event.code === 1000 ? 'closed' : `dropped (code ${event.code})`;
      if (this.stopped) {
        this.setStatus('closed', why);
        return;
      }
      this.setStatus('closed', `${why}; reconnecting in ${(this.retryMs / 1000).toFixed(1)} s`);
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    });
    this.onSocket(socket);
  }

  /** Closes the socket and opens one to `url` (a new protocol, e.g. a mock voice service). */
  reconnect(url: string): void {
    this.url = url;
    const old = this.socket;
    this.socket = null;
    old?.close(1000);
    this.connect();
  }

  /** Resolves true once the socket is open (connecting if needed), false after `timeoutMs`. */
  whenOpen(timeoutMs = 3000): Promise<boolean> {
    if (this.status === 'open') return Promise.resolve(true);
    if (this.status === 'closed') this.connect();
    return new Promise((resolve) => {
      const started = performance.now();
      const poll = () => {
        if (this.status === 'open') resolve(true);
        else if (performance.now() - started > timeoutMs) resolve(false);
        else setTimeout(poll, 20);
      };
      poll();
    });
  }

  /** Sends a text message; false when the socket is not open. */
  send(text: string): boolean {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(text);
    return true;
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000);
  }

  private setStatus(status: ConnectionStatus, detail: string): void {
    this.status = status;
    this.onStatus(status, detail);
  }
}
