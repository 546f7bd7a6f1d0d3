// VMs on a Nova NAT network, through the real helper running in a test-host namespace
// of its own: the guest's tap joins the bridge with a stable MAC, dnsmasq leases it an
// address the test host can ping, a second guest resolves it as NAME.NETWORK.nova, tap
// counters feed the metrics, a helper killed with SIGKILL keeps the tap, and stop removes it.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { VmInfo } from '../../src-shared/vm.js';
import { ensureTestGuest, GUEST_LEASE_MARKER, GUEST_PROMPT, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText } from './fixtures/guest-serial.js';
import { makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';
import { pidsMentioning } from './network-harness.js';

const RUN = randomBytes(3).toString('hex');
const NETNS = `nv3n${RUN}`;
const NET = `nv3nl${RUN}`;
const WEB = `nv3n-web-${RUN}`;
const DB = `nv3n-db-${RUN}`;
const NIC = `nv11h-nic-${RUN}`;
const GATEWAY = '10.233.0.1';
let dir = '';
let helper: RunningHelper;
let client: HelperClient;
let guest: TestGuest;

async function connect(): Promise<void> {
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
}

async function start(): Promise<void> {
  helper = await startHelper(dir, { netns: NETNS, extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', '/var/cache/nova-test-guest'] });
  await connect();
}

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await makeTestDir('nv3n');
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  await start();
  await client.call('network.create', { name: NET, profile: 'nat', subnet: `${GATEWAY}/24`, dhcpRange: { start: '10.233.0.100', end: '10.233.0.150' } });
}, 600_000);

afterAll(async () => {
  try {
    for (const vm of [WEB, DB, NIC]) await client?.call('vm.delete', { name: vm, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
    // QEMUs and dnsmasq name files in our dir; anything left (a failed test) goes here.
    for (const pid of await pidsMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    spawnSync('ip', ['netns', 'delete', NETNS]);
    await removeTestDir(dir);
  }
});

async function createOnNet(name: string): Promise<VmInfo> {
  return client.call('vm.create', {
    name,
    memory: '256Mi',
    kernel: guest.vmlinux,
    initrd: guest.initrdNet,
    cmdline: guest.cmdline,
    accel: 'tcg',
    display: 'none',
    network: { nova: NET },
  });
}

async function leasedAddress(name: string): Promise<string> {
  return waitForLease((await client.call('vm.consoleInfo', { name })).serialLog);
}

/** The address the guest's udhcpc script printed; polled until the whole line is in the log. */
async function waitForLease(log: string, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms;
  const re = new RegExp(`${GUEST_LEASE_MARKER} (\\d+\\.\\d+\\.\\d+\\.\\d+)\\s`);
  for (;;) {
    const m = re.exec(await readFile(log, 'utf8').catch(() => ''));
    if (m?.[1]) return m[1];
    if (Date.now() > deadline) throw new Error(`no DHCP lease in ${log} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Asynchronous, so this process keeps draining the helper's log pipe while it waits. */
async function pingFromHost(address: string, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const r = await execa('ip', ['netns', 'exec', NETNS, 'ping', '-n', '-q', '-c', '1', '-W', '1', address], { reject: false, timeout: 5_000 });
    if (r.exitCode === 0) return true;
  }
  return false;
}

function tapExists(ifname: string): boolean {
  return spawnSync('ip', ['-n', NETNS, 'link', 'show', 'dev', ifname], { timeout: 5_000 }).status === 0;
}

describe('a VM on a Nova NAT network', () => {
  let webAddress = '';
  let tap = '';
  let mac = '';

  it('refuses a network that does not exist, naming it', async () => {
    await expect(client.call('vm.create', { name: `nv3n-bad-${RUN}`, kernel: guest.vmlinux, network: { nova: 'nv3nnone' } })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('nv3nnone'),
    });
  });

  it('starts with its tap on the bridge and a stable locally administered MAC', async () => {
    const created = await createOnNet(WEB);
    expect(created.definition.nics).toEqual([{ network: { mode: 'nova', network: NET }, mac: null }]);
    expect((await client.call('vm.start', { name: WEB })).state).toBe('running');
    const net = await client.call('network.get', { name: NET });
    const a = net.attachments.find((x) => x.resource === WEB);
    expect(a).toMatchObject({ kind: 'tap', present: true, hostname: `${WEB}.${NET}.nova` });
    tap = a!.hostIfname;
    mac = a!.mac;
    expect(mac).toMatch(/^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);
    const master = JSON.parse(execFileSync('ip', ['-n', NETNS, '-json', 'link', 'show', 'dev', tap], { encoding: 'utf8' })) as Array<{ master?: string }>;
    expect(master[0]?.master).toBe(NET);
    // vm.get says where the running QEMU really is: the tap it joined, for the overview.
    expect((await client.call('vm.get', { name: WEB })).nics).toMatchObject([{ network: NET, ifname: tap, mac, index: 0 }]);
  });

  it('gets a DHCP lease from dnsmasq and is pingable from the test host by that address', async () => {
    webAddress = await leasedAddress(WEB);
    expect(webAddress).toMatch(/^10\.233\.0\.(1[0-4]\d|150)$/);
    const leases = await client.call('network.leases', { network: NET });
    expect(leases.leases.find((l) => l.mac === mac)?.address).toBe(webAddress);
    expect(await pingFromHost(webAddress)).toBe(true);
  });

  it('counts its traffic from the tap in the metrics', async () => {
    const m = await client.call('vm.metrics', { name: WEB });
    expect(m.netRxBytes).toBeGreaterThan(0);
    expect(m.netTxBytes).toBeGreaterThan(0);
  });

  it('resolves as NAME.NETWORK.nova from another guest on the network', async () => {
    await createOnNet(DB);
    await client.call('vm.start', { name: DB });
    await leasedAddress(DB);
    const info = await client.call('vm.consoleInfo', { name: DB });
    await waitForLogText(info.serialLog, GUEST_READY_MARKER, 30_000);
    const serial = await GuestSerial.connect(info.serialSocket);
    try {
      const out = await serial.run(`nslookup ${WEB}.${NET}.nova ${GATEWAY}`, GUEST_PROMPT, 20_000);
      expect(out).toContain(webAddress);
      // Short lines: the guest's terminal wraps a long echo, which the reader would not match.
      await serial.run(`H=${WEB}.${NET}.nova`, GUEST_PROMPT);
      const ping = await serial.run('ping -c 1 -W 2 $H >/dev/null && echo PING-OK', GUEST_PROMPT, 20_000);
      expect(ping).toContain('PING-OK');
    } finally {
      serial.close();
    }
    await client.call('vm.stop', { name: DB, force: true });
  });

  it('keeps its tap across a helper killed with SIGKILL, and traffic still flows', async () => {
    client.close();
    await helper.kill('SIGKILL');
    expect(tapExists(tap)).toBe(true);
    await start();
    expect((await client.call('vm.get', { name: WEB })).state).toBe('running');
    const a = (await client.call('network.get', { name: NET })).attachments.find((x) => x.resource === WEB);
    expect(a).toMatchObject({ hostIfname: tap, mac, present: true });
    expect(await pingFromHost(webAddress)).toBe(true);
  });

  it('gives the tap back on stop, and takes the same MAC on the next start', async () => {
    await client.call('vm.stop', { name: WEB, force: true });
    expect(tapExists(tap)).toBe(false);
    expect((await client.call('network.get', { name: NET })).attachments.map((x) => x.resource)).not.toContain(WEB);
    await client.call('vm.start', { name: WEB });
    const again = (await client.call('network.get', { name: NET })).attachments.find((x) => x.resource === WEB);
    expect(again).toMatchObject({ hostIfname: tap, mac });
  });

  it('gives the tap back when QEMU dies, and reports the crash', async () => {
    const { pid } = await client.call('vm.get', { name: WEB });
    process.kill(pid!, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    while ((await client.call('vm.get', { name: WEB })).state !== 'crashed') {
      if (Date.now() > deadline) throw new Error('VM not reported crashed within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(tapExists(tap)).toBe(false);
    expect((await client.call('network.get', { name: NET })).attachments.map((x) => x.resource)).not.toContain(WEB);
  });
});

describe('a NIC given to a stopped VM after create', () => {
  const chosenMac = '52:54:00:11:0a:0b';

  it('joins the network at the next start with the MAC chosen, and gets a lease for it', async () => {
    await client.call('vm.create', { name: NIC, memory: '256Mi', kernel: guest.vmlinux, initrd: guest.initrdNet, cmdline: guest.cmdline, accel: 'tcg', display: 'none' });
    const info = await client.call('vm.update', { name: NIC, devices: [{ op: 'nic.set', network: { nova: NET }, mac: chosenMac }] });
    expect(info.definition.nics).toEqual([{ network: { mode: 'nova', network: NET }, mac: chosenMac }]);
    await client.call('vm.start', { name: NIC });
    const address = await leasedAddress(NIC);
    const leases = await client.call('network.leases', { network: NET });
    expect(leases.leases.find((l) => l.mac === chosenMac)?.address).toBe(address);
    expect(await pingFromHost(address)).toBe(true);
  }, 120_000);
});
