// A kept token that no longer opens Nova: `nova web` was started again and made a new
// one, so the old page (or a remembered token) would reconnect forever and stay
// "disconnected". A refused WebSocket upgrade looks like a server that is down, so the
// two are told apart by asking: if the page's own server answers HTTP and a fresh socket
// with the token is still refused, the token is stale. Then it is forgotten and the
// token page asks for the new one.
import { WEB_API_PROTOCOL, WEB_SOCKET_PATH, webSocketProtocols } from '../../../src-shared/index.js';
import type { TransportState } from '../transport/transport.js';
import { webSocketUrl } from '../transport/web-transport.js';

/**
 * How long a probe may take before the token counts as not working. A refusal closes the
 * socket at once; only a silent server waits this long, and a client certificate's first
 * TLS handshake over a slow or busy link can take seconds.
 */
const PROBE_TIMEOUT_MS = 15_000;

/** Whether Nova's socket opens with `token` (null: with none, as for a client certificate). */
export function tokenOpensNova(token: string | null, location: Pick<Location, 'protocol' | 'host'> = window.location): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(webSocketUrl(location, WEB_SOCKET_PATH), webSocketProtocols(token, [WEB_API_PROTOCOL]));
    const done = (ok: boolean) => {
      clearTimeout(timer);
      ws.onopen = ws.onclose = ws.onerror = null;
      ws.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), PROBE_TIMEOUT_MS);
    ws.onopen = () => done(true);
    ws.onclose = () => done(false);
  });
}

/**
 * Whether Nova opens without a token (for the browser's client certificate), asked up to
 * `attempts` times: one socket closed by a busy link or a proxy on the way is not yet a
 * refusal, and the token page it would bring up does not go away by itself.
 */
export async function opensWithoutToken(probe: () => Promise<boolean> = () => tokenOpensNova(null), attempts = 3, pauseMs = 500): Promise<boolean> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (await probe()) return true;
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return false;
}

/** Whether the page's own server answers (it serves the app: any HTTP answer will do). */
export async function serverAnswers(): Promise<boolean> {
  try {
    const r = await fetch('/', { method: 'HEAD', cache: 'no-store' });
    return r.status < 500;
  } catch {
    return false;
  }
}

export interface StaleTokenWatch {
  readonly token: string;
  readonly onStateChange: (listener: (state: TransportState) => void) => () => void;
  readonly serverAnswers: () => Promise<boolean>;
  readonly tokenOpens: (token: string) => Promise<boolean>;
  readonly onStale: () => void;
}

/** After each failed connection, checks (one check at a time) whether the token is what fails. */
export function watchForStaleToken(w: StaleTokenWatch): () => void {
  let checking = false;
  let stopped = false;
  const check = async (): Promise<void> => {
    checking = true;
    try {
      // The server first: while it is down (restarting), a refused socket says nothing about the token.
      if (!(await w.serverAnswers())) return;
      if (await w.tokenOpens(w.token)) return;
      if (!stopped) {
        stopped = true;
        off();
        w.onStale();
      }
    } finally {
      checking = false;
    }
  };
  const off = w.onStateChange((state) => {
    if (state.status === 'reconnecting' && !checking && !stopped) void check();
  });
  return () => {
    stopped = true;
    off();
  };
}
