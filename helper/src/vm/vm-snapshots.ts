// Snapshots of a VM's qcow2 disks, kept as a tree in NAME.snapshots.json. A running VM
// is snapshotted with its RAM through QMP's snapshot-save/load/delete jobs, during which
// QEMU holds the VM paused and which cannot be interrupted: such a step reports
// `cancellable: false` and a cancel takes effect at the next step boundary. A stopped
// VM's disks go through qemu-img one disk at a time, cancellable between disks, and
// the disks already done are put back as they were; their headers are checked first
// (vm-disk-files.ts), and qemu-img opens no backing file for an internal snapshot.
import { NovaError } from '../../../src-shared/errors.js';
import { setMarks, type SnapshotTaking } from '../../../src-shared/snapshot-policy.js';
import type { Snapshot, SnapshotTree, VmDefinition, VmDisk } from '../../../src-shared/vm.js';
import type { OperationHandle } from '../operations/operation-manager.js';
import type { Logger } from '../util/logger.js';
import type { QemuImg } from './qemu-img.js';
import type { QmpClient } from './qmp-client.js';
import type { FirmwareState } from './firmware-state.js';
import type { VmDiskFiles } from './vm-disk-files.js';
import type { VmStore } from './vm-store.js';

const UNINTERRUPTIBLE = 'QEMU holds the VM paused; this step cannot be interrupted';

export class VmSnapshots {
  constructor(
    private readonly store: VmStore,
    private readonly img: QemuImg,
    private readonly logger: Logger,
    private readonly diskFiles: VmDiskFiles,
    private readonly firmware: FirmwareState,
  ) {}

  /**
   * `qmp` is the running VM's monitor, null when the VM is stopped. `withMemory` false on a
   * running VM: its disks only, in one QMP transaction, while it runs on (as after a power cut).
   */
  async create(def: VmDefinition, snap: string, description: string, qmp: QmpClient | null, op: OperationHandle, taking: SnapshotTaking = {}, withMemory = true): Promise<Snapshot> {
    const disks = snapshotDisks(def);
    const tree = await this.store.loadSnapshots(def.name);
    if (tree.snapshots.some((s) => s.name === snap)) throw new NovaError('already_exists', `VM ${def.name} already has a snapshot named ${snap}`);
    let vmStateSize = 0;
    if (qmp && !withMemory) {
      op.throwIfCancelled();
      op.progress({ phase: 'snapshotting the disks of the running VM', cancellable: false });
      await qmp.snapshotDisksLive(snap, disks.map((d) => d.id));
    } else if (qmp) {
      op.throwIfCancelled();
      const devices = disks.map((d) => d.id);
      op.progress({ phase: `saving memory and disks (${UNINTERRUPTIBLE})`, cancellable: false });
      await qmp.snapshotSave(`nova-save-${snap}`, snap, devices[0]!, devices);
      if (op.signal.aborted) {
        op.progress({ phase: 'cancelling: deleting the snapshot just saved', cancellable: false });
        await qmp.snapshotDelete(`nova-del-${snap}`, snap, devices);
        throw lateCancel(`snapshot '${snap}' of VM ${def.name}`, 'memory and disks were being saved', 'the snapshot it saved was deleted again');
      }
      vmStateSize = await vmStateSizeOf(qmp, devices[0]!, snap);
    } else {
      await this.diskFiles.checkDisks(def, disks, op.signal);
      for (const [i, d] of disks.entries()) {
        op.throwIfCancelled();
        op.progress({ phase: `snapshotting ${d.id} (${i + 1} of ${disks.length})` });
        // Undone on the disks done, and on one whose qemu-img the cancel stopped half-way.
        let made = false;
        op.onUndo(() => (made || op.signal.aborted ? this.img.snapshotDelete(d.path, snap).catch(() => undefined) : undefined));
        await this.img.snapshotCreate(d.path, snap, { signal: op.signal }).catch(cancelledAs(op, `snapshot '${snap}' of VM ${def.name}`, 'the disks already done were put back'));
        made = true;
      }
      op.throwIfCancelled();
    }
    op.progress({ phase: 'saving the UEFI variables and TPM state', cancellable: false });
    await this.firmware.save(def, snap);
    op.progress({ phase: 'recording the snapshot', cancellable: false });
    const entry: Snapshot = { name: snap, parent: tree.current, createdAt: (taking.at ?? new Date()).toISOString(), withMemory: qmp !== null && withMemory, vmStateSize, description, ...setMarks(taking) };
    await this.store.saveSnapshots(def.name, { current: snap, snapshots: [...tree.snapshots, entry] });
    return entry;
  }

  async restore(def: VmDefinition, snap: string, qmp: QmpClient | null, op: OperationHandle): Promise<void> {
    const { tree, entry } = await this.find(def, snap);
    const disks = snapshotDisks(def);
    if (qmp) {
      if (!entry.withMemory) throw new NovaError('failed_precondition', `snapshot ${snap} holds disks only: stop VM ${def.name} to restore it`);
      op.throwIfCancelled();
      const devices = disks.map((d) => d.id);
      op.progress({ phase: `loading memory and disks (${UNINTERRUPTIBLE})`, cancellable: false });
      await qmp.snapshotLoad(`nova-load-${snap}`, snap, devices[0]!, devices);
      if (op.signal.aborted) this.tooLate(op, def.name, `snapshot '${snap}' was loaded`);
    } else {
      await this.diskFiles.checkDisks(def, disks, op.signal);
      await this.restoreDisks(def.name, disks, snap, op);
    }
    await this.firmware.restore(def, snap, qmp !== null);
    await this.store.saveSnapshots(def.name, { ...tree, current: snap });
  }

