import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NOVAFILE_TEXT_MAX_CHARS, WEB_API_PROTOCOL, WEB_MAX_MESSAGE_BYTES, WEB_SOCKET_PATH, webSocketProtocols } from '../../src-shared/index.js';
import { EventHub } from './event-hub.js';
import { HelperClient } from './helper-client.js';
import { NovaApiHandlers } from './nova-api-handlers.js';
import { parseOpenMetrics } from './open-metrics-parser.js';
import { OPENMETRICS_CONTENT_TYPE, renderOpenMetrics } from './open-metrics.js';
import { WebServer } from './web-server.js';

let dir = '';
let renderer = '';
let server: WebServer;
let hub: EventHub;
let helper: HelperClient;
let port = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv12w-web-'));
  renderer = join(dir, 'renderer');
  await mkdir(join(renderer, 'assets'), { recursive: true });
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Nova</title>');
  await writeFile(join(renderer, 'assets/app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'secret');
  await symlink(join(dir, 'secret.txt'), join(renderer, 'assets/escape.txt'));
  helper = new HelperClient({ socketPath: join(dir, 'nothing.sock'), reconnect: false, connectWaitMs: 100 });
  hub = new EventHub(helper);
  server = new WebServer(new NovaApiHandlers({ helper, mode: 'web', version: '9.9.9' }), hub, {
    rendererDir: renderer,
    port: 0,
    openMetrics: async () => {
      const point = { t: Date.now(), cpuPercent: 12.5, rssBytes: 1024, diskReadBps: 0, diskWriteBps: 0, netRxBps: 0, netTxBps: 0 };
      return renderOpenMetrics({ host: point, vms: [{ name: 'web', point }], capsules: [] });
    },
  });
  await server.listen();
  port = Number(new URL(server.origin).port);
});

