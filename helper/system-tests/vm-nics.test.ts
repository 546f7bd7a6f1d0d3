// A VM with several NICs, through the real helper in a test-host namespace of its own:
// a TCG guest with NICs on two Nova networks gets a DHCP lease on each (the net
// initramfs asks on every NIC and names it), vm.get shows each tap, MAC and address, a
// NIC added to a stopped VM gets its lease at the next start, a cable pulled live cuts
// that NIC alone, and stop gives every tap back.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { ensureTestGuest, GUEST_LEASE_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';
import { killPidsMentioning } from './network-harness.js';

const RUN = randomBytes(3).toString('hex');
const NETNS = `nv6n${RUN}`;
const LAN = `nv6nl${RUN}`;
const STORAGE = `nv6ns${RUN}`;
const TWO = `nv6n-two-${RUN}`;
const LATE = `nv6n-late-${RUN}`;
let dir = '';
let helper: RunningHelper;
let client: HelperClient;
let guest: TestGuest;

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await makeTestDir('nv6n');
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  helper = await startHelper(dir, { netns: NETNS, extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', '/var/cache/nova-test-guest'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
  await client.call('network.create', { name: LAN, profile: 'nat', subnet: '10.236.1.1/24', dhcpRange: { start: '10.236.1.100', end: '10.236.1.150' } });
  await client.call('network.create', { name: STORAGE, profile: 'nat', subnet: '10.236.2.1/24', dhcpRange: { start: '10.236.2.100', end: '10.236.2.150' } });
}, 600_000);

afterAll(async () => {
  try {
    for (const vm of [TWO, LATE]) await client?.call('vm.delete', { name: vm, force: true }).catch(() => undefined);
    for (const net of [LAN, STORAGE]) await client?.call('network.delete', { name: net }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    await killPidsMentioning(dir);
    spawnSync('ip', ['netns', 'delete', NETNS]);
    await removeTestDir(dir);
  }
});

const guestSpec = (name: string) => ({ name, memory: '256Mi', kernel: guest.vmlinux, initrd: guest.initrdNet, cmdline: guest.cmdline, accel: 'tcg' as const, display: 'none' as const });

/** The address the guest's DHCP client printed for `ifname`; polled until the line is whole. */
async function leaseOn(name: string, ifname: string, ms = 90_000): Promise<string> {
  const log = (await client.call('vm.consoleInfo', { name })).serialLog;
  const re = new RegExp(`${GUEST_LEASE_MARKER} (\\d+\\.\\d+\\.\\d+\\.\\d+) ${ifname}\\s`);
  const deadline = Date.now() + ms;
  for (;;) {
    const m = re.exec(await readFile(log, 'utf8').catch(() => ''));
    if (m?.[1]) return m[1];
    if (Date.now() > deadline) throw new Error(`no DHCP lease on ${ifname} in ${log} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function pings(address: string): Promise<boolean> {
  const r = await execa('ip', ['netns', 'exec', NETNS, 'ping', '-n', '-q', '-c', '1', '-W', '1', address], { reject: false, timeout: 5_000 });
  return r.exitCode === 0;
}

/** Polls until `address` answers as `want` says, within `ms`. */
async function pingsBecome(address: string, want: boolean, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) if ((await pings(address)) === want) return true;
  return false;
}

function linkExists(ifname: string): boolean {
  return spawnSync('ip', ['-n', NETNS, 'link', 'show', 'dev', ifname], { timeout: 5_000 }).status === 0;
}

describe('a VM with NICs on two Nova networks', () => {
  let lanAddress = '';
  let storageAddress = '';

  it('gets a lease on each, and vm.get shows each tap, MAC and address', async () => {
    const created = await client.call('vm.create', { ...guestSpec(TWO), nics: [{ network: { nova: LAN } }, { network: { nova: STORAGE } }] });
    expect(created.definition.nics.map((n) => n.network)).toEqual([{ mode: 'nova', network: LAN }, { mode: 'nova', network: STORAGE }]);
    expect((await client.call('vm.start', { name: TWO })).state).toBe('running');
    lanAddress = await leaseOn(TWO, 'eth0');
    storageAddress = await leaseOn(TWO, 'eth1');
    expect(lanAddress).toMatch(/^10\.236\.1\./);
    expect(storageAddress).toMatch(/^10\.236\.2\./);
    const deadline = Date.now() + 20_000;
    let nics = (await client.call('vm.get', { name: TWO })).nics ?? [];
    while (nics.some((n) => !n.address) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      nics = (await client.call('vm.get', { name: TWO })).nics ?? [];
    }
    expect(nics).toMatchObject([
      { index: 0, network: LAN, address: lanAddress },
      { index: 1, network: STORAGE, address: storageAddress },
    ]);
    expect(new Set(nics.map((n) => n.mac)).size).toBe(2);
    for (const n of nics) expect(linkExists(n.ifname)).toBe(true);
    expect(await pingsBecome(lanAddress, true)).toBe(true);
    expect(await pingsBecome(storageAddress, true)).toBe(true);
  }, 240_000);

  it('a cable pulled live cuts that NIC alone, and plugged in again it answers', async () => {
    const info = await client.call('vm.update', { name: TWO, devices: [{ op: 'nic.set', index: 1, link: 'down' }] });
    expect(info.definition.nics[1]?.link).toBe('down');
    expect(info.pendingChanges ?? []).toEqual([]);
    expect(await pingsBecome(storageAddress, false)).toBe(true);
    expect(await pings(lanAddress)).toBe(true);
    await client.call('vm.update', { name: TWO, devices: [{ op: 'nic.set', index: 1, link: 'up' }] });
    expect(await pingsBecome(storageAddress, true)).toBe(true);
  }, 120_000);

  it('gives every tap back on stop', async () => {
    const ifnames = ((await client.call('vm.get', { name: TWO })).nics ?? []).map((n) => n.ifname);
    expect(ifnames).toHaveLength(2);
    await client.call('vm.stop', { name: TWO, force: true });
    for (const ifname of ifnames) expect(linkExists(ifname)).toBe(false);
    for (const net of [LAN, STORAGE]) expect((await client.call('network.get', { name: net })).attachments.filter((a) => a.resource.startsWith(TWO))).toEqual([]);
  }, 60_000);
});

describe('a NIC added to a stopped VM', () => {
  it('joins its network at the next start and gets a lease there', async () => {
    await client.call('vm.create', { ...guestSpec(LATE), network: { nova: LAN } });
    const info = await client.call('vm.update', { name: LATE, devices: [{ op: 'nic.add', network: { nova: STORAGE } }] });
    expect(info.definition.nics.map((n) => n.network)).toEqual([{ mode: 'nova', network: LAN }, { mode: 'nova', network: STORAGE }]);
    await client.call('vm.start', { name: LATE });
    expect(await leaseOn(LATE, 'eth1')).toMatch(/^10\.236\.2\./);
    expect(await leaseOn(LATE, 'eth0')).toMatch(/^10\.236\.1\./);
    // Taken away again while it runs: the running QEMU keeps it until the next start, and says so.
    const removed = await client.call('vm.update', { name: LATE, devices: [{ op: 'nic.remove', index: 1 }] });
    expect(removed.pendingChanges).toContain('NIC net1 removed');
    await client.call('vm.stop', { name: LATE, force: true });
  }, 240_000);
});
