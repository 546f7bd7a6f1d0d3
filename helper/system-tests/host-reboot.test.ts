// Reboot hydration: a host restart is simulated in the test host namespace (the helper,
// QEMU and dnsmasq killed, the namespace with its bridges, taps and nftables replaced by
// a fresh one, the runtime dir gone, a new boot id behind the helper's boot-id seam). The
// helper brings the networks back and stops the VM that ran, never showing it running;
// done twice in a row, it gives the same `ip -d link` and `nft list ruleset`.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { ensureTestGuest, GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { waitFor } from './fixtures/wait-for.js';
import { makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';
import { pidsMentioning } from './network-harness.js';

const RUN = randomBytes(3).toString('hex');
const NETNS = `nv4gb${RUN}`;
const NET = `nv4gbn${RUN}`;
const VM = `nv4g-boot-${RUN}`;
let dir = '';
let bootIdFile = '';
let guestDir = '';
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;

function netns(action: 'add' | 'delete'): void {
  spawnSync('ip', ['netns', action, NETNS], { timeout: 10_000 });
  if (action === 'add') execFileSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
}

async function startNova(): Promise<void> {
  helper = await startHelper(dir, { netns: NETNS, extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', guestDir, '--boot-id-file', bootIdFile] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
}

async function killEverything(): Promise<void> {
  client?.close();
  client = null;
  await helper?.kill('SIGKILL');
  helper = null;
  // QEMU and dnsmasq name files in our dir.
  const pids = await pidsMentioning(dir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await waitFor(async () => (await pidsMentioning(dir)).length === 0, 10_000, 'the killed processes to be gone');
}

/** Everything a power cycle takes away, and a new boot id. */
async function simulateReboot(): Promise<void> {
  await killEverything();
  netns('delete');
  netns('add');
  await rm(join(dir, 'run'), { recursive: true, force: true });
  await writeFile(bootIdFile, `${randomUUID()}\n`);
}

/** What the kernel has in the test host; timers are clocks, not configuration. */
function kernelState(): { links: string; ruleset: string } {
  const links = execFileSync('ip', ['-n', NETNS, '-d', 'link', 'show'], { encoding: 'utf8' }).replace(/(\w+_timer)\s+[\d.]+/g, '$1 *');
  const ruleset = execFileSync('ip', ['netns', 'exec', NETNS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
  return { links, ruleset };
}

beforeAll(async () => {
  const guest = await ensureTestGuest();
  guestDir = dirname(guest.vmlinux);
  dir = await makeTestDir('nv4gb');
  bootIdFile = join(dir, 'boot_id');
  await writeFile(bootIdFile, `${randomUUID()}\n`);
  netns('add');
  await startNova();
  await client!.call('network.create', { name: NET, profile: 'nat', subnet: '10.79.0.1/24', forwards: ['18080:10.79.0.50:80'] });
  await client!.call('vm.create', { name: VM, memory: '192Mi', kernel: guest.vmlinux, initrd: guest.initrdNet, cmdline: guest.cmdline, accel: 'tcg', display: 'none', network: { nova: NET } });
  await client!.call('vm.start', { name: VM });
  await waitForLogText((await client!.call('vm.consoleInfo', { name: VM })).serialLog, GUEST_READY_MARKER, 60_000);
}, 600_000);

afterAll(async () => {
  try {
    await client?.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
    await client?.call('network.delete', { name: NET }).catch(() => undefined);
  } finally {
    await killEverything().catch(() => undefined);
    netns('delete');
    if (dir) await removeTestDir(dir);
  }
});

describe('host reboot', () => {
  it('is recovered twice in a row to the same links and rules; the VM that ran is stopped, never running', async () => {
    const seen: string[] = [];
    const rounds: Array<{ links: string; ruleset: string }> = [];
    for (let round = 0; round < 2; round++) {
      await simulateReboot();
      await startNova();
      client!.onEvent((e) => e.name === 'vm.stateChanged' && e.payload.name === VM && seen.push(e.payload.state));
      const vm = await client!.call('vm.get', { name: VM });
      expect({ round, state: vm.state, pid: vm.pid }).toEqual({ round, state: 'stopped', pid: null });
      const net = await client!.call('network.get', { name: NET });
      expect({ round, status: net.status, attachments: net.attachments }).toEqual({ round, status: { state: 'active', reasons: [] }, attachments: [] });
      expect(helper!.logs()).toContain('the host restarted since the helper last ran');
      rounds.push(kernelState());
    }
    expect(seen).not.toContain('running');
    expect(rounds[1]!.links).toBe(rounds[0]!.links);
    expect(rounds[1]!.ruleset).toBe(rounds[0]!.ruleset);
    expect(rounds[0]!.ruleset).toContain('dnat ip to 10.79.0.50:80');
    // The disks of a VM the host took down are checked at its next start.
    expect(await stat(join(helper!.stateDir, 'vms', `${VM}.unclean.json`)).then(() => true, () => false)).toBe(true);

    // A helper restart without a host restart is no reboot.
    await killEverything();
    await startNova();
    expect(helper!.logs()).not.toContain('the host restarted since the helper last ran');

    // The VM starts again on the recovered network.
    await client!.call('vm.start', { name: VM });
    expect((await client!.call('vm.get', { name: VM })).state).toBe('running');
  }, 300_000);
});
