// A VM's tcp and http health checks through the real helper, in a test-host namespace: a
// direct-kernel-boot guest on a Nova NAT network gets its address by DHCP, and busybox
// httpd, started and stopped on its serial console, is the service. The tcp check is
// starting while nothing listens, healthy once httpd serves; the http check (swapped on the
// running VM) is healthy on the path httpd serves, and both turn unhealthy when it stops.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import type { HealthCheck, HealthProbe } from '../../src-shared/health.js';
import type { VmInfo } from '../../src-shared/vm.js';
import { ensureTestGuest, GUEST_LEASE_MARKER, GUEST_PROMPT, type TestGuest } from './fixtures/guest-builder.js';
import { GuestSerial, waitForShell } from './fixtures/guest-serial.js';
import { removeProjectTestState } from './fixtures/project-teardown.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const NS = `nv9r${RUN}`;
const NET = `nv9rh${RUN}`;
const VM = `nv9r-web-${RUN}`;
const GATEWAY = `10.99.${parseInt(RUN.slice(0, 2), 16) % 250}.1`;
const PORT = 8080;
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient;
let guest: TestGuest;
let serial: GuestSerial | null = null;
let address = '';

const check = (probe: HealthProbe): HealthCheck => ({ probe, intervalMs: 500, timeoutMs: 2000, retries: 2, startPeriodMs: 0 });

/** Waits for a verdict in `statuses` whose last result matches `result`. */
async function healthOf(statuses: string | string[], result: RegExp, timeoutMs = 30_000): Promise<VmInfo> {
  const wanted = [statuses].flat();
  return waitFor(async () => {
    const vm = await client.call('vm.get', { name: VM });
    return vm.health && wanted.includes(vm.health.status) && result.test(vm.health.lastResult ?? '') ? vm : null;
  }, timeoutMs, `${VM} ${wanted.join(' or ')} with a result matching ${String(result)}`);
}

beforeAll(async () => {
  guest = await ensureTestGuest();
  dir = await makeTestDir(`nv9r-${RUN}`);
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  helper = await startHelper(dir, { netns: NS, extraArgs: ['--run-dir', `${dir}/run`, '--allowed-root', '/var/cache/nova-test-guest'] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
  await client.call('network.create', { name: NET, profile: 'nat', subnet: `${GATEWAY}/24` });
}, 600_000);

afterAll(async () => {
  serial?.close();
  await removeProjectTestState(client, helper, dir, { vms: [VM], capsules: [], networks: [NET], netns: [NS] });
  if (dir) await removeTestDir(dir);
}, 60_000);

describe('a VM on a Nova network with tcp and http health checks', () => {
  it('is starting while nothing listens on the port, healthy once the guest serves it', async () => {
    await client.call('vm.create', {
      name: VM,
      memory: '256Mi',
      kernel: guest.vmlinux,
      initrd: guest.initrdNet,
      cmdline: guest.cmdline,
      accel: 'tcg',
      display: 'none',
      network: { nova: NET },
      health: check({ kind: 'tcp', port: PORT }),
    });
    await client.call('vm.start', { name: VM });
    const info = await client.call('vm.consoleInfo', { name: VM });
    const lease = new RegExp(`${GUEST_LEASE_MARKER} (\\d+\\.\\d+\\.\\d+\\.\\d+)\\s`);
    address = await waitFor(async () => lease.exec(await readFile(info.serialLog, 'utf8').catch(() => ''))?.[1], 90_000, 'the guest to print its DHCP lease');
    // With the lease known, the check reaches the guest, which refuses the port: not healthy.
    const refused = await healthOf(['starting', 'unhealthy'], new RegExp(`^${address.replace(/\./g, '\\.')}:${PORT}: `));
    expect(refused.health?.lastResult).toMatch(/refused/i);
    serial = await GuestSerial.connect(info.serialSocket);
    await waitForShell(serial, GUEST_PROMPT, 60_000);
    // One short command at a time: the console wraps a long line, and the echo is matched whole.
    for (const command of ['mkdir -p /www', 'echo nv9r-ok > /www/ok.html', `httpd -p ${PORT} -h /www`]) await serial.run(command, GUEST_PROMPT);
    const healthy = await healthOf('healthy', /^connected to /);
    expect(healthy.health?.lastResult).toBe(`connected to ${address}:${PORT}`);
  }, 240_000);

  it('takes an http check on the running VM: healthy on the path served, unhealthy once httpd stops', async () => {
    const updated = await client.call('vm.update', { name: VM, health: check({ kind: 'http', port: PORT, path: '/ok.html', status: 200 }) });
    expect(updated.state).toBe('running');
    await healthOf('healthy', /^HTTP 200 from /);
    await serial!.run('killall httpd', GUEST_PROMPT);
    const down = await healthOf('unhealthy', new RegExp(`^http://${address.replace(/\./g, '\\.')}:${PORT}/ok\\.html: `));
    expect(down.health?.failingStreak).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('turns an http check on a path the guest does not serve unhealthy, naming the status', async () => {
    await serial!.run(`httpd -p ${PORT} -h /www`, GUEST_PROMPT);
    await client.call('vm.update', { name: VM, health: check({ kind: 'http', port: PORT, path: '/ok.html', status: 200 }) });
    await healthOf('healthy', /^HTTP 200 from /);
    await client.call('vm.update', { name: VM, health: check({ kind: 'http', port: PORT, path: '/missing', status: 200 }) });
    const missing = await healthOf('unhealthy', /^HTTP 404 from .*, expected 200$/);
    expect(missing.health?.lastResult).toBe(`HTTP 404 from http://${address}:${PORT}/missing, expected 200`);
  }, 120_000);

  it('turns the tcp check unhealthy when the service stops', async () => {
    await client.call('vm.update', { name: VM, health: check({ kind: 'tcp', port: PORT }) });
    await healthOf('healthy', /^connected to /);
    await serial!.run('killall httpd', GUEST_PROMPT);
    const down = await healthOf('unhealthy', new RegExp(`^${address.replace(/\./g, '\\.')}:${PORT}: `));
    expect(down.health?.lastResult).toMatch(/refused/i);
  }, 120_000);
});
