// The guest agent client against a unix socket served by the test in place of QEMU's
// channel (the busybox test guest cannot run qemu-ga): the agent's own answers, a stale
// half answer left in the channel, an agent that never answers, and a refusal.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuestAgentClient } from './guest-agent-client.js';

type Agent = (command: { execute: string; arguments?: Record<string, unknown> }, socket: Socket) => void;

let dir: string;
let server: Server | null = null;
const received: string[] = [];

async function serve(agent: Agent, greeting = ''): Promise<string> {
  const path = join(dir, 'qga.sock');
  server = createServer((socket) => {
    if (greeting) socket.write(greeting);
    let buf = '';
    socket.on('data', (chunk) => {
      buf += chunk.toString();
      for (let at = buf.indexOf('\n'); at !== -1; at = buf.indexOf('\n')) {
        const command = JSON.parse(buf.slice(0, at)) as { execute: string; arguments?: Record<string, unknown> };
        buf = buf.slice(at + 1);
        received.push(command.execute);
        agent(command, socket);
      }
    });
  });
  await new Promise<void>((r) => server!.listen(path, r));
  return path;
}

/** qemu-ga's answers as it gives them, the sync with its 0xFF marker first. */
const realAgent: Agent = (c, s) => {
  if (c.execute === 'guest-sync-delimited') s.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(`{"return": ${String(c.arguments?.id)}}\n`)]));
  else if (c.execute === 'guest-ping') s.write('{"return": {}}\n');
  else if (c.execute === 'guest-network-get-interfaces') {
    s.write(
      JSON.stringify({
        return: [
          { name: 'lo', 'hardware-address': '00:00:00:00:00:00', 'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 }] },
          { name: 'eth0', 'hardware-address': '52:54:00:12:34:56', 'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '10.77.0.23', prefix: 24 }, { 'ip-address-type': 'ipv6', 'ip-address': 'fe80::5054:ff:fe12:3456', prefix: 64 }] },
        ],
      }) + '\n',
    );
  } else if (c.execute === 'guest-fsfreeze-freeze') s.write('{"return": 2}\n');
  else if (c.execute === 'guest-fsfreeze-thaw') s.write('{"return": 2}\n');
  else if (c.execute === 'guest-shutdown') s.end();
  else s.write(`{"error": {"class": "CommandNotFound", "desc": "The command ${c.execute} has not been found"}}\n`);
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv11n-qga-'));
  received.length = 0;
});

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
  await rm(dir, { recursive: true, force: true });
});

describe('GuestAgentClient', () => {
  it("pings, reads the guest's addresses without loopback, and freezes and thaws", async () => {
    const agent = new GuestAgentClient(await serve(realAgent));
    expect(await agent.ping()).toBe(true);
    expect(await agent.interfaces()).toEqual([{ name: 'eth0', mac: '52:54:00:12:34:56', addresses: ['10.77.0.23/24', 'fe80::5054:ff:fe12:3456/64'] }]);
    expect(await agent.freeze()).toBe(2);
    expect(await agent.thaw()).toBe(2);
    // Each command on its own connection, after a sync.
    expect(received).toEqual(['guest-sync-delimited', 'guest-ping', 'guest-sync-delimited', 'guest-network-get-interfaces', 'guest-sync-delimited', 'guest-fsfreeze-freeze', 'guest-sync-delimited', 'guest-fsfreeze-thaw']);
  });

  it('skips a half answer an earlier client left in the channel', async () => {
    const agent = new GuestAgentClient(await serve(realAgent, '{"return": [{"name": "et'));
    expect(await agent.ping()).toBe(true);
  });

  it('says no agent answers when the guest runs none, within the deadline', async () => {
    const agent = new GuestAgentClient(await serve(() => undefined), 300);
    const started = Date.now();
    expect(await agent.ping()).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(agent.interfaces()).rejects.toMatchObject({ code: 'timeout', message: 'the guest agent did not answer guest-sync-delimited within 300 ms' });
  });

  it("passes on the agent's refusal in words, and takes a shutdown's silence as done", async () => {
    const agent = new GuestAgentClient(await serve(realAgent));
    await expect(agent.execute('guest-exec')).rejects.toMatchObject({ code: 'failed_precondition', message: 'the guest agent refused guest-exec: The command guest-exec has not been found' });
    await expect(agent.shutdown()).resolves.toBeUndefined();
    expect(received.at(-1)).toBe('guest-shutdown');
  });

  it('says when the channel is not there (the VM has no agent channel or is not running)', async () => {
    await expect(new GuestAgentClient(join(dir, 'none.sock')).interfaces()).rejects.toMatchObject({ code: 'unavailable' });
  });
});
