/**
 * What the page needs to know at start: where the mock TTS server is, and test hooks.
 *
 * - `?ws=ws://…` names the server; otherwise /demo/config.json (served by demo/serve.ts) does.
 * - `?test=1` routes the output through the test recorder worklet (test/browser/pages/capture.js).
 * - `?isolated=0` is read by the server (no COOP/COEP); the page just reports what it got.
 */
export interface DemoConfig {
  wsUrl: string;
  test: boolean;
  /** The page is cross-origin isolated (SharedArrayBuffer available to the player). */
  isolated: boolean;
  /** The server sends isolation headers unless asked not to. */
  isolationAvailable: boolean;
}

export async function loadConfig(location: Location = window.location): Promise<DemoConfig> {
  const params = new URLSearchParams(location.search);
  const isolated = globalThis.crossOriginIsolated === true;
  let wsUrl = params.get('ws');
  let isolationAvailable = true;
  if (!wsUrl) {
    try {
      const response = await fetch('/demo/config.json', { cache: 'no-store' });
      if (response.ok) {
        const body = (await response.json()) as { wsUrl?: unknown; isolation?: unknown };
        if (typeof body.wsUrl === 'string') wsUrl = body.wsUrl;
        if (body.isolation === false) isolationAvailable = false;
      }
    } catch {
      // Served by something else than demo/serve.ts: fall back to the default port below.
    }
  }
  return {
    wsUrl: wsUrl ?? `ws://${location.hostname || '127.0.0.1'}:8787/`,
    test: params.get('test') === '1',
    isolated,
    isolationAvailable,
  };
}

/** The same page with `isolated` switched, keeping the other parameters. */
export function urlWithIsolation(isolated: boolean, location: Location = window.location): string {
  const params = new URLSearchParams(location.search);
  if (isolated) params.delete('isolated');
  else params.set('isolated', '0');
  const query = params.toString();
  return `${location.pathname}${query ? `?${query}` : ''}`;
}
