// Drives web mode the way the renderer does: the token from the printed URL, offered
// as a subprotocol of the NovaApi WebSocket.
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { WEB_API_PROTOCOL, WEB_SOCKET_PATH, webSocketProtocols } from '../../src-shared/index.js';
import { CLI_BUNDLE } from './helper-harness.js';

export interface WebMode {
  url: string;
  origin: string;
  token: string;
  process: ChildProcess;
  stop: () => Promise<void>;
}

export async function startWebMode(args: string[], asNobody = false): Promise<WebMode> {
  const argv = [process.execPath, CLI_BUNDLE, ...args];
  const cmd = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...argv] : argv;
  const [file, ...rest] = cmd as [string, ...string[]];
  const child = spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nova web printed no URL within 15 s: ${out}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Nova web UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`nova web exited (${code}): ${out}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

export function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Opens the NovaApi socket as the page would (the token as a subprotocol, our Origin). */
export async function openApiSocket(web: WebMode, overrides: { token?: string; origin?: string } = {}): Promise<WebSocket> {
  const protocols = webSocketProtocols(overrides.token ?? web.token, [WEB_API_PROTOCOL]);
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(web.origin).port}${WEB_SOCKET_PATH}`, protocols, {
    headers: { Origin: overrides.origin ?? web.origin },
    handshakeTimeout: 5000,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
  });
  return ws;
}

let nextId = 1;
export function callOverSocket(ws: WebSocket, method: string, params: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${method}: no answer in 60 s`)), 60_000);
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(String(data)) as { type: string; id?: number; envelope?: never };
      if (msg.type === 'result' && msg.id === id) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(msg.envelope as never);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'call', id, method, params }));
  });
}
