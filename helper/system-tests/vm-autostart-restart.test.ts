// Autostart and restart policy with real QEMU under TCG and the real helper: VMs marked
// autostart start when the helper sees a new boot id (a simulated host boot), lowest
// order first, each after its delay, a VM that cannot start reported while the rest go
// on; a helper restart within one boot starts nothing. A VM with restart on-crash comes
// back after its QEMU is killed, and stays stopped after a user's stop.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import type { VmInfo } from '../../src-shared/vm.js';
import { ensureTestGuest, type TestGuest } from './fixtures/guest-builder.js';
import { waitFor } from './fixtures/wait-for.js';
import { BootedHelper } from './fixtures/booted-helper.js';

const RUN = randomBytes(3).toString('hex');
const FIRST = `nv11s-first-${RUN}`;
const SECOND = `nv11s-second-${RUN}`;
const MANUAL = `nv11s-manual-${RUN}`;
const BROKEN = `nv11s-broken-${RUN}`;
const CRASHY = `nv11s-crashy-${RUN}`;
const SECOND_DELAY_S = 2;

let guest: TestGuest;
let nova: BootedHelper;

const vmOf = (c: HelperClient, name: string): Promise<VmInfo> => c.call('vm.get', { name });

async function createVm(c: HelperClient, name: string, kernel = guest.vmlinux): Promise<void> {
  await c.call('vm.create', { name, memory: '128Mi', kernel, initrd: guest.initrdAcpi, cmdline: guest.cmdline, accel: 'tcg', display: 'none' });
}

beforeAll(async () => {
  guest = await ensureTestGuest();
  nova = await BootedHelper.create('nv11s');
  // The guest's kernel and initrd inside the helper's allowed folder; the broken VM's kernel is removed after create.
  const dir = join(nova.dir, 'guest');
  await mkdir(dir);
  for (const f of [guest.vmlinux, guest.initrdAcpi]) await copyFile(f, join(dir, basename(f)));
  guest = { ...guest, vmlinux: join(dir, 'vmlinux'), initrdAcpi: join(dir, basename(guest.initrdAcpi)) };
  await copyFile(guest.vmlinux, join(dir, 'vmlinux-broken'));
  await nova.start();
}, 600_000);

afterAll(async () => {
  await nova?.cleanup([FIRST, SECOND, MANUAL, BROKEN, CRASHY]);
});

describe('autostart', () => {
  it('starts the marked VMs after a host boot, in order and after their delays, reporting the one that cannot start', async () => {
    const c = nova.client!;
    for (const name of [FIRST, SECOND, MANUAL]) await createVm(c, name);
    await createVm(c, BROKEN, join(nova.dir, 'guest', 'vmlinux-broken'));
    await c.call('vm.update', { name: SECOND, autostart: { order: 5, delaySeconds: SECOND_DELAY_S } });
    await c.call('vm.update', { name: FIRST, autostart: { order: 1 } });
    await c.call('vm.update', { name: BROKEN, autostart: { order: 0 } });
    expect((await vmOf(c, SECOND)).definition.autostart).toEqual({ order: 5, delaySeconds: SECOND_DELAY_S });
    await rm(join(nova.dir, 'guest', 'vmlinux-broken'));

    // A helper restart within the same boot is no boot: nothing starts.
    await nova.stop();
    const again = await nova.start();
    expect(nova.logs()).not.toContain('autostart');
    for (const name of [FIRST, SECOND]) expect((await vmOf(again, name)).state).toBe('stopped');

    // The host "boots": a new boot id.
    await nova.stop('kill');
    await nova.newBoot();
    const booted = await nova.start();
    const [first, second] = await waitFor(
      async () => {
        const vms = await Promise.all([vmOf(booted, FIRST), vmOf(booted, SECOND)]);
        return vms.every((v) => v.state === 'running') ? vms : null;
      },
      120_000,
      'both autostart VMs to run',
      200,
    );
    expect(Date.parse(second!.startedAt!) - Date.parse(first!.startedAt!)).toBeGreaterThanOrEqual(SECOND_DELAY_S * 1000);
    expect((await vmOf(booted, MANUAL)).state).toBe('stopped');
    const report = await waitFor(
      async () => {
        const text = await readFile(join(nova.stateDir, 'autostart.json'), 'utf8').catch(() => null);
        return text ? (JSON.parse(text) as { outcomes: Array<{ name: string; error: string | null }> }) : null;
      },
      30_000,
      'the autostart report',
    );
    const outcomes = report.outcomes;
    expect(outcomes.map((o) => o.name)).toEqual([BROKEN, FIRST, SECOND]);
    expect(outcomes[0]!.error).toMatch(/kernel|vmlinux-broken|not found|missing/i);
    expect(outcomes.slice(1).map((o) => o.error)).toEqual([null, null]);
    expect((await vmOf(booted, BROKEN)).state).toBe('stopped');
    await booted.call('vm.stop', { name: FIRST, force: true });
    await booted.call('vm.stop', { name: SECOND, force: true });
  }, 300_000);
});

describe('restart policy', () => {
  it('starts a VM again when its QEMU is killed (on-crash), and not after a stop', async () => {
    const c = nova.client!;
    await createVm(c, CRASHY);
    await c.call('vm.update', { name: CRASHY, restart: 'on-crash' });
    const first = await c.call('vm.start', { name: CRASHY });
    expect(first.pid).toBeGreaterThan(0);
    process.kill(first.pid!, 'SIGKILL');
    const back = await waitFor(
      async () => {
        const vm = await vmOf(c, CRASHY);
        return vm.state === 'running' && vm.pid !== first.pid ? vm : null;
      },
      60_000,
      'the killed VM to run again',
      100,
    );
    expect(back.pid).not.toBe(first.pid);
    // The restart is a start operation: it holds the VM until the guest has booted.
    await waitFor(async () => (await c.call('operation.list', { resource: { kind: 'vm', name: CRASHY }, state: 'running' })).operations.length === 0, 60_000, 'the restart to finish');

    await c.call('vm.stop', { name: CRASHY, force: true });
    // Longer than the first back-off (1 s): a restart would have begun by then.
    const stoppedAt = Date.now();
    await waitFor(async () => Date.now() - stoppedAt > 3_000 || (await vmOf(c, CRASHY)).state !== 'stopped', 10_000, 'the back-off window to pass');
    expect((await vmOf(c, CRASHY)).state).toBe('stopped');
  }, 240_000);
});
