// The QMP client against a fake QMP server on a unix socket: negotiation, ids,
// errors, timeouts, events, jobs and the synthetic SHUTDOWN on disconnect.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { expectQemuPeer } from './qemu-process.js';
import { QmpClient, type QmpEvent } from './qmp-client.js';

type Reply = (cmd: { execute: string; arguments?: Record<string, unknown>; id?: string }, sock: Socket) => void;

let dir: string;
let server: Server;
let received: Array<{ execute: string; arguments?: Record<string, unknown>; id?: string }>;
let handler: Reply;
let sockets: Socket[];

const send = (sock: Socket, msg: unknown) => sock.write(JSON.stringify(msg) + '\n');
const event = (name: string, data: Record<string, unknown> = {}) => ({
  event: name,
  data,
  timestamp: { seconds: 1, microseconds: 2 },
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv3-qmp-'));
  received = [];
  sockets = [];
  handler = (cmd, sock) => send(sock, { return: {}, id: cmd.id });
  server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => undefined); // a client that hangs up unread resets the connection
    send(sock, { QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: ['oob'] } });
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const cmd = JSON.parse(buf.slice(0, nl)) as { execute: string; id?: string };
        buf = buf.slice(nl + 1);
        received.push(cmd);
        handler(cmd, sock);
      }
    });
  });
  await new Promise<void>((r) => server.listen(join(dir, 'qmp.sock'), r));
});

