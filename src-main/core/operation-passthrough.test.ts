// Operations cross main untouched: `operation.changed` events from the helper reach a
// web-mode page (and pass the preload's event check) as the helper sent them, and the
// page's operation.list/get/cancel reach the helper with their params and come back
// with its answer. The helper here is a small JSON-RPC server on a real unix socket.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encodeFrame, EVENT_NOTIFICATION, FrameDecoder, parseNovaEvent, WEB_API_PROTOCOL, WEB_SOCKET_PATH, webSocketProtocols } from '../../src-shared/index.js';
import { sampleOperation } from '../../src-shared/testing/sample-operation.js';
import { EventHub } from './event-hub.js';
import { HelperClient } from './helper-client.js';
import { NovaApiHandlers } from './nova-api-handlers.js';
import { WebServer } from './web-server.js';

const op = sampleOperation({ resource: { kind: 'image', name: 'nv8u-base' }, owner: { uid: 1000, pid: 4242 } }, { fraction: 0.42, bytesDone: 1024, bytesTotal: 4096 });

let dir = '';
let fakeHelper: Server;
const helperSockets = new Set<Socket>();
const received: Array<{ method: string; params: unknown }> = [];
let client: HelperClient;
let hub: EventHub;
let server: WebServer;
let ws: WebSocket;
const pageMessages: Array<{ type: string; id?: number; event?: unknown; envelope?: unknown }> = [];

function answer(method: string): unknown {
  if (method === 'events.subscribe') return { subscribed: true };
  if (method === 'operation.list') return { operations: [op] };
  if (method === 'operation.cancel') return { ...op, cancelRequested: true };
  return op;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv8u-pass-'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer/index.html'), '<!doctype html><title>Nova</title>');
  const socketPath = join(dir, 'helper.sock');
  fakeHelper = createServer((socket) => {
    helperSockets.add(socket);
    socket.on('close', () => helperSockets.delete(socket));
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.kind !== 'frame') continue;
        const request = JSON.parse(frame.text) as { id: number; method: string; params: unknown };
        received.push({ method: request.method, params: request.params });
        socket.write(encodeFrame({ jsonrpc: '2.0', id: request.id, result: answer(request.method) }));
      }
    });
  });
  await new Promise<void>((resolve) => fakeHelper.listen(socketPath, resolve));
  client = new HelperClient({ socketPath, reconnect: false, connectWaitMs: 2000 });
  client.start();
  await client.waitForConnection();
  hub = new EventHub(client);
  server = new WebServer(new NovaApiHandlers({ helper: client, mode: 'web', version: '9.9.9' }), hub, { rendererDir: join(dir, 'renderer'), port: 0 });
  await server.listen();
  ws = new WebSocket(`${server.origin.replace(/^http/, 'ws')}${WEB_SOCKET_PATH}`, webSocketProtocols(server.token, [WEB_API_PROTOCOL]), {
    headers: { Origin: server.origin },
    handshakeTimeout: 3000,
  });
  ws.on('message', (data) => pageMessages.push(JSON.parse(String(data)) as (typeof pageMessages)[number]));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
});

afterAll(async () => {
  ws?.close();
  await server?.close();
  hub?.dispose();
  client?.close();
  for (const s of helperSockets) s.destroy();
  await new Promise((resolve) => (fakeHelper ? fakeHelper.close(resolve) : resolve(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function callFromPage(id: number, method: string, params: unknown): Promise<unknown> {
  ws.send(JSON.stringify({ type: 'call', id, method, params }));
  const message = await waitFor(() => pageMessages.find((m) => m.type === 'result' && m.id === id), `the answer to ${method}`);
  return message.envelope;
}

describe('operations through main', () => {
  it("delivers the helper's operation.changed to the page as sent, and the preload accepts it unchanged", async () => {
    const changed = { ...op, progress: { ...op.progress, fraction: 0.5 } };
    expect(await callFromPage(100, 'events.subscribe', {})).toEqual({ ok: true, value: { subscribed: true } });
    expect(received.map((r) => r.method)).toEqual(['events.subscribe']);
    for (const s of helperSockets) s.write(encodeFrame({ jsonrpc: '2.0', method: EVENT_NOTIFICATION, params: { name: 'operation.changed', payload: changed } }));
    const message = await waitFor(() => pageMessages.find((m) => m.type === 'event' && (m.event as { name: string }).name === 'operation.changed'), 'the event');
    expect(message.event).toEqual({ name: 'operation.changed', payload: changed });
    expect(parseNovaEvent(message.event)).toEqual({ name: 'operation.changed', payload: changed });
  });

  it('forwards operation.list, get and cancel with their params and returns the helper\'s answers', async () => {
    received.length = 0;
    expect(await callFromPage(1, 'operation.list', { state: 'running', resource: { kind: 'image', name: 'nv8u-base' } })).toEqual({ ok: true, value: { operations: [op] } });
    expect(await callFromPage(2, 'operation.get', { id: op.id })).toEqual({ ok: true, value: op });
    expect(await callFromPage(3, 'operation.cancel', { id: op.id })).toEqual({ ok: true, value: { ...op, cancelRequested: true } });
    expect(received).toEqual([
      { method: 'operation.list', params: { state: 'running', resource: { kind: 'image', name: 'nv8u-base' } } },
      { method: 'operation.get', params: { id: op.id } },
      { method: 'operation.cancel', params: { id: op.id } },
    ]);
  });

  it('refuses a malformed id in main, before the helper hears of it', async () => {
    received.length = 0;
    const envelope = await callFromPage(4, 'operation.cancel', { id: '../etc' });
    expect(envelope).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    expect(received).toEqual([]);
  });
});
