// Node-side access to web mode for the specs: the token cookie the server hands out,
// NovaApi calls over the same WebSocket protocol the page uses (to compare the page
// with the data), and raw upgrade attempts to check what the server refuses.
import { get } from 'node:http';
import WebSocket from 'ws';
import {
  WEB_SOCKET_PATH,
  WebServerMessageSchema,
  type Envelope,
  type MethodName,
  type ParamsIn,
} from '../../src-shared/index.js';

export interface HttpAnswer {
  readonly status: number;
  readonly setCookie: string[];
  readonly body: string;
}

/** A plain GET on 127.0.0.1 with exactly the headers given (no cookie jar). */
export function httpGet(origin: string, path: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = get(new URL(path, origin), { headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** `name=value` of the auth cookie the server sets for the right token. */
export async function authCookie(origin: string, token: string): Promise<string> {
  const answer = await httpGet(origin, `/?token=${encodeURIComponent(token)}`);
  const cookie = answer.setCookie[0]?.split(';')[0];
  if (answer.status !== 200 || !cookie) throw new Error(`GET /?token=… answered ${answer.status} without a cookie`);
  return cookie;
}

export type UpgradeOutcome = { readonly opened: true } | { readonly opened: false; readonly status: number | null; readonly error?: string };

/** Tries a WebSocket upgrade to /nova-ws with the given headers and reports whether it opened. */
export function tryUpgrade(origin: string, headers: Record<string, string>, timeoutMs = 5_000): Promise<UpgradeOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}${WEB_SOCKET_PATH}`, { headers, handshakeTimeout: timeoutMs });
    ws.once('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? null });
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => resolve({ opened: false, status: null, error: err.message }));
  });
}

/** One NovaApi call over web mode's WebSocket, as the page makes it; bounded by timeoutMs. */
export function callOverWeb<M extends MethodName>(
  origin: string,
  cookie: string,
  method: M,
  params: ParamsIn<M>,
  timeoutMs = 60_000,
): Promise<Envelope<unknown>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}${WEB_SOCKET_PATH}`, {
      headers: { Cookie: cookie, Origin: origin },
      handshakeTimeout: 5_000,
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${method} over web mode did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (fn: () => void): void => {
      clearTimeout(timer);
      ws.close();
      fn();
    };
    ws.once('open', () => ws.send(JSON.stringify({ type: 'call', id: 1, method, params })));
    ws.on('message', (data) => {
      const parsed = WebServerMessageSchema.safeParse(JSON.parse(String(data)));
      if (parsed.success && parsed.data.type === 'result' && parsed.data.id === 1) {
        const envelope = parsed.data.envelope;
        finish(() => resolve(envelope));
      }
    });
    ws.once('error', (err) => finish(() => reject(err)));
  });
}
