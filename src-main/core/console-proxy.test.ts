import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NovaError } from '../../src-shared/errors.js';
import { encodeTerminalResize } from '../../src-shared/terminal-protocol.js';
import { webSocketProtocols } from '../../src-shared/wire/web-protocol.js';
import type { VmConsoleInfo } from '../../src-shared/vm.js';
import { ConsoleProxy, ConsoleProxyServer, parseConsolePath } from './console-proxy.js';
import { EventHub } from './event-hub.js';
import { HelperClient } from './helper-client.js';
import { NovaApiHandlers } from './nova-api-handlers.js';
import { WebServer } from './web-server.js';

let dir = '';
let web: WebServer;
let hub: EventHub;
let helper: HelperClient;
let proxy: ConsoleProxy;
const upstreams: Server[] = [];
const received: Record<string, Buffer[]> = { vnc: [], serial: [] };
/** What the proxy asked of the remote opener: [host, kind, vm]. */
const remoteAsked: string[][] = [];

/** A unix socket that greets with its kind and records what it receives. */
async function fakeUpstream(path: string, kind: 'vnc' | 'serial'): Promise<void> {
  const server = createServer((sock) => {
    sock.write(kind === 'vnc' ? 'RFB 003.008\n' : 'nova-guest# ');
    sock.on('data', (d: Buffer) => received[kind]!.push(d));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  upstreams.push(server);
}

function info(name: string): VmConsoleInfo {
  return {
    serialSocket: join(dir, `${name}-serial.sock`),
    serialLog: join(dir, `${name}-serial.log`),
    vnc: name === 'nv3u-novnc' ? null : { socket: join(dir, `${name}-vnc.sock`), websocketUrl: 'ws://127.0.0.1:1', password: 'pw' },
    spice: null,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv3u-console-'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer/index.html'), '<!doctype html>');
  await writeFile(join(dir, 'nv3u-vm-serial.log'), 'booted earlier\r\n');
  await fakeUpstream(join(dir, 'nv3u-vm-vnc.sock'), 'vnc');
  await fakeUpstream(join(dir, 'nv3u-vm-serial.sock'), 'serial');
  proxy = new ConsoleProxy({
    consoleInfo: async (name) => {
      if (name === 'nv3u-missing') throw new NovaError('not_found', `VM ${name} does not exist`);
      return info(name);
    },
    // A saved host's console, here a fake socket standing in for the ssh channel.
    openRemote: async (host, kind, name) => {
      remoteAsked.push([host, kind, name]);
      return createConnection(join(dir, kind === 'terminal' ? 'nv3u-vm-serial.sock' : 'nv3u-vm-vnc.sock'));
    },
  });
  helper = new HelperClient({ socketPath: join(dir, 'nothing.sock'), reconnect: false, connectWaitMs: 100 });
  hub = new EventHub(helper);
  web = new WebServer(new NovaApiHandlers({ helper, mode: 'web', version: '0' }), hub, {
    rendererDir: join(dir, 'renderer'),
    port: 0,
    consoles: proxy,
  });
  await web.listen();
});

afterAll(async () => {
  proxy.close();
  await web.close();
  hub.dispose();
  helper.close();
  for (const s of upstreams) s.close();
  await rm(dir, { recursive: true, force: true });
});

type Opened = { ws: WebSocket; first: Promise<Buffer> };

