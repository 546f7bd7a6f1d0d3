import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WEB_SOCKET_PATH } from '../../src-shared/index.js';
import { EventHub } from './event-hub.js';
import { HelperClient } from './helper-client.js';
import { NovaApiHandlers } from './nova-api-handlers.js';
import { WebServer } from './web-server.js';

let dir = '';
let server: WebServer;
let hub: EventHub;
let helper: HelperClient;
let port = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv2u-web-'));
  const renderer = join(dir, 'renderer');
  await mkdir(join(renderer, 'assets'), { recursive: true });
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Nova</title>');
  await writeFile(join(renderer, 'assets/app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'secret');
  await symlink(join(dir, 'secret.txt'), join(renderer, 'assets/escape.txt'));
  helper = new HelperClient({ socketPath: join(dir, 'nothing.sock'), reconnect: false, connectWaitMs: 100 });
  hub = new EventHub(helper);
  server = new WebServer(new NovaApiHandlers({ helper, mode: 'web', version: '9.9.9' }), hub, { rendererDir: renderer, port: 0 });
  await server.listen();
  port = Number(new URL(server.origin).port);
});

afterAll(async () => {
  await server.close();
  hub.dispose();
  helper.close();
  await rm(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const cookie = () => ({ Cookie: `nova_token=${server.token}` });

function openSocket(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${WEB_SOCKET_PATH}`, { headers, handshakeTimeout: 3000 });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, id: number, method: string, params: unknown) {
  return new Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>((resolve) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string; id: number; envelope: never };
      if (msg.type === 'result' && msg.id === id) resolve(msg.envelope);
    });
    ws.send(JSON.stringify({ type: 'call', id, method, params }));
  });
}

describe('web mode HTTP', () => {
  it('listens on 127.0.0.1 only and prints a URL carrying the token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[A-Za-z0-9_-]{40,}$`));
  });

  it('refuses a request without the token', async () => {
    const r = await get('/');
    expect(r.status).toBe(401);
    expect(r.body).toContain('token');
  });

  it('refuses a wrong token', async () => {
    expect((await get('/?token=nope')).status).toBe(401);
    expect((await get('/', { Cookie: 'nova_token=nope' })).status).toBe(401);
  });

  it('serves the page for the token and sets an HttpOnly, SameSite=Strict cookie; never CORS', async () => {
    const r = await get(`/?token=${server.token}`);
    expect(r.status).toBe(200);
    expect(String(r.headers['set-cookie'])).toMatch(/nova_token=.*HttpOnly; SameSite=Strict/);
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect((await get('/assets/app.js', cookie())).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get(`/?token=${server.token}`, { Host: `evil.example:${port}` })).status).toBe(421);
    expect((await get(`/?token=${server.token}`, { Host: `localhost:${port}` })).status).toBe(421);
  });

  it('never serves a file outside the renderer dir, through .. or a symlink', async () => {
    expect((await get('/../secret.txt', cookie())).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt', cookie())).status).toBe(404);
    expect((await get('/assets/escape.txt', cookie())).status).toBe(404);
  });
});

describe('web mode WebSocket', () => {
  it('refuses a socket without the cookie', async () => {
    await expect(openSocket({ Origin: server.origin })).rejects.toThrow('HTTP 403');
  });

  it('refuses a socket from another origin even with the cookie', async () => {
    await expect(openSocket({ ...cookie(), Origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('serves NovaApi calls as envelopes, with codes for bad calls', async () => {
    const ws = await openSocket({ ...cookie(), Origin: server.origin });
    const info = await call(ws, 1, 'app.info', {});
    expect(info).toMatchObject({ ok: true, value: { version: '9.9.9', mode: 'web', helper: { connected: false } } });
    expect((await call(ws, 2, 'no.such', {})).error?.code).toBe('unknown_method');
    expect((await call(ws, 3, 'host.check', { refresh: 'x' })).error?.code).toBe('invalid_argument');
    expect((await call(ws, 4, 'host.check', {})).error?.code).toBe('unavailable');
    ws.close();
  });

  it('pushes events only to pages that subscribed', async () => {
    const subscribed = await openSocket({ ...cookie(), Origin: server.origin });
    const silent = await openSocket({ ...cookie(), Origin: server.origin });
    const heard = (ws: WebSocket) => {
      const events: unknown[] = [];
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as { type: string; event?: unknown };
        if (m.type === 'event') events.push(m.event);
      });
      return events;
    };
    const bySubscribed = heard(subscribed);
    const bySilent = heard(silent);
    // No helper here: main answers that it cannot reach it, and forwards what it hears.
    expect(await call(subscribed, 1, 'events.subscribe', {})).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    await call(silent, 1, 'app.info', {});
    hub.publish({ name: 'host.checked', payload: { generatedAt: '2026-01-01T00:00:00Z' } });
    await call(subscribed, 2, 'app.info', {});
    await call(silent, 2, 'app.info', {});
    expect(bySubscribed).toEqual([{ name: 'host.checked', payload: { generatedAt: '2026-01-01T00:00:00Z' } }]);
    expect(bySilent).toEqual([]);
    subscribed.close();
    silent.close();
  });
});
