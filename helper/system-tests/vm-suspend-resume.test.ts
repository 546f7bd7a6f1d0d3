// Suspend to disk with real QEMU under TCG and the real helper: a counter the guest
// prints on its serial console goes on from where it was after the VM was suspended,
// the helper restarted, and the VM started again, without the guest booting anew; the
// saved state is refused a hardware change, lives in the VM's folder until the resume,
// and a stop discards it.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestGuest, GUEST_READY_MARKER, type TestGuest } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { errorOf } from './fixtures/error-of.js';
import { waitFor } from './fixtures/wait-for.js';
import { BootedHelper } from './fixtures/booted-helper.js';
import { pidsMentioning } from './network-harness.js';

const RUN = randomBytes(3).toString('hex');
const VM = `nv11s-susp-${RUN}`;

let guest: TestGuest;
let nova: BootedHelper;

const exists = (path: string) => stat(path).then(() => true, () => false);
const ticksIn = (log: string) => [...log.matchAll(/TICK-(\d+)/g)].map((m) => Number(m[1]));

beforeAll(async () => {
  guest = await ensureTestGuest();
  nova = await BootedHelper.create('nv11s', [dirname(guest.vmlinux)]);
  await nova.start();
}, 600_000);

afterAll(async () => {
  await nova?.cleanup([VM]);
});

describe('suspend to disk', () => {
  it("keeps the guest's counter going across suspend, a helper restart and resume", async () => {
    let c = nova.client!;
    await c.call('vm.create', { name: VM, memory: '128Mi', kernel: guest.vmlinux, initrd: guest.initrdAcpi, cmdline: guest.cmdline, accel: 'tcg', display: 'none' });
    const { serial, serialLog } = await nova.startToShell(VM);
    try {
      await serial.send('i=0; while true; do i=$((i+1)); echo TICK-$i; sleep 1; done &');
      await waitForLogText(serialLog, 'TICK-3', 30_000);
    } finally {
      serial.close();
    }

    const suspended = await c.call('vm.suspend', { name: VM });
    expect(suspended.state).toBe('suspended');
    expect(suspended.pid).toBeNull();
    const saveFile = join(nova.stateDir, 'vms', VM, 'suspended.vmstate');
    expect((await stat(saveFile)).size).toBeGreaterThan(0);
    expect((await pidsMentioning(`nova-vm-${VM}`)).length).toBe(0);
    const before = Math.max(...ticksIn(await readFile(serialLog, 'utf8')));
    expect(before).toBeGreaterThanOrEqual(3);

    // What the saved guest knows of its hardware must not change under it.
    const refused = await errorOf(c.call('vm.update', { name: VM, cpus: 2 }));
    expect(refused).toMatchObject({ code: 'failed_precondition' });
    expect(refused.message).toMatch(/suspended/);

    await nova.stop();
    c = await nova.start();
    expect((await c.call('vm.list', {})).vms.find((v) => v.definition.name === VM)?.state).toBe('suspended');

    const resumed = await c.call('vm.start', { name: VM });
    expect(resumed.state).toBe('running');
    await waitForLogText(serialLog, `TICK-${before + 2}`, 30_000);
    const after = await readFile(serialLog, 'utf8');
    // The same run of the guest: no boot, and the count goes on rather than from 1.
    expect(after).not.toContain(GUEST_READY_MARKER);
    expect(Math.min(...ticksIn(after))).toBeGreaterThan(before);
    expect(await exists(saveFile)).toBe(false);

    // Suspended again and stopped: the saved state is discarded, the VM plainly stopped.
    expect((await c.call('vm.suspend', { name: VM })).state).toBe('suspended');
    await c.call('vm.stop', { name: VM });
    expect((await c.call('vm.get', { name: VM })).state).toBe('stopped');
    expect(await exists(saveFile)).toBe(false);
    await waitFor(async () => (await pidsMentioning(`nova-vm-${VM}`)).length === 0, 10_000, 'no QEMU of the VM');
  }, 300_000);
});