afterEach(async () => {
  sockets.forEach((s) => s.destroy());
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

describe('QmpClient', () => {
  it('negotiates capabilities before anything else, and tags each command with an id', async () => {
    handler = (cmd, sock) => {
      if (cmd.execute === 'query-status') send(sock, { return: { status: 'running', running: true }, id: cmd.id });
      else send(sock, { return: {}, id: cmd.id });
    };
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    expect(await qmp.queryStatus()).toEqual({ status: 'running', running: true });
    expect(received.map((c) => c.execute)).toEqual(['qmp_capabilities', 'query-status']);
    expect(new Set(received.map((c) => c.id)).size).toBe(2);
    qmp.close();
  });

  it('matches answers to commands by id even out of order', async () => {
    const held: Array<{ id?: string; execute: string }> = [];
    handler = (cmd, sock) => {
      if (cmd.execute === 'qmp_capabilities') return send(sock, { return: {}, id: cmd.id });
      held.push(cmd);
      if (held.length === 2) {
        send(sock, { return: 'second', id: held[1]!.id });
        send(sock, { return: 'first', id: held[0]!.id });
      }
    };
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    const [a, b] = await Promise.all([qmp.execute('a'), qmp.execute('b')]);
    expect([a, b]).toEqual(['first', 'second']);
    qmp.close();
  });

  it('turns a QMP error into a NovaError with QEMU\'s description', async () => {
    handler = (cmd, sock) =>
      cmd.execute === 'cont'
        ? send(sock, { error: { class: 'GenericError', desc: 'guest is dead' }, id: cmd.id })
        : send(sock, { return: {}, id: cmd.id });
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    await expect(qmp.cont()).rejects.toMatchObject({ code: 'failed_precondition', message: 'QMP cont: guest is dead' });
    qmp.close();
  });

  it('times out one command without breaking the connection', async () => {
    handler = (cmd, sock) => {
      if (cmd.execute !== 'slow') send(sock, { return: {}, id: cmd.id });
    };
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    const err = await qmp.execute('slow', {}, 50).catch((e: unknown) => e);
    expect(isNovaError(err, 'timeout')).toBe(true);
    await expect(qmp.execute('fast')).resolves.toEqual({});
    qmp.close();
  });

  it('fails with a timeout when the server never greets', async () => {
    await new Promise<void>((r) => server.close(() => r()));
    server = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => server.listen(join(dir, 'mute.sock'), r));
    const err = await QmpClient.connect(join(dir, 'mute.sock'), { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(isNovaError(err, 'timeout')).toBe(true);
  });

  it('fails connect with a timeout naming qmp_capabilities when the monitor greets and then says nothing', async () => {
    handler = () => undefined;
    const t0 = Date.now();
    await expect(QmpClient.connect(join(dir, 'qmp.sock'), { timeoutMs: 150, label: 'VM web1' })).rejects.toMatchObject({
      code: 'timeout',
      message: 'VM web1: QMP qmp_capabilities did not answer within 150 ms',
    });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("bounds every command of a monitor gone silent by the connection's deadline, naming the VM and the command", async () => {
    handler = (cmd, sock) => cmd.execute === 'qmp_capabilities' && send(sock, { return: {}, id: cmd.id });
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'), { timeoutMs: 150, label: 'VM web1' });
    await expect(qmp.stop()).rejects.toMatchObject({ code: 'timeout', message: 'VM web1: QMP stop did not answer within 150 ms', details: { qmpCommand: 'stop' } });
    await expect(qmp.queryBlockstats()).rejects.toMatchObject({ code: 'timeout', message: expect.stringContaining('query-blockstats') });
    qmp.close();
  });

  it('reports a missing socket as unavailable', async () => {
    const err = await QmpClient.connect(join(dir, 'none.sock')).catch((e: unknown) => e);
    expect(isNovaError(err, 'unavailable')).toBe(true);
  });

  it("says nothing to a socket whose listener is not the VM's QEMU", async () => {
    const path = join(dir, 'qmp.sock');
    // The fake server runs in this process: its listener's pid is ours.
    const wrong = QmpClient.connect(path, { timeoutMs: 1_000, label: 'VM web1', verifyPeer: expectQemuPeer(process.pid + 1) });
    await expect(wrong).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/^VM web1: the QMP socket is held by pid \d+, not by the VM's QEMU/) });
    expect(received).toEqual([]);
    const right = await QmpClient.connect(path, { timeoutMs: 1_000, verifyPeer: expectQemuPeer(process.pid) });
    expect(received.map((c) => c.execute)).toEqual(['qmp_capabilities']);
    right.close();
  });

  it('delivers asynchronous events', async () => {
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    const seen: string[] = [];
    qmp.onEvent((e) => seen.push(e.event));
    send(sockets[0]!, event('STOP'));
    send(sockets[0]!, event('RESUME'));
    await expect.poll(() => seen).toEqual(['STOP', 'RESUME']);
    qmp.close();
  });

  it('makes up a SHUTDOWN when the socket drops without one, and fails pending commands', async () => {
    handler = (cmd, sock) => {
      if (cmd.execute === 'qmp_capabilities') send(sock, { return: {}, id: cmd.id });
    };
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    const events: QmpEvent[] = [];
    qmp.onEvent((e) => events.push(e));
    const pending = qmp.execute('query-status').catch((e: unknown) => e);
    sockets[0]!.destroy();
    const err = await pending;
    expect(isNovaError(err, 'unavailable')).toBe(true);
    await qmp.waitClosed();
    expect(events.map((e) => [e.event, e.synthetic])).toEqual([
      ['SHUTDOWN', true],
      ['DISCONNECTED', true],
    ]);
    expect(events[0]!.data).toEqual({ guest: false, reason: 'qmp-disconnected' });
  });

  it('does not make up a SHUTDOWN when QEMU sent a real one', async () => {
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    const events: string[] = [];
    qmp.onEvent((e) => events.push(e.event + (e.synthetic ? '*' : '')));
    send(sockets[0]!, event('SHUTDOWN', { guest: true, reason: 'guest-shutdown' }));
    await expect.poll(() => events).toEqual(['SHUTDOWN']);
    sockets[0]!.destroy();
    await qmp.waitClosed();
    expect(events).toEqual(['SHUTDOWN', 'DISCONNECTED*']);
  });

  it('treats quit as done when QEMU closes the socket before answering', async () => {
    handler = (cmd, sock) => (cmd.execute === 'quit' ? sock.destroy() : send(sock, { return: {}, id: cmd.id }));
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    await expect(qmp.quit()).resolves.toBeUndefined();
  });

  it('waits for a job to conclude, then dismisses it', async () => {
    handler = (cmd, sock) => {
      send(sock, { return: cmd.execute === 'query-jobs' ? [{ id: 'j1', type: 'snapshot-save', status: 'concluded', 'current-progress': 1, 'total-progress': 1 }] : {}, id: cmd.id });
      if (cmd.execute === 'snapshot-save') {
        setTimeout(() => {
          send(sock, event('JOB_STATUS_CHANGE', { id: 'j1', status: 'running' }));
          send(sock, event('JOB_STATUS_CHANGE', { id: 'j1', status: 'concluded' }));
        }, 20);
      }
    };
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    await qmp.snapshotSave('j1', 'snap', 'disk0', ['disk0']);
    expect(received.map((c) => c.execute)).toEqual(['qmp_capabilities', 'snapshot-save', 'query-jobs', 'job-dismiss']);
    expect(received[1]!.arguments).toEqual({ 'job-id': 'j1', tag: 'snap', vmstate: 'disk0', devices: ['disk0'] });
    qmp.close();
  });

  it('reports a failed job with its error', async () => {
    handler = (cmd, sock) => {
      const jobs = [{ id: 'j2', type: 'snapshot-load', status: 'concluded', 'current-progress': 0, 'total-progress': 1, error: "Snapshot 'x' does not exist" }];
      send(sock, { return: cmd.execute === 'query-jobs' ? jobs : {}, id: cmd.id });
      if (cmd.execute === 'snapshot-load') send(sock, event('JOB_STATUS_CHANGE', { id: 'j2', status: 'concluded' }));
    };
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    await expect(qmp.snapshotLoad('j2', 'x', 'disk0', ['disk0'])).rejects.toThrow(/does not exist/);
    qmp.close();
  });

  it('bounds a job that never concludes', async () => {
    handler = (cmd, sock) =>
      send(sock, { return: cmd.execute === 'query-jobs' ? [{ id: 'j3', type: 'snapshot-save', status: 'running', 'current-progress': 0, 'total-progress': 1 }] : {}, id: cmd.id });
    const qmp = await QmpClient.connect(join(dir, 'qmp.sock'));
    const err = await qmp.snapshotSave('j3', 's', 'disk0', ['disk0'], 100).catch((e: unknown) => e);
    expect(isNovaError(err, 'timeout')).toBe(true);
    qmp.close();
  });
});
