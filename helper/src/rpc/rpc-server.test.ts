// The socket's bounds on a real unix socket in a temp dir, with the peer's identity
// given by the test: unread replies, connection caps, and events only to subscribers.
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { Caller } from '../auth/peer-credentials.js';
import { eventHandlers } from '../methods/event-methods.js';
import type { HelperHandlers } from '../methods/handler-table.js';
import { silentLogger } from '../util/logger.js';
import { MethodDispatcher } from './method-dispatcher.js';
import { RpcServer, type RpcServerOptions } from './rpc-server.js';

let dir = '';
let server: RpcServer | null = null;
const clients: Socket[] = [];
/** The uid the next connection is identified as. */
let nextUid = 0;
/** While set, non-root authorization waits for it: polkit is slow. */
let polkitSlow: Promise<void> | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv12r-rpc-'));
  nextUid = 0;
  polkitSlow = null;
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close(0);
  server = null;
  await rm(dir, { recursive: true, force: true });
});

async function serve(options: Partial<RpcServerOptions> = {}): Promise<string> {
  const socketPath = join(dir, 'helper.sock');
  // Root and uid 1000 may view; everyone else is refused, as polkit would.
  const authorizer: Authorizer = {
    async authorize(caller) {
      if (caller.uid !== 0 && polkitSlow) await polkitSlow;
      if (caller.uid !== 0 && caller.uid !== 1000) throw new NovaError('not_authorized', 'Not authorized');
    },
  };
  const handlers = { 'helper.ping': async ({ payload }: { payload: string }) => ({ payload }), ...eventHandlers() };
  server = new RpcServer(new MethodDispatcher(handlers as unknown as HelperHandlers, authorizer), silentLogger(), {
    socketPath,
    identify: async (): Promise<Caller> => ({ pid: process.pid, uid: nextUid, gid: nextUid, startTime: '1' }),
    ...options,
  });
  await server.listen();
  return socketPath;
}

interface Client {
  socket: Socket;
  lines: Array<Record<string, unknown>>;
  closed: Promise<void>;
}

async function connect(socketPath: string, uid: number): Promise<Client> {
  nextUid = uid;
  const socket = createConnection(socketPath);
  clients.push(socket);
  const lines: Array<Record<string, unknown>> = [];
  let buffer = '';
  socket.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      lines.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
      buffer = buffer.slice(nl + 1);
    }
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, lines, closed };
}