function open(url: string, headers: Record<string, string>, protocols: string[] = ['binary']): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers, handshakeTimeout: 3000 });
    const first = new Promise<Buffer>((r) => ws.once('message', (d: Buffer) => r(d)));
    ws.once('open', () => resolve({ ws, first }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const trusted = () => ({ Origin: web.origin });
/** What the console pages offer in web mode: their protocol, then the token. */
const withToken = (token = web.token) => webSocketProtocols(token, ['binary']);
const wsUrl = (path: string) => `${web.origin.replace('http', 'ws')}${path}`;

describe('parseConsolePath', () => {
  it('accepts vnc and serial paths with a valid VM name only', () => {
    expect(parseConsolePath('/nova-console/vnc/web1')).toEqual({ kind: 'vnc', name: 'web1' });
    expect(parseConsolePath('/nova-console/serial/a-b')).toEqual({ kind: 'serial', name: 'a-b' });
    for (const bad of ['/nova-console/spice/web1', '/nova-console/vnc/..', '/nova-console/vnc/a/b', '/nova-console/vnc/', '/nova-ws', '/nova-console/vnc/Bad Name']) {
      expect(parseConsolePath(bad), bad).toBeNull();
    }
  });
});

describe('console proxy in web mode', () => {
  it('relays the VNC unix socket both ways in binary frames, with the binary subprotocol', async () => {
    const { ws, first } = await open(wsUrl('/nova-console/vnc/nv3u-vm'), trusted(), withToken());
    expect(ws.protocol).toBe('binary');
    expect((await first).toString()).toBe('RFB 003.008\n');
    ws.send(Buffer.from('RFB 003.008\n'));
    await expect.poll(() => Buffer.concat(received.vnc!).toString()).toBe('RFB 003.008\n');
    ws.close();
  });

  it('replays the serial log tail first, then relays the serial socket', async () => {
    const { ws, first } = await open(wsUrl('/nova-console/serial/nv3u-vm'), trusted(), withToken());
    expect((await first).toString()).toBe('booted earlier\r\n');
    ws.send(Buffer.from('echo hi\r'));
    await expect.poll(() => Buffer.concat(received.serial!).toString()).toBe('echo hi\r');
    ws.close();
  });

  it("carries a saved host's console through the remote opener, and refuses a bad host name", async () => {
    const { ws, first } = await open(wsUrl('/nova-console/vnc/nv3u-vm?host=nv6u-closet'), trusted(), withToken());
    expect((await first).toString()).toBe('RFB 003.008\n');
    expect(remoteAsked).toEqual([['nv6u-closet', 'vnc', 'nv3u-vm']]);
    ws.close();
    await expect(open(wsUrl('/nova-console/vnc/nv3u-vm?host=Bad%2FName'), trusted(), withToken())).rejects.toThrow('HTTP 404');
    expect(remoteAsked).toHaveLength(1);
  });

  it("opens a saved host's capsule shell through the remote opener, at the page's size first", async () => {
    received.serial!.length = 0;
    const { ws, first } = await open(wsUrl('/nova-console/terminal/nv3u-c?host=nv6u-closet&cols=100&rows=30'), trusted(), withToken());
    expect((await first).toString()).toBe('nova-guest# ');
    expect(remoteAsked.at(-1)).toEqual(['nv6u-closet', 'terminal', 'nv3u-c']);
    await expect.poll(() => Buffer.concat(received.serial!).equals(Buffer.from(encodeTerminalResize(100, 30)))).toBe(true);
    ws.close();
  });

  it('refuses upgrades without the token, from another origin or for another host', async () => {
    const url = wsUrl('/nova-console/vnc/nv3u-vm');
    await expect(open(url, { Origin: web.origin })).rejects.toThrow('HTTP 403');
    await expect(open(url, { Origin: web.origin, Cookie: `nova_token=${web.token}` })).rejects.toThrow('HTTP 403');
    await expect(open(url, { Origin: web.origin }, withToken('wrong-token'))).rejects.toThrow('HTTP 403');
    await expect(open(url, { Origin: 'http://evil.example' }, withToken())).rejects.toThrow('HTTP 403');
    await expect(open(url, { ...trusted(), Host: 'nova.example:80' }, withToken())).rejects.toThrow('HTTP 403');
  });

  it('closes only a console socket that sends text with invalid UTF-8, and keeps relaying', async () => {
    const { ws } = await open(wsUrl('/nova-console/vnc/nv3u-vm'), trusted(), withToken());
    ws.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(Buffer.from([0xff, 0xfe]), { binary: false });
    expect(await closed).toBe(1007);
    const again = await open(wsUrl('/nova-console/vnc/nv3u-vm'), trusted(), withToken());
    expect((await again.first).toString()).toBe('RFB 003.008\n');
    again.ws.close();
  });

  it('says 404 for unknown VMs and bad paths, 409 without a display, 502 when nothing listens', async () => {
    await expect(open(wsUrl('/nova-console/vnc/nv3u-missing'), trusted(), withToken())).rejects.toThrow('HTTP 404');
    await expect(open(wsUrl('/nova-console/tty/nv3u-vm'), trusted(), withToken())).rejects.toThrow('HTTP 404');
    await expect(open(wsUrl('/nova-console/vnc/nv3u-novnc'), trusted(), withToken())).rejects.toThrow('HTTP 409');
    await expect(open(wsUrl('/nova-console/serial/nv3u-stopped'), trusted(), withToken())).rejects.toThrow('HTTP 502');
  });
});

describe('ConsoleProxyServer (Electron)', () => {
  it('needs the token in the URL and the app origin', async () => {
    const server = new ConsoleProxyServer(proxy, { allowedOrigin: 'nova://app', token: 'nv3u-token' });
    const base = await server.listen();
    try {
      const { ws, first } = await open(`${base}/nova-console/vnc/nv3u-vm?token=nv3u-token`, { Origin: 'nova://app' });
      expect((await first).toString()).toBe('RFB 003.008\n');
      ws.close();
      await expect(open(`${base}/nova-console/vnc/nv3u-vm?token=wrong-token`, { Origin: 'nova://app' })).rejects.toThrow('HTTP 403');
      await expect(open(`${base}/nova-console/vnc/nv3u-vm?token=nv3u-token`, { Origin: 'http://127.0.0.1' })).rejects.toThrow('HTTP 403');
      await expect(open(`${base}/nova-ws?token=nv3u-token`, { Origin: 'nova://app' })).rejects.toThrow('HTTP 403');
    } finally {
      await server.close();
    }
  });
});
