// Snapshots as operations, against real QEMU (TCG) and real qemu-img. A running VM's
// snapshot-save job cannot be interrupted: it reports `cancellable: false`, and a cancel
// during it takes effect right after, deleting the snapshot again. A stopped VM's disks
// are done one at a time, cancellable between disks, and the disks already done are put
// back as they were (checked on the disks' data with qemu-io). Deleting cannot be undone,
// so it is not interrupted. Requests on the VM meanwhile are refused as `locked`, naming
// the snapshot. To act between two disks, the test holds qemu-img back at the door of
// the second one (a runner that waits before starting it), then lets it run for real.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operation } from '../../src-shared/operation.js';
import { OperationManager, type Requester } from '../src/operations/operation-manager.js';
import { ProcessRunner, type RunResult, type RunSpec } from '../src/process/process-runner.js';
import { silentLogger } from '../src/util/logger.js';
import { qemuImgArgv } from '../src/vm/qemu-img-argv.js';
import type { VmManager } from '../src/vm/vm-manager.js';
import { GUEST_READY_MARKER } from './fixtures/guest-builder.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { vmSpec } from './fixtures/contract-params.js';

/** A ProcessRunner that holds back the next program whose argv matches, until told to go. */
class DoorRunner extends ProcessRunner {
  private door: { match: (argv: readonly string[]) => boolean; reached: () => void; open: Promise<void> } | null = null;

  /** Resolves when the matching program is at the door; `open()` lets it run. */
  holdNext(match: (argv: readonly string[]) => boolean): { atDoor: Promise<void>; open: () => void } {
    let reached!: () => void;
    let open!: () => void;
    const atDoor = new Promise<void>((r) => (reached = r));
    this.door = { match, reached, open: new Promise<void>((r) => (open = r)) };
    return { atDoor, open };
  }

  override async run(spec: RunSpec): Promise<RunResult> {
    const door = this.door;
    if (door?.match(spec.argv)) {
      this.door = null;
      door.reached();
      await door.open;
    }
    return super.run(spec);
  }
}

/** qemu-img doing exactly this internal-snapshot step on this disk. */
const qemuImgSnapshot = (action: 'create' | 'apply' | 'delete', disk: string, tag: string) => (argv: readonly string[]) =>
  argv.join('\0') === qemuImgArgv.snapshot(action, disk, tag).join('\0');

const VM = 'nv8v-snap';
const TWO_DISKS = 'nv8v-two';
const user: Requester = { caller: { uid: 1000, pid: process.pid } };

let run: VmTestRun;
let vms: VmManager;
let operations: OperationManager;
const runner = new DoorRunner();
const ops: Operation[] = [];
/** Called with each operation change; a test sets it to act at a given step. */
let onChange: (op: Operation) => void = () => undefined;

const diskOf = async (name: string, i: number) => (await vms.get(name)).definition.disks[i]!.path;
const tagsOn = async (disk: string) =>
  ((JSON.parse((await execa('qemu-img', ['info', '-U', '--output=json', disk])).stdout) as { snapshots?: Array<{ name: string }> }).snapshots ?? []).map((s) => s.name);
/** Writes a byte pattern at the start of a stopped VM's disk, and checks it is there. */
const writePattern = (disk: string, byte: number) => execa('qemu-io', ['-c', `write -P ${byte} 0 64k`, disk]);
const holdsPattern = async (disk: string, byte: number) => (await execa('qemu-io', ['-c', `read -P ${byte} 0 64k`, disk], { reject: false })).exitCode === 0;

beforeAll(async () => {
  run = await startVmTestRun('nv8v');
  operations = new OperationManager({
    logger: silentLogger(),
    progressIntervalMs: 0,
    emit: (op) => {
      ops.push(op);
      onChange(op);
    },
  });
  vms = await run.manager({ operations, runner });
  await vms.create(vmSpec({ name: VM, memory: '256Mi', diskSize: '64Mi', kernel: run.guest.vmlinux, initrd: run.guest.initrdPlain, cmdline: run.guest.cmdline, display: 'none' }));
  await vms.create(vmSpec({ name: 'nv8v-tmpl', memory: '128Mi', diskSize: '64Mi', display: 'none' }));
  await vms.setTemplate('nv8v-tmpl', true);
  await vms.create(vmSpec({ name: TWO_DISKS, memory: '128Mi', fromTemplate: 'nv8v-tmpl', diskSize: '64Mi', display: 'none' }));
}, 300_000);

afterAll(async () => {
  await run?.cleanup();
});

describe('a running VM: snapshot-save cannot be interrupted', () => {
  it('reports the save as not cancellable; a cancel during it takes effect after it and deletes the snapshot again', async () => {
    await vms.start(VM);
    await waitForLogText((await vms.consoleInfo(VM)).serialLog, GUEST_READY_MARKER, 60_000);
    let asked: Operation | null = null;
    onChange = (op) => {
      if (op.kind === 'vm.snapshotCreate' && op.progress.phase.startsWith('saving memory and disks') && !op.cancelRequested) {
        onChange = () => undefined;
        asked = operations.cancel(op.id, user.caller);
      }
    };
    await expect(vms.snapshotCreate(VM, 'pre-upgrade', '', user)).rejects.toMatchObject({
      code: 'cancelled',
      message: `snapshot 'pre-upgrade' of VM ${VM} was cancelled: the cancel came while memory and disks were being saved, which cannot be interrupted, and took effect right after; the snapshot it saved was deleted again`,
    });
    expect(asked).toMatchObject({ cancellable: false, cancelRequested: true, progress: { phase: expect.stringContaining('cannot be interrupted') } });
    const phases = ops.filter((o) => o.id === asked!.id).map((o) => [o.progress.phase.replace(/ \(.*\)$/, ''), o.cancellable]);
    expect(phases).toContainEqual(['cancelling: deleting the snapshot just saved', false]);
    expect((await vms.snapshotList(VM)).snapshots).toEqual([]);
    expect(await tagsOn(await diskOf(VM, 0))).toEqual([]);
    expect((await vms.get(VM)).state).toBe('running');
  });

  it('then takes the snapshot when nobody cancels, with the VM running on', async () => {
    const snap = await vms.snapshotCreate(VM, 'pre-upgrade', '', user);
    expect(snap).toMatchObject({ name: 'pre-upgrade', withMemory: true });
    expect(await tagsOn(await diskOf(VM, 0))).toEqual(['pre-upgrade']);
    expect((await vms.get(VM)).state).toBe('running');
    await vms.stop(VM, { force: true });
  });
});

