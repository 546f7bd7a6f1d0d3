// VMs and networks through the real helper, the way the app and the CLI reach them:
// over the socket, validated, authorized, with events. The helper runs inside a
// network namespace of its own so its bridges and nftables rules touch nothing else.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { NovaEvent } from '../../src-shared/index.js';
import { ensureTestGuest, type TestGuest } from './fixtures/guest-builder.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const NETNS = `nv2r${RUN}`;
const VM = `nv2r-${RUN}`;
const NET = `nv2rn${RUN}`;
let dir = '';
let helper: RunningHelper;
let client: HelperClient;
let guest: TestGuest;
const events: NovaEvent[] = [];

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await makeTestDir('nv2r');
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  helper = await startHelper(dir, { netns: NETNS, extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', '/var/cache/nova-test-guest'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.onEvent((e) => events.push(e));
  client.start();
  await client.waitForConnection();
}, 300_000);

afterAll(async () => {
  try {
    await client?.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    spawnSync('ip', ['netns', 'delete', NETNS]);
    await removeTestDir(dir);
  }
});

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('VMs through the helper', () => {
  it('creates, starts and watches a VM, with state events on the socket', async () => {
    const created = await client.call('vm.create', {
      name: VM,
      memory: '256Mi',
      kernel: guest.vmlinux,
      initrd: guest.initrdAcpi,
      cmdline: guest.cmdline,
      accel: 'tcg',
      display: 'vnc',
    });
    expect(created.state).toBe('stopped');
    const started = await client.call('vm.start', { name: VM });
    expect(started.state).toBe('running');
    await until(() => events.some((e) => e.name === 'vm.stateChanged' && e.payload.name === VM && e.payload.state === 'running'), 'vm.stateChanged running');
    const consoleInfo = await client.call('vm.consoleInfo', { name: VM });
    expect(consoleInfo.vnc?.websocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+/);
    expect(consoleInfo.vnc?.password).toMatch(/^.{8}$/);
  });

  it('lists the VM in the CLI, as JSON and as a table', () => {
    const json = cli('--json', 'vm', 'ls');
    expect(json.status).toBe(0);
    const listed = JSON.parse(json.stdout) as { vms: Array<{ definition: { name: string }; state: string }>; broken: unknown[] };
    expect(listed.vms.find((v) => v.definition.name === VM)?.state).toBe('running');
    expect(listed.broken).toEqual([]);
    const table = cli('vm', 'ls');
    expect(table.stdout).toContain(VM);
  });

  it('refuses bad input over the wire with its code intact', async () => {
    await expect(client.call('vm.create', { name: 'bad/name' })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(client.call('vm.start', { name: VM })).rejects.toMatchObject({ code: 'failed_precondition' });
    const r = cli('vm', 'rm', VM);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/running.*\[failed_precondition\]/);
  });

  it('stops and deletes it', async () => {
    await client.call('vm.stop', { name: VM, force: true });
    expect((await client.call('vm.get', { name: VM })).state).toBe('stopped');
    await client.call('vm.delete', { name: VM });
    await expect(client.call('vm.get', { name: VM })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('networks through the helper', () => {
  it('creates an internal network, reports it active with a network.changed event, and deletes it', async () => {
    const net = await client.call('network.create', { name: NET, profile: 'internal', subnet: '10.231.0.1/24', dhcpRange: { start: '10.231.0.100', end: '10.231.0.150' } });
    expect(net.name).toBe(NET);
    const listed = await client.call('network.list', {});
    expect(listed.networks.find((n) => n.name === NET)?.status.state).toBe('active');
    await until(() => events.some((e) => e.name === 'network.changed' && e.payload.name === NET), 'network.changed');
    const json = cli('--json', 'net', 'ls');
    expect(json.status).toBe(0);
    expect(json.stdout).toContain(NET);
    await client.call('network.delete', { name: NET });
    expect((await client.call('network.list', {})).networks.find((n) => n.name === NET)).toBeUndefined();
  });

  it('refuses an overlapping subnet with a clear error and leaves nothing behind', async () => {
    await client.call('network.create', { name: NET, profile: 'internal', subnet: '10.232.0.1/24' });
    await expect(client.call('network.create', { name: `${NET}b`, profile: 'internal', subnet: '10.232.0.129/25' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    const links = execFileSync('ip', ['-n', NETNS, '-o', 'link'], { encoding: 'utf8' });
    expect(links).not.toContain(`${NET}b`);
    await client.call('network.delete', { name: NET });
  });
});
