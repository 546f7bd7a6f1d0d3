// SPICE of a saved host's VM, as remote-viewer would reach it: two test hosts (network
// namespaces joined by a veth pair, the second with its own helper and real sshd), a TCG guest
// with a SPICE display on the second, and the relay opened from the first. A SPICE client's
// first message goes through the relay's local socket, the ssh channel and the remote
// `nova connect --console spice`, and the second host's QEMU answers with its own link reply
// ("REDQ", no error). When the client hangs up, that channel's ssh ends; closing the relay
// removes its socket.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRemoteConsole } from '../../src-main/core/hosts/remote-console.js';
import { openSpiceRelay, type SpiceRelay } from '../../src-main/core/hosts/spice-relay.js';
import { parseHostAddress, type SshHostAddress } from '../../src-shared/vocabulary/index.js';
import { commandOf, processesMatching } from './fixtures/frozen-child.js';
import { ensureTestGuest, type TestGuest } from './fixtures/guest-builder.js';
import { SshTestHosts, type NovaRun } from './fixtures/ssh-test-hosts.js';
import { waitFor } from './fixtures/wait-for.js';

const RUN = randomBytes(2).toString('hex');
const VM = `nv7u-spice-${RUN}`;
const LAYOUT = { prefix: 'nv7u', clientAddress: '10.217.9.1', serverAddress: '10.217.9.2', sshPort: 2249 };
/** SPICE's link magic, at the start of the client's first message and of the server's reply. */
const SPICE_MAGIC = 'REDQ';
const SPICE_MAIN_CHANNEL = 1;

let hosts: SshTestHosts;
let guest: TestGuest;
let relay: SpiceRelay | null = null;

beforeAll(async () => {
  guest = await ensureTestGuest();
  hosts = await SshTestHosts.start(dirname(dirname(guest.vmlinux)), LAYOUT);
  ok(await hosts.nova(['host', 'add', 'closet', hosts.url]));
  ok(await hosts.nova(['--host', 'closet', 'vm', 'create', VM, '--memory', '128Mi', '--accel', 'tcg', '--display', 'spice', '--kernel', guest.vmlinux, '--initrd', guest.initrdPlain, '--cmdline', guest.cmdline]));
  ok(await hosts.nova(['--host', 'closet', 'vm', 'start', VM], { timeoutMs: 120_000 }));
}, 300_000);

afterAll(async () => {
  await relay?.close();
  await hosts?.cleanup();
});

function ok(r: NovaRun): string {
  if (r.exitCode !== 0) throw new Error(`nova exited ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** A SPICE client's first message: the link header and a SpiceLinkMess for the main channel, no capabilities. */
function spiceLinkMessage(): Buffer {
  const mess = Buffer.alloc(18);
  mess.writeUInt32LE(0, 0); // connection id: a new session
  mess.writeUInt8(SPICE_MAIN_CHANNEL, 4);
  mess.writeUInt8(0, 5); // channel id
  mess.writeUInt32LE(0, 6); // common capabilities
  mess.writeUInt32LE(0, 10); // channel capabilities
  mess.writeUInt32LE(18, 14); // where the capabilities start
  const header = Buffer.alloc(16);
  header.write(SPICE_MAGIC, 0, 'latin1');
  header.writeUInt32LE(2, 4); // protocol 2.2
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(mess.length, 12);
  return Buffer.concat([header, mess]);
}

/** Reads until `bytes` have come (or the bound passes). */
function readAtLeast(socket: Socket, bytes: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${bytes} bytes within ${timeoutMs} ms: ${got.toString('latin1')}`)), timeoutMs);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= bytes) {
        clearTimeout(timer);
        resolve(got);
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`closed after ${got.length} bytes: ${got.toString('latin1')}`));
    });
  });
}

describe("a saved host's VM's SPICE display through the relay", () => {
  it('answers a SPICE client with its link reply, and the channel\'s ssh ends when the client hangs up', async () => {
    const parsed = parseHostAddress(hosts.url);
    if (!parsed.ok || parsed.value.kind !== 'ssh') throw new Error(`not an ssh address: ${hosts.url}`);
    const address: SshHostAddress = parsed.value;
    // The test runs outside the first host's namespace: its ssh runs inside it, as the app's would there.
    const ssh = join(hosts.dir, 'ssh-in-first-host');
    await writeFile(ssh, `#!/bin/sh\nexec ip netns exec ${hosts.clientNs} ssh "$@"\n`, { mode: 0o755 });
    relay = await openSpiceRelay(() => openRemoteConsole(address, { batch: true, connectTimeoutS: 10, configFile: hosts.sshConfig, program: ssh }, 'spice', VM), hosts.dir);
    expect(relay.uri).toBe(`spice+unix://${relay.socketPath}`);

    const client = createConnection(relay.socketPath);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    const t0 = Date.now();
    client.write(spiceLinkMessage());
    // The reply: its header (magic, version, size), then SpiceLinkReply whose first field is the error.
    const reply = await readAtLeast(client, 20, 30_000);
    console.log(`SPICE link reply through ssh in ${Date.now() - t0} ms: ${reply.length} bytes`);
    expect(reply.subarray(0, 4).toString('latin1')).toBe(SPICE_MAGIC);
    expect(reply.readUInt32LE(4)).toBe(2);
    expect(reply.readUInt32LE(16)).toBe(0);

    const channelSsh = commandOf('ssh', '--console', 'spice', VM);
    expect(await processesMatching(channelSsh)).toHaveLength(1);
    client.end();
    await waitFor(async () => ((await processesMatching(channelSsh)).length === 0 ? true : null), 15_000, "the channel's ssh to end after the client hung up");

    await relay.close();
    expect(existsSync(relay.socketPath)).toBe(false);
    expect(existsSync(dirname(relay.socketPath))).toBe(false);
    ok(await hosts.nova(['--host', 'closet', 'vm', 'stop', VM, '--force']));
  }, 120_000);
});
