// Node-side access to web mode for the specs: NovaApi calls over the same WebSocket
// protocol the page uses, token as a subprotocol (to compare the page with the data),
// raw upgrade attempts to check what the server refuses, and raw frames.
import { get } from 'node:http';
import WebSocket from 'ws';
import {
  WEB_API_PROTOCOL,
  WEB_SOCKET_PATH,
  webSocketProtocols,
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

/** What the page offers when it opens the API socket (no token: the API protocol alone). */
export function pageProtocols(token: string | null): string[] {
  return webSocketProtocols(token, [WEB_API_PROTOCOL]);
}

export type UpgradeOutcome = { readonly opened: true } | { readonly opened: false; readonly status: number | null; readonly error?: string };

/** Tries a WebSocket upgrade to /nova-ws with the given headers and subprotocols and reports whether it opened. */
export function tryUpgrade(origin: string, headers: Record<string, string>, protocols: string[] = [WEB_API_PROTOCOL], timeoutMs = 5_000): Promise<UpgradeOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}${WEB_SOCKET_PATH}`, protocols, { headers, handshakeTimeout: timeoutMs });
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

/** The API socket as the page opens it: its origin, the token as a subprotocol. */
function openAsPage(origin: string, token: string): WebSocket {
  return new WebSocket(`${origin.replace(/^http/, 'ws')}${WEB_SOCKET_PATH}`, pageProtocols(token), {
    headers: { Origin: origin },
    handshakeTimeout: 5_000,
  });
}

/** One NovaApi call over web mode's WebSocket, as the page makes it; bounded by timeoutMs. */
export function callOverWeb<M extends MethodName>(
  origin: string,
  token: string,
  method: M,
  params: ParamsIn<M>,
  timeoutMs = 60_000,
): Promise<Envelope<unknown>> {
  return new Promise((resolve, reject) => {
    const ws = openAsPage(origin, token);
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

/**
 * Opens the API socket as the page does, sends one raw text frame, and resolves with the
 * close code the server answered with (bounded by timeoutMs).
 */
export function sendRawFrame(origin: string, token: string, frame: string | Buffer, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = openAsPage(origin, token);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`the server neither answered nor closed within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('open', () => ws.send(frame, { binary: false }));
    ws.on('error', () => undefined);
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
    });
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** callOverWeb for a call that must succeed: its value, or an error naming the refusal. */
export async function callOverWebOk<M extends MethodName>(origin: string, token: string, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(origin, token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}