afterAll(async () => {
  await server.close();
  hub.dispose();
  helper.close();
  await rm(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}, to = port) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: to, path, headers: { Host: `127.0.0.1:${to}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** What the page offers: the API's subprotocol and the token as one more. */
const pageProtocols = (token = server.token) => webSocketProtocols(token, [WEB_API_PROTOCOL]);

function openSocket(headers: Record<string, string>, protocols: string[] = [], to = port): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${to}${WEB_SOCKET_PATH}`, protocols, { headers, handshakeTimeout: 3000 });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const openAsPage = (target = server) => openSocket({ Origin: target.origin }, pageProtocols(target.token), Number(new URL(target.origin).port));

function call(ws: WebSocket, id: number, method: string, params: unknown) {
  return new Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>((resolve) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string; id: number; envelope: never };
      if (msg.type === 'result' && msg.id === id) resolve(msg.envelope);
    });
    ws.send(JSON.stringify({ type: 'call', id, method, params }));
  });
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe('web mode HTTP', () => {
  it('listens on 127.0.0.1 only and prints a URL carrying the token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[A-Za-z0-9_-]{40,}$`));
  });

  it('serves the page code with or without the token, and never sets a cookie or CORS headers', async () => {
    for (const path of ['/', `/?token=${server.token}`, '/assets/app.js']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers['set-cookie'], path).toBeUndefined();
      expect(r.headers['access-control-allow-origin'], path).toBeUndefined();
      expect(r.headers['content-security-policy'], path).toContain("default-src 'self'");
    }
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get('/', { Host: `evil.example:${port}` })).status).toBe(421);
    expect((await get('/', { Host: `localhost:${port}` })).status).toBe(421);
  });

  it('never serves a file outside the renderer dir, through .. or a symlink', async () => {
    expect((await get('/../secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('/assets/escape.txt')).status).toBe(404);
  });
});

describe('web mode /metrics', () => {
  it('answers a scraper that sends the token as a Bearer header with OpenMetrics text', async () => {
    const r = await get('/metrics', { Authorization: `Bearer ${server.token}` });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(parseOpenMetrics(r.body).get('nova_vm_cpu_percent')?.samples).toEqual([{ name: 'nova_vm_cpu_percent', labels: { name: 'web' }, value: 12.5 }]);
  });

  it('is 401 without the token, with a wrong one, or with the token anywhere but the header', async () => {
    for (const [path, headers] of [
      ['/metrics', {}],
      ['/metrics', { Authorization: 'Bearer wrong' }],
      ['/metrics', { Authorization: server.token }],
      [`/metrics?token=${server.token}`, {}],
      ['/metrics', { Cookie: `token=${server.token}` }],
    ] as const) {
      const r = await get(path, headers);
      expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="nova"');
      expect(r.body).not.toContain('nova_');
    }
  });

  it('refuses a foreign Host even with the token', async () => {
    expect((await get('/metrics', { Host: `evil.example:${port}`, Authorization: `Bearer ${server.token}` })).status).toBe(421);
  });
});

describe('web mode WebSocket', () => {
  it('opens for the token offered as a subprotocol, selects the API protocol and never echoes the token', async () => {
    const ws = await openAsPage();
    expect(ws.protocol).toBe(WEB_API_PROTOCOL);
    expect(await call(ws, 1, 'app.info', {})).toMatchObject({ ok: true });
    ws.close();
  });

  it('refuses a socket without the token, with a wrong one, or with the token in a cookie only', async () => {
    await expect(openSocket({ Origin: server.origin }, [WEB_API_PROTOCOL])).rejects.toThrow('HTTP 403');
    await expect(openSocket({ Origin: server.origin }, pageProtocols('A'.repeat(server.token.length)))).rejects.toThrow('HTTP 403');
    // What a page on another port of 127.0.0.1 used to receive, replayed with a forged Origin.
    await expect(openSocket({ Origin: server.origin, Cookie: `nova_token=${server.token}` }, [WEB_API_PROTOCOL])).rejects.toThrow('HTTP 403');
  });

  it('refuses a socket from another origin even with the token', async () => {
    await expect(openSocket({ Origin: 'http://evil.example' }, pageProtocols())).rejects.toThrow('HTTP 403');
    await expect(openSocket({ Origin: `http://127.0.0.1:${port + 1}` }, pageProtocols())).rejects.toThrow('HTTP 403');
  });

  it('serves NovaApi calls as envelopes, with codes for bad calls', async () => {
    const ws = await openAsPage();
    const info = await call(ws, 1, 'app.info', {});
    expect(info).toMatchObject({ ok: true, value: { version: '9.9.9', mode: 'web', helper: { connected: false } } });
    expect((await call(ws, 2, 'no.such', {})).error?.code).toBe('unknown_method');
    expect((await call(ws, 3, 'host.check', { refresh: 'x' })).error?.code).toBe('invalid_argument');
    expect((await call(ws, 4, 'host.check', {})).error?.code).toBe('unavailable');
    ws.close();
  });

  it('pushes events only to pages that subscribed', async () => {
    const subscribed = await openAsPage();
    const silent = await openAsPage();
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

  it('keeps two servers side by side: each token opens its own server only', async () => {
    const second = new WebServer(new NovaApiHandlers({ helper, mode: 'web', version: '9.9.9' }), hub, { rendererDir: renderer, port: 0 });
    await second.listen();
    try {
      const secondPort = Number(new URL(second.origin).port);
      const [a, b] = await Promise.all([openAsPage(server), openAsPage(second)]);
      expect(await call(a, 1, 'app.info', {})).toMatchObject({ ok: true });
      expect(await call(b, 1, 'app.info', {})).toMatchObject({ ok: true });
      a.close();
      b.close();
      await expect(openSocket({ Origin: second.origin }, pageProtocols(server.token), secondPort)).rejects.toThrow('HTTP 403');
    } finally {
      await second.close();
    }
  });
});

describe('web mode WebSocket frames', () => {
  it('closes only the socket that sends a frame over the limit or invalid UTF-8, and keeps serving', async () => {
    // The frame of the report: 1.2 MB of text (not JSON, so refused as malformed now).
    const report = await openAsPage();
    const reportClosed = closeCode(report);
    report.on('error', () => undefined);
    report.send('x'.repeat(1_200_000));
    expect(await reportClosed).not.toBe(1000);

    const big = await openAsPage();
    const bigClosed = closeCode(big);
    big.on('error', () => undefined);
    big.send('x'.repeat(WEB_MAX_MESSAGE_BYTES + 1));
    expect(await bigClosed).toBe(1009);

    const garbled = await openAsPage();
    const garbledClosed = closeCode(garbled);
    garbled.on('error', () => undefined);
    garbled.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await garbledClosed).toBe(1007);

    const after = await openAsPage();
    expect(await call(after, 1, 'app.info', {})).toMatchObject({ ok: true });
    after.close();
  });

  it('takes the largest request the schemas accept (a NovaFile of the maximum length)', async () => {
    const ws = await openAsPage();
    // Three bytes each in UTF-8: the worst case of text without control characters.
    const text = `# ${'€'.repeat(NOVAFILE_TEXT_MAX_CHARS - 2)}`;
    expect(await call(ws, 1, 'novafile.validate', { text })).toMatchObject({ ok: true });
    // Six bytes each once in JSON (\u0001): the worst case of all.
    expect(await call(ws, 2, 'novafile.validate', { text: '\u0001'.repeat(NOVAFILE_TEXT_MAX_CHARS) })).toMatchObject({ ok: true });
    ws.close();
  });
});