describe('a stopped VM: one disk at a time', () => {
  it('refuses requests on the VM as locked, naming the snapshot, and a cancel between disks removes it from the disks done', async () => {
    const [disk0, disk1] = [await diskOf(TWO_DISKS, 0), await diskOf(TWO_DISKS, 1)];
    const door = runner.holdNext(qemuImgSnapshot('create', disk1, 'pre-upgrade'));
    let opId = '';
    onChange = (op) => void (opId ||= op.kind === 'vm.snapshotCreate' ? op.id : '');
    const snapshotting = vms.snapshotCreate(TWO_DISKS, 'pre-upgrade', '', user);
    snapshotting.catch(() => undefined);
    await door.atDoor;
    try {
      expect(await tagsOn(disk0)).toEqual(['pre-upgrade']);
      expect(operations.get(opId)).toMatchObject({ cancellable: true, progress: { phase: 'snapshotting disk1 (2 of 2)' } });
      await expect(vms.start(TWO_DISKS)).rejects.toMatchObject({
        code: 'locked',
        message: expect.stringMatching(new RegExp(`^VM ${TWO_DISKS} is busy: snapshot 'pre-upgrade' \\(started \\d+ s ago by uid 1000\\)$`)),
      });
      await expect(vms.setTemplate(TWO_DISKS, true)).rejects.toMatchObject({ code: 'locked' });
      operations.cancel(opId, null);
    } finally {
      door.open();
    }
    await expect(snapshotting).rejects.toMatchObject({ code: 'cancelled', message: `snapshot 'pre-upgrade' of VM ${TWO_DISKS} was cancelled; the disks already done were put back` });
    expect([await tagsOn(disk0), await tagsOn(disk1)]).toEqual([[], []]);
    expect((await vms.snapshotList(TWO_DISKS)).snapshots).toEqual([]);
  });

  it('puts the disks already restored back as they were when a restore is cancelled between disks', async () => {
    const [disk0, disk1] = [await diskOf(TWO_DISKS, 0), await diskOf(TWO_DISKS, 1)];
    await writePattern(disk0, 0xaa);
    await writePattern(disk1, 0xaa);
    await vms.snapshotCreate(TWO_DISKS, 'old');
    await writePattern(disk0, 0xbb);
    await writePattern(disk1, 0xbb);
    const door = runner.holdNext(qemuImgSnapshot('apply', disk1, 'old'));
    const restoring = vms.snapshotRestore(TWO_DISKS, 'old');
    restoring.catch(() => undefined);
    await door.atDoor;
    try {
      expect(await holdsPattern(disk0, 0xaa)).toBe(true); // restored already
      operations.cancel(operations.list({ state: 'running' })[0]!.id, null);
    } finally {
      door.open();
    }
    await expect(restoring).rejects.toMatchObject({ code: 'cancelled', message: expect.stringContaining('the disks already restored were put back') });
    expect([await holdsPattern(disk0, 0xbb), await holdsPattern(disk1, 0xbb)]).toEqual([true, true]);
    expect([await tagsOn(disk0), await tagsOn(disk1)]).toEqual([['old'], ['old']]);

    await vms.snapshotRestore(TWO_DISKS, 'old');
    expect([await holdsPattern(disk0, 0xaa), await holdsPattern(disk1, 0xaa)]).toEqual([true, true]);
    expect([await tagsOn(disk0), await tagsOn(disk1)]).toEqual([['old'], ['old']]);
  });

  it('does not interrupt a deletion once begun: it cannot be undone', async () => {
    const disk1 = await diskOf(TWO_DISKS, 1);
    const door = runner.holdNext(qemuImgSnapshot('delete', disk1, 'old'));
    const deleting = vms.snapshotDelete(TWO_DISKS, 'old');
    await door.atDoor;
    const [op] = operations.list({ state: 'running' });
    try {
      expect(op).toMatchObject({ cancellable: false, progress: { phase: expect.stringMatching(/^deleting the snapshot from disk1 \(2 of 2; cannot be undone/) } });
      operations.cancel(op!.id, null);
    } finally {
      door.open();
    }
    await expect(deleting).resolves.toBeUndefined();
    expect(operations.get(op!.id)).toMatchObject({ state: 'succeeded', cancelRequested: true });
    expect(ops.filter((o) => o.id === op!.id).map((o) => o.progress.phase)).toContain("too late to cancel: snapshot 'old' was deleted");
    expect((await vms.snapshotList(TWO_DISKS)).snapshots).toEqual([]);
    expect(await tagsOn(disk1)).toEqual([]);
  });
});