  async delete(def: VmDefinition, snap: string, qmp: QmpClient | null, op: OperationHandle): Promise<void> {
    const { tree, entry } = await this.find(def, snap);
    const disks = snapshotDisks(def);
    op.throwIfCancelled();
    if (qmp) {
      op.progress({ phase: `deleting the snapshot (${UNINTERRUPTIBLE})`, cancellable: false });
      await qmp.snapshotDelete(`nova-del-${snap}`, snap, disks.map((d) => d.id));
    } else {
      await this.diskFiles.checkDisks(def, disks, op.signal);
      // A deleted internal snapshot cannot be brought back, so once begun this goes on to the last disk.
      for (const [i, d] of disks.entries()) {
        op.progress({ phase: `deleting the snapshot from ${d.id} (${i + 1} of ${disks.length}; cannot be undone, so not interrupted)`, cancellable: false });
        await this.img.snapshotDelete(d.path, snap);
      }
    }
    await this.firmware.remove(def, snap);
    if (op.signal.aborted) this.tooLate(op, def.name, `snapshot '${snap}' was deleted`);
    // Children move up to the deleted snapshot's parent, so the tree stays connected.
    const snapshots = tree.snapshots.filter((s) => s.name !== snap).map((s) => (s.parent === snap ? { ...s, parent: entry.parent } : s));
    await this.store.saveSnapshots(def.name, { current: tree.current === snap ? entry.parent : tree.current, snapshots });
  }

  /**
   * With more than one disk, each disk first gets a snapshot of how it is now, so a
   * cancel between disks can put the disks already restored back; one disk needs none.
   */
  private async restoreDisks(vm: string, disks: VmDisk[], snap: string, op: OperationHandle): Promise<void> {
    const keep = disks.length > 1 ? `nova-before-restore-${op.id}` : null;
    for (const [i, d] of disks.entries()) {
      op.throwIfCancelled();
      op.progress({ phase: `restoring ${d.id} (${i + 1} of ${disks.length})` });
      const putBack = cancelledAs(op, `restore of snapshot '${snap}' of VM ${vm}`, 'the disks already restored were put back');
      if (keep) {
        let kept = false;
        op.onUndo(async () => {
          if (kept) await this.img.snapshotApply(d.path, keep);
          await this.img.snapshotDelete(d.path, keep).catch(() => undefined);
        });
        await this.img.snapshotCreate(d.path, keep, { signal: op.signal }).catch(putBack);
        kept = true;
      }
      await this.img.snapshotApply(d.path, snap, { signal: op.signal }).catch(putBack);
    }
    op.throwIfCancelled();
    op.progress({ phase: 'recording the restore', cancellable: false });
    if (keep) for (const d of disks) await this.img.snapshotDelete(d.path, keep);
  }

  private async find(def: VmDefinition, snap: string): Promise<{ tree: SnapshotTree; entry: Snapshot }> {
    const tree = await this.store.loadSnapshots(def.name);
    const entry = tree.snapshots.find((s) => s.name === snap);
    if (!entry) throw new NovaError('not_found', `VM ${def.name} has no snapshot named ${snap}`);
    return { tree, entry };
  }

  /** A cancel that came during the last step, which cannot be undone: the work stands, and says so. */
  private tooLate(op: OperationHandle, vm: string, done: string): void {
    this.logger.info({ vm, operation: op.id }, `cancel came during a step that cannot be interrupted; ${done}`);
    op.progress({ phase: `too late to cancel: ${done}`, cancellable: false });
  }
}

/** The disks snapshots live on: qcow2 and writable. */
function snapshotDisks(def: VmDefinition): VmDisk[] {
  const disks = def.disks.filter((d) => d.format === 'qcow2' && !d.readOnly);
  if (disks.length === 0) throw new NovaError('failed_precondition', `VM ${def.name} has no qcow2 disk to hold snapshots: add one`);
  return disks;
}

async function vmStateSizeOf(qmp: QmpClient, node: string, tag: string): Promise<number> {
  type Block = { inserted?: { 'node-name'?: string; image?: { snapshots?: Array<{ name: string; 'vm-state-size': number }> } } };
  const blocks = await qmp.execute<Block[]>('query-block').catch(() => [] as Block[]);
  const hit = blocks.find((b) => b.inserted?.['node-name'] === node)?.inserted?.image?.snapshots?.find((s) => s.name === tag);
  return hit?.['vm-state-size'] ?? 0;
}

function lateCancel(what: string, during: string, outcome: string): NovaError {
  return new NovaError('cancelled', `${what} was cancelled: the cancel came while ${during}, which cannot be interrupted, and took effect right after; ${outcome}`);
}

/** A qemu-img stopped by the cancel becomes the operation's own words on what was undone. */
function cancelledAs(op: OperationHandle, what: string, outcome: string): (err: unknown) => never {
  return (err) => {
    if (op.signal.aborted) throw new NovaError('cancelled', `${what} was cancelled; ${outcome}`);
    throw err;
  };
}
