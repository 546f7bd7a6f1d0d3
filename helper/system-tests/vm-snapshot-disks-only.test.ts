// A running VM's snapshot without its RAM (vm.snapshotCreate withMemory: false), against
// real QEMU (TCG): the disks get the internal snapshot in one QMP transaction while the
// VM runs on, the record says "disks only", and restoring it needs the VM stopped.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmManager } from '../src/vm/vm-manager.js';
import { GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { vmSpec } from './fixtures/contract-params.js';

const VM = 'nv16n-snap';

let run: VmTestRun;
let vms: VmManager;

const tagsOn = async (disk: string) =>
  ((JSON.parse((await execa('qemu-img', ['info', '-U', '--output=json', disk])).stdout) as { snapshots?: Array<{ name: string; 'vm-state-size': number }> }).snapshots ?? []).map(
    (s) => [s.name, s['vm-state-size']] as const,
  );

beforeAll(async () => {
  run = await startVmTestRun('nv16n');
  vms = await run.manager();
  await vms.create(vmSpec({ name: VM, memory: '256Mi', diskSize: '64Mi', kernel: run.guest.vmlinux, initrd: run.guest.initrdPlain, cmdline: run.guest.cmdline, display: 'none' }));
}, 300_000);

afterAll(async () => {
  await run?.cleanup();
});

describe('a running VM snapshotted without its RAM', () => {
  it('snapshots the disks only, while the VM runs on', async () => {
    await vms.start(VM);
    await waitForLogText((await vms.consoleInfo(VM)).serialLog, GUEST_READY_MARKER, 60_000);
    const snap = await vms.snapshotCreate(VM, 'disks-now', '', null, { withMemory: false });
    expect(snap).toMatchObject({ name: 'disks-now', withMemory: false, vmStateSize: 0 });
    const disk = (await vms.get(VM)).definition.disks[0]!.path;
    expect(await tagsOn(disk)).toEqual([['disks-now', 0]]);
    expect((await vms.get(VM)).state).toBe('running');
    // With the RAM as before, beside it.
    expect(await vms.snapshotCreate(VM, 'with-ram', '', null)).toMatchObject({ withMemory: true });
    await expect(vms.snapshotRestore(VM, 'disks-now')).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('holds disks only') });
    await vms.stop(VM, { force: true });
  });
});
