// The terminal socket's rules with a fake pty: one client only, owner-only mode, output kept
// until the client comes, resize and exit frames, and removal when nobody connects in time.
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeTerminalData, encodeTerminalResize, TerminalFrameDecoder, type TerminalFrame } from '../../../src-shared/terminal-protocol.js';
import { silentLogger } from '../util/logger.js';
import type { TerminalSession } from './capsule-terminals.js';
import { TerminalServer } from './terminal-server.js';

class FakeSession implements TerminalSession {
  readonly id = 'fake-1';
  written: string[] = [];
  sizes: Array<[number, number]> = [];
  closed = false;
  private dataListeners: Array<(d: string) => void> = [];
  private exitListeners: Array<(c: number) => void> = [];
  onData(l: (d: string) => void) {
    this.dataListeners.push(l);
  }
  onExit(l: (c: number) => void) {
    this.exitListeners.push(l);
  }
  write(d: string) {
    this.written.push(d);
  }
  resize(c: number, r: number) {
    this.sizes.push([c, r]);
  }
  close() {
    this.closed = true;
  }
  emit(d: string) {
    for (const l of this.dataListeners) l(d);
  }
  exit(code: number) {
    for (const l of this.exitListeners) l(code);
  }
}

let dir = '';
const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv5-term-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function connect(path: string): Promise<{ socket: Socket; frames: TerminalFrame[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const frames: TerminalFrame[] = [];
    const decoder = new TerminalFrameDecoder();
    socket.on('data', (c: Buffer) => frames.push(...decoder.push(c)));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.once('connect', () => resolve({ socket, frames, closed }));
    socket.once('error', reject);
  });
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('TerminalServer', () => {
  it('serves one client on an owner-only socket, with output kept until it comes', async () => {
    const server = new TerminalServer({ dir: join(dir, 'terminals'), logger: silentLogger(), peerUid: async () => owner.uid });
    const session = new FakeSession();
    const path = await server.serve(session, owner);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'terminals')).mode & 0o777).toBe(0o711);
    session.emit('prompt$ ');
    const c = await connect(path);
    await until(() => !existsSync(path));
    await expect(connect(path)).rejects.toThrow();
    for (const f of encodeTerminalData('ls\r')) c.socket.write(f);
    c.socket.write(encodeTerminalResize(132, 43));
    await until(() => session.written.join('') === 'ls\r' && session.sizes.length === 1);
    expect(session.sizes).toEqual([[132, 43]]);
    session.emit('a.txt\r\n');
    session.exit(7);
    await c.closed;
    const text = c.frames.flatMap((f) => (f.type === 'data' ? [Buffer.from(f.data).toString()] : [])).join('');
    expect(text).toBe('prompt$ a.txt\r\n');
    expect(c.frames.at(-1)).toEqual({ type: 'exit', exitCode: 7 });
    expect(session.closed).toBe(true);
  });

  it('refuses a client of another uid and ends the session', async () => {
    // Neither the owner nor root: as if another user had reached the socket.
    const server = new TerminalServer({ dir, logger: silentLogger(), peerUid: async () => owner.uid + 4242 });
    const session = new FakeSession();
    const c = await connect(await server.serve(session, owner));
    await c.closed;
    expect(c.frames).toEqual([]);
    expect(session.closed).toBe(true);
  });

  it('removes the socket and ends the session when nobody connects in time', async () => {
    const server = new TerminalServer({ dir, logger: silentLogger(), connectWithinMs: 100 });
    const session = new FakeSession();
    const path = await server.serve(session, owner);
    expect(existsSync(path)).toBe(true);
    await until(() => session.closed && !existsSync(path));
  });
});
