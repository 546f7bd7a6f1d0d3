// `nova run vm NAME` end to end: the CLI reads a NovaFile naming the test guest and a
// NAT network, and the real helper (in a test-host namespace) creates the network and
// the VM with its cloud-init seed, then starts it; the guest gets a lease. Running it
// again changes nothing; a feature the host lacks is refused with its NovaFile line. A VM
// whose `networks` give a NIC's MAC and model gets them: the guest reads the MAC on its
// second NIC and finds an e1000e on its PCI bus.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { ensureTestGuest, GUEST_LEASE_MARKER, GUEST_PROMPT, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { GuestSerial, waitForLogText, waitForShell } from './fixtures/guest-serial.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';
import { pidsMentioning } from './network-harness.js';

const RUN = randomBytes(3).toString('hex');
const NETNS = `nv3nf${RUN}`;
const NET = `nv3nf${RUN}`;
const VM = `nv3n-run-${RUN}`;
const NET2 = `nv3ns${RUN}`;
const VM_NICS = `nv3n-nics-${RUN}`;
const MAC1 = '52:54:00:7e:00:02';
const MAC2 = '52:54:00:7e:00:03';
let dir = '';
let helper: RunningHelper;
let client: HelperClient;
let guest: TestGuest;

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await makeTestDir('nv3n');
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  helper = await startHelper(dir, { netns: NETNS, extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', '/var/cache/nova-test-guest'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
  // The test guest on TCG with a serial console only: the same keys for each VM.
  const guestKeys = ['kernel', guest.vmlinux, 'initrd', guest.initrdNet, 'cmdline', guest.cmdline, 'memory', '256Mi', 'accel', 'tcg', 'display', 'none']
    .flatMap((v, i, all) => (i % 2 === 0 ? [`${v} = "${all[i + 1]}"`] : []))
    .join('\n');
  await writeFile(
    join(dir, 'NovaFile.toml'),
    `project = "nv3n"

[network.${NET}]
subnet = "10.234.0.1/24"
dhcp_range = "10.234.0.100-10.234.0.150"

[vm.${VM}]
${guestKeys}
network = "${NET}"
cloud_init = { hostname = "guest-1", user = "dev", password = "pw" }

[vm.nv3n-gpu-${RUN}]
kernel = "${guest.vmlinux}"
gpu_passthrough = true

[network.${NET2}]
subnet = "10.235.0.1/24"
dhcp_range = "10.235.0.100-10.235.0.150"

[vm.${VM_NICS}]
${guestKeys}
networks = ["${NET}", { network = "${NET2}", mac = "${MAC1.toUpperCase()}" }, { network = "${NET}", mac = "${MAC2}", model = "e1000e" }]
`,
  );
}, 600_000);

afterAll(async () => {
  try {
    await client?.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
    await client?.call('vm.delete', { name: VM_NICS, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
    await client?.call('network.delete', { name: NET2 }).catch(() => undefined);
  } finally {
    client?.close();
    await helper?.stop();
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

/**
 * Asynchronously, never spawnSync: the helper logs to a pipe this process drains, and a
 * helper whose stderr pipe fills while we block dies on EAGAIN with its last words unread.
 */
async function nova(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', ...args], { cwd: dir, reject: false, timeout: 180_000, stripFinalNewline: false });
  return { status: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
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

describe('nova run vm', () => {
  it('creates the network and the VM from the NovaFile in the current folder, and starts it', async () => {
    const r = await nova('run', 'vm', VM);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`network ${NET}: created\nvm ${VM}: created\nvm ${VM}: started\n`);
    const info = await client.call('vm.get', { name: VM });
    expect(info.state).toBe('running');
    expect(info.definition).toMatchObject({ nics: [{ network: { mode: 'nova', network: NET }, mac: null }], cloudInit: { hostname: 'guest-1', user: 'dev' } });
    expect(info.definition.cloudInit?.passwordHash).toMatch(/^\$6\$/);
    const log = (await client.call('vm.consoleInfo', { name: VM })).serialLog;
    const address = await waitForLease(log);
    expect(address).toMatch(/^10\.234\.0\.\d+$/);
  });

  it('changes nothing when run again', async () => {
    const r = await nova('--json', 'run', 'vm', VM);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ actions: [], notices: [`network ${NET}: exists, left as it is`, `vm ${VM}: already running`] });
  });

  it('refuses GPU passthrough this host cannot give, with the NovaFile line, and creates nothing', async () => {
    const r = await nova('run', 'vm', `nv3n-gpu-${RUN}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/NovaFile\.toml:19:1: vm nv3n-gpu-\w+ asks for GPU passthrough, which .*\[unsupported\]/);
    await expect(client.call('vm.get', { name: `nv3n-gpu-${RUN}` })).rejects.toMatchObject({ code: 'not_found' });
  });

  it("gives a NIC the MAC and model its networks table names: the guest reads them", async () => {
    const r = await nova('run', 'vm', VM_NICS);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const info = await client.call('vm.get', { name: VM_NICS });
    expect(info.definition.nics).toEqual([
      { network: { mode: 'nova', network: NET }, mac: null },
      { network: { mode: 'nova', network: NET2 }, mac: MAC1 },
      { network: { mode: 'nova', network: NET }, mac: MAC2, model: 'e1000e' },
    ]);
    const consoles = await client.call('vm.consoleInfo', { name: VM_NICS });
    await waitForLogText(consoles.serialLog, GUEST_READY_MARKER, 90_000);
    // Both virtio NICs lease first, so their lines do not land amid the commands' answers.
    await waitForLease(consoles.serialLog);
    const deadline = Date.now() + 60_000;
    while (!new RegExp(`${GUEST_LEASE_MARKER} \\S+ eth1`).test(await readFile(consoles.serialLog, 'utf8'))) {
      if (Date.now() > deadline) throw new Error('no DHCP lease on eth1 within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const serial = await GuestSerial.connect(consoles.serialSocket);
    try {
      await waitForShell(serial, GUEST_PROMPT);
      // The second NIC is the guest's second virtio NIC, eth1; the guest's kernel has no e1000e driver, so the third shows only on the PCI bus.
      expect(await serial.run('cat /sys/class/net/eth1/address', GUEST_PROMPT)).toContain(MAC1);
      const pci = await serial.run('cat /sys/bus/pci/devices/*/device', GUEST_PROMPT);
      // 8086:10d3 is the Intel 82574L QEMU's e1000e emulates.
      expect(pci).toContain('0x10d3');
    } finally {
      serial.close();
    }
    const plan = await nova('plan');
    expect(plan.stdout).not.toContain(`vm ${VM_NICS}`);
  });
});
