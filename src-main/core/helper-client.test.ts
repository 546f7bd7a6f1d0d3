// The client's side of the event subscription, against a small JSON-RPC server on a
// real unix socket that answers events.subscribe only when the test lets it.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrame, EVENT_NOTIFICATION, FrameDecoder, toJsonRpcError } from '../../src-shared/index.js';
import { HelperClient } from './helper-client.js';

interface Request {
  id: number;
  method: string;
}

let dir = '';
let server: Server;
let socketPath = '';
const sockets = new Set<Socket>();
let requests: Request[] = [];
/** How the fake helper answers events.subscribe: at once, refused, or when released. */
let subscribeMode: 'grant' | 'refuse' | 'hold' = 'grant';
let heldSubscribe: (() => void) | null = null;
const clients: HelperClient[] = [];

function reply(socket: Socket, request: Request): void {
  if (request.method === 'events.subscribe' && subscribeMode === 'refuse') {
    socket.write(encodeFrame({ jsonrpc: '2.0', id: request.id, error: toJsonRpcError({ code: 'not_authorized', message: 'polkit said no' }) }));
    return;
  }
  const result = request.method === 'events.subscribe' ? { subscribed: true } : { payload: 'pong' };
  socket.write(encodeFrame({ jsonrpc: '2.0', id: request.id, result }));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv12r-client-'));
  socketPath = join(dir, 'helper.sock');
  requests = [];
  subscribeMode = 'grant';
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.kind !== 'frame') continue;
        const request = JSON.parse(frame.text) as Request;
        requests.push(request);
        if (request.method === 'events.subscribe' && subscribeMode === 'hold') heldSubscribe = () => reply(socket, request);
        else reply(socket, request);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function client(reconnect = false): HelperClient {
  const c = new HelperClient({ socketPath, reconnect, connectWaitMs: 2_000, minBackoffMs: 10, maxBackoffMs: 20 });
  clients.push(c);
  c.start();
  return c;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const methods = () => requests.map((r) => r.method);

describe('HelperClient events', () => {
  it('asks for nothing until someone listens', async () => {
    const c = client();
    await c.call('helper.ping', { payload: 'x' });
    expect(methods()).toEqual(['helper.ping']);
  });

  it('subscribes with the first listener, and sends later calls only after the answer', async () => {
    subscribeMode = 'hold';
    const c = client();
    await c.waitForConnection();
    c.onEvent(() => undefined);
    c.onEvent(() => undefined);
    const ping = c.call('helper.ping', { payload: 'x' });
    await until(() => heldSubscribe !== null, 'the subscription request');
    await new Promise((r) => setTimeout(r, 20));
    expect(methods()).toEqual(['events.subscribe']);
    heldSubscribe?.();
    await ping;
    expect(methods()).toEqual(['events.subscribe', 'helper.ping']);
  });

  it('hands events to listeners once subscribed', async () => {
    const c = client();
    const seen: string[] = [];
    c.onEvent((e) => seen.push(e.name));
    await c.subscribeEvents();
    for (const s of sockets) s.write(encodeFrame({ jsonrpc: '2.0', method: EVENT_NOTIFICATION, params: { name: 'host.checked', payload: { generatedAt: 'now' } } }));
    await until(() => seen.length > 0, 'the event');
    expect(seen).toEqual(['host.checked']);
  });

  it('subscribes again on every reconnection', async () => {
    const c = client(true);
    c.onEvent(() => undefined);
    await until(() => methods().length === 1, 'the first subscription');
    for (const s of sockets) s.destroy();
    await until(() => methods().length === 2, 'the subscription after reconnecting');
    expect(methods()).toEqual(['events.subscribe', 'events.subscribe']);
  });

  it("rejects subscribeEvents with the helper's refusal, and calls still go through", async () => {
    subscribeMode = 'refuse';
    const c = client();
    c.onEvent(() => undefined);
    await expect(c.subscribeEvents()).rejects.toMatchObject({ code: 'not_authorized' });
    expect(await c.call('helper.ping', { payload: 'x' })).toEqual({ payload: 'pong' });
    // events.subscribe through call() is the client's own subscription, not a second one.
    await expect(c.call('events.subscribe', {})).rejects.toMatchObject({ code: 'not_authorized' });
  });

  it('names the reason when the helper refuses the connection itself', async () => {
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const error = toJsonRpcError({ code: 'unavailable', message: 'The helper refused this connection: uid 65534 already holds 32 connections' });
      socket.end(encodeFrame({ jsonrpc: '2.0', id: null, error }));
    });
    const c = client();
    await expect(c.call('helper.ping', { payload: 'x' })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('already holds 32 connections'),
    });
  });
});
