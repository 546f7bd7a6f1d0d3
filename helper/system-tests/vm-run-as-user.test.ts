// QEMU as the requesting user: the real helper runs as root (in a network namespace of
// the test's), the client as `nobody` (setpriv) with a polkit rule granting
// org.nova.vm.manage and org.nova.network.manage. Where nobody can reach the VM's files
// the QEMU runs under uid 65534, boots and answers QMP, on a Nova network too (its tap
// is made for that user); behind a state dir it cannot search, QEMU runs as root and the
// helper logs why.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestGuest, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { makeTestDir, rawCall, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';
import { pidsMentioning } from './network-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv3a-user';
const VM = 'nv3a-user-vm';
const NETNS = `nv3a${randomBytes(3).toString('hex')}`;
const NETWORK = 'nv3alab';
let dir = '';
let helper: RunningHelper;
let polkit: PolkitHarness;
let guest: TestGuest;

/** One call as nobody; returns the result or throws the helper's error as `code: message`. */
async function callAsNobody(method: string, params: unknown): Promise<Record<string, unknown>> {
  const { replies, stderr } = await rawCall(helper.socketPath, [request(1, method, params)], true);
  const reply = replies[0];
  if (!reply) throw new Error(`no reply to ${method}: ${stderr}`);
  if (reply.error) {
    const e = reply.error as { data?: { code: string; message: string }; message: string };
    throw new Error(`${e.data?.code ?? 'rpc'}: ${e.data?.message ?? e.message}`);
  }
  return reply.result as Record<string, unknown>;
}

async function uidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  if (!m) throw new Error(`no Uid line for pid ${pid}`);
  return Number(m[2]); // the effective uid
}

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  guest = await ensureTestGuest();
  dir = await makeTestDir(PREFIX);
  polkit = await startPolkit(PREFIX);
  await polkit.allow('vm', 'org.nova.vm.manage', 'nobody');
  await polkit.allow('net', 'org.nova.network.manage', 'nobody');
  execFileSync('ip', ['netns', 'add', NETNS]);
  execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  helper = await startHelper(dir, { netns: NETNS, extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', '/var/cache/nova-test-guest'] });
}, 600_000);

afterAll(async () => {
  try {
    await rawCall(helper.socketPath, [request(1, 'vm.delete', { name: VM, force: true })]).catch(() => undefined);
    await helper?.stop();
  } finally {
    for (const pid of await pidsMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await polkit?.stop();
    spawnSync('ip', ['netns', 'delete', NETNS]);
    await removeTestDir(dir);
  }
});

const TUN = '/dev/net/tun';

/** `ip -d link` of the VM's tap on the test network: shows the tap's owner. */
async function tapDetails(): Promise<string> {
  // Read as root: reading networks is org.nova.host.inspect, which nobody is not granted here.
  const { replies } = await rawCall(helper.socketPath, [request(1, 'network.get', { name: NETWORK })]);
  const net = replies[0]?.result as { attachments: Array<{ resource: string; hostIfname: string }> };
  const tap = net.attachments.find((a) => a.resource === VM)?.hostIfname;
  if (!tap) throw new Error(`${VM} has no tap on ${NETWORK}`);
  return execFileSync('ip', ['-n', NETNS, '-d', 'link', 'show', 'dev', tap], { encoding: 'utf8' });
}

async function bootAsNobody(): Promise<number> {
  const info = await callAsNobody('vm.start', { name: VM });
  expect(info.state).toBe('running');
  const consoles = await callAsNobody('vm.consoleInfo', { name: VM });
  await waitForLogText(consoles.serialLog as string, GUEST_READY_MARKER, 60_000);
  // The helper (root) still drives it through QMP.
  const metrics = await callAsNobody('vm.metrics', { name: VM });
  expect(metrics.rssBytes).toBeGreaterThan(0);
  return info.pid as number;
}

describe('QEMU as the calling user', () => {
  it('runs as root, and logs why, when the caller cannot search the state dir', async () => {
    await callAsNobody('vm.create', {
      name: VM,
      cpus: 1,
      memory: '256Mi',
      kernel: guest.vmlinux,
      initrd: guest.initrdPlain,
      cmdline: guest.cmdline,
      display: 'vnc',
      network: 'user',
    });
    const pid = await bootAsNobody();
    const uid = await uidOf(pid);
    await callAsNobody('vm.stop', { name: VM, force: true });
    expect(uid).toBe(0);
    const line = helper.logs().split('\n').find((l) => l.includes('QEMU runs as root')) ?? '';
    expect(line).toMatch(/no search right/);
  });

  it("runs QEMU under the caller's uid once its files are reachable", async () => {
    // As an administrator would: the state dir searchable (its records stay 0600).
    await chmod(helper.stateDir, 0o711);
    const pid = await bootAsNobody();
    expect(await uidOf(pid)).toBe(65534);
    await callAsNobody('vm.stop', { name: VM, force: true });
    expect((await callAsNobody('vm.get', { name: VM })).state).toBe('stopped');
  });

  it("keeps the caller's uid on a Nova network where the tun device is open to users: the tap is made for that user", async () => {
    await callAsNobody('network.create', { name: NETWORK, profile: 'internal', subnet: '10.93.0.1/24' });
    await callAsNobody('vm.update', { name: VM, network: { nova: NETWORK } });
    // As udev leaves it on a Debian desktop; this machine keeps it root-only, restored below.
    const tunMode = (await stat(TUN)).mode & 0o777;
    await chmod(TUN, 0o666);
    try {
      const pid = await bootAsNobody();
      expect(await uidOf(pid)).toBe(65534);
      expect(await tapDetails()).toMatch(/tun type tap .*user (65534|nobody) /);
    } finally {
      await callAsNobody('vm.stop', { name: VM, force: true }).catch(() => undefined);
      await chmod(TUN, tunMode);
    }
  });

  it('runs as root, and logs why, where the tun device is root-only', async () => {
    const tunMode = (await stat(TUN)).mode & 0o777;
    await chmod(TUN, 0o600);
    try {
      const pid = await bootAsNobody();
      expect(await uidOf(pid)).toBe(0);
      expect(await tapDetails()).not.toMatch(/user (65534|nobody) /);
      const line = helper.logs().split('\n').filter((l) => l.includes('QEMU runs as root')).pop() ?? '';
      expect(line).toContain('/dev/net/tun (no read-write right)');
    } finally {
      await callAsNobody('vm.stop', { name: VM, force: true }).catch(() => undefined);
      await chmod(TUN, tunMode);
    }
    await callAsNobody('vm.delete', { name: VM, force: true });
    await callAsNobody('network.delete', { name: NETWORK });
  });
});