async function until(check: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ping = (id: number) => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'helper.ping', params: { payload: 'p' } })}\n`;

describe('RpcServer', () => {
  it('stops reading from a client that does not read its replies, then drops it', async () => {
    const socketPath = await serve({ backlog: { pauseAtBytes: 64 * 1024, dropAtBytes: 64 * 1024 * 1024, stallMs: 300 } });
    const reader = await connect(socketPath, 0);
    const c = await connect(socketPath, 65534);
    c.socket.pause();
    // Garbage frames: each is answered with a protocol error, far longer than the frame.
    let written = 0;
    const started = Date.now();
    while (written < 8 * 1024 * 1024 && !c.socket.destroyed) {
      const ok = c.socket.write('x\n'.repeat(4096));
      written += 8192;
      if (!ok) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closed, new Promise((r) => setTimeout(r, 50))]);
      if (Date.now() - started > 3_000) break;
    }
    await Promise.race([c.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the client was not dropped')), 3_000))]);
    // It was paused long before all of it was read, and the others are still served.
    expect(written).toBeLessThan(8 * 1024 * 1024);
    reader.socket.write(ping(1));
    await until(() => reader.lines.length === 1, "the other client's answer");
    expect(reader.lines[0]).toMatchObject({ id: 1, result: { payload: 'p' } });
  });

  it('refuses connections past a uid cap with a short reason, and still admits root', async () => {
    const socketPath = await serve({ caps: { total: 5, keptForRoot: 1, perUid: 2 } });
    const held = [await connect(socketPath, 65534), await connect(socketPath, 65534)];
    const third = await connect(socketPath, 65534);
    await third.closed;
    expect(third.lines).toEqual([expect.objectContaining({ id: null, error: expect.objectContaining({ message: expect.stringContaining('uid 65534 already holds 2') }) })]);
    const others = [await connect(socketPath, 1000), await connect(socketPath, 1001)];
    const overTotal = await connect(socketPath, 1002);
    await overTotal.closed;
    expect(overTotal.lines[0]).toMatchObject({ error: { message: expect.stringContaining('open to users') } });
    const root = await connect(socketPath, 0);
    root.socket.write(ping(7));
    await until(() => root.lines.length === 1, "root's answer");
    expect(root.lines[0]).toMatchObject({ id: 7, result: { payload: 'p' } });
    // A slot given back is a slot another connection of that uid may take.
    held[0]?.socket.destroy();
    await held[0]?.closed;
    await until(() => server?.connectionCount === 4, 'the server to see the close');
    const again = await connect(socketPath, 65534);
    again.socket.write(ping(8));
    await until(() => again.lines.length === 1, 'an answer on the new connection');
    expect(again.lines[0]).toMatchObject({ id: 8, error: { data: { code: 'not_authorized' } } });
    for (const o of others) o.socket.destroy();
  });

  it('sends events only to connections whose subscription was granted', async () => {
    const socketPath = await serve();
    const allowed = await connect(socketPath, 1000);
    const refused = await connect(socketPath, 65534);
    const silent = await connect(socketPath, 1000);
    for (const c of [allowed, refused]) c.socket.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'events.subscribe', params: {} })}\n`);
    silent.socket.write(ping(1));
    await until(() => [allowed, refused, silent].every((c) => c.lines.length === 1), 'every answer');
    expect(allowed.lines[0]).toMatchObject({ result: { subscribed: true } });
    expect(refused.lines[0]).toMatchObject({ error: { data: { code: 'not_authorized' } } });
    server?.broadcast({ name: 'host.checked', payload: { generatedAt: 'now' } });
    await until(() => allowed.lines.length === 2, 'the event');
    for (const c of [refused, silent]) c.socket.write(ping(2));
    await until(() => refused.lines.length === 2 && silent.lines.length === 2, 'the second answers');
    expect(allowed.lines[1]).toMatchObject({ method: 'nova.event', params: { name: 'host.checked' } });
    expect([...refused.lines, ...silent.lines].filter((l) => l.method !== undefined)).toEqual([]);
  });

  it("refuses a user's requests past its budget while polkit is slow, and still serves root", async () => {
    let answer!: () => void;
    polkitSlow = new Promise<void>((r) => (answer = r));
    const socketPath = await serve({ requestBudget: 64 * 1024 });
    const user = await connect(socketPath, 1000);
    // 30 kB each: past what a ping takes, but the budget counts them before anything is checked.
    const big = (id: number) => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'helper.ping', params: { payload: 'x'.repeat(30 * 1024) } })}\n`;
    user.socket.write(big(1) + big(2) + big(3));
    await until(() => user.lines.length === 1, 'the refusal of the third');
    expect(user.lines[0]).toMatchObject({ id: 3, error: { data: { code: 'unavailable' } } });
    const root = await connect(socketPath, 0);
    root.socket.write(ping(4));
    await until(() => root.lines.length === 1, "root's answer");
    expect(root.lines[0]).toMatchObject({ id: 4, result: { payload: 'p' } });
    answer();
    await until(() => user.lines.length === 3, 'the answers once polkit answered');
    // Answered requests gave their share back.
    user.socket.write(big(5));
    await until(() => user.lines.length === 4, 'an answer to a new request');
    expect(user.lines[3]).toMatchObject({ id: 5, error: { data: { code: 'invalid_argument' } } });
  });
});
