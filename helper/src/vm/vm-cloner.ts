// Clones of a stopped VM: linked (a qcow2 overlay on each of a template's disks, made in
// moments) or full (each disk copied by `qemu-img convert -p`, with progress per disk).
// A cancel stops qemu-img where it is, and the clone's folder and records are removed:
// no VM, no folder and no disk are left of it. The source's disks are checked first
// (vm-disk-files.ts) and copied through the descriptors checked.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDefinition, VmDisk } from '../../../src-shared/vm.js';
import type { OperationHandle } from '../operations/operation-manager.js';
import type { FirmwareState } from './firmware-state.js';
import type { QemuImg } from './qemu-img.js';
import type { VmDiskFiles } from './vm-disk-files.js';
import type { VmLayout } from './vm-layout.js';
import { makeVmFolder } from './vm-runtime-files.js';
import type { VmStore } from './vm-store.js';

export class VmCloner {
  constructor(
    private readonly layout: VmLayout,
    private readonly store: VmStore,
    private readonly img: QemuImg,
    private readonly diskFiles: VmDiskFiles,
    private readonly firmware: FirmwareState,
  ) {}

  /** Runs inside the clone operation, holding both names. */
  async clone(source: VmDefinition, target: string, linked: boolean, op: OperationHandle): Promise<VmDefinition> {
    if (await this.store.exists(target)) throw new NovaError('already_exists', `VM ${target} already exists`);
    if (linked && !source.template) throw new NovaError('failed_precondition', `a linked clone needs a template: mark ${source.name} as a template first`);
    const dir = await makeVmFolder(this.layout, target);
    op.onUndo(async () => {
      await rm(dir, { recursive: true, force: true });
      await this.store.removeAll(target);
    });
    try {
      const disks: VmDisk[] = [];
      for (const [i, d] of source.disks.entries()) {
        op.throwIfCancelled();
        const path = join(dir, `${d.id}.qcow2`);
        if (linked) {
          op.progress({ phase: `creating ${d.id} on ${source.name}'s disk` });
          await this.img.createOverlay(path, d.path, d.format, await this.diskFiles.sizeOf(source, d, op.signal), { signal: op.signal });
        } else {
          await this.copyDisk(source, d, path, `copying ${d.id} (${i + 1} of ${source.disks.length})`, op);
        }
        disks.push({ ...d, path, format: 'qcow2', owned: true });
      }
      op.throwIfCancelled();
      op.progress({ phase: 'saving the definition', cancellable: false });
      // Its NVRAM and TPM go with it, so the clone boots as its source did.
      await this.firmware.copy(source, target);
      // A clone is the caller's own VM: it does not join the source's project.
      const { project: _sourceProject, ...unowned } = source;
      const def: VmDefinition = { ...unowned, name: target, disks, template: false, createdAt: new Date().toISOString() };
      await this.store.saveDefinition(def);
      return def;
    } catch (err) {
      if (!op.signal.aborted) throw err;
      throw new NovaError('cancelled', `clone of VM ${source.name} to ${target} was cancelled; nothing of ${target} was kept`);
    }
  }

  /** The disk's virtual size is what qemu-img's percentage counts, so bytes follow from it. */
  private async copyDisk(source: VmDefinition, d: VmDisk, path: string, phase: string, op: OperationHandle): Promise<void> {
    await this.diskFiles.withChain(source, d, op.signal, async (chain) => {
      const size = chain.top.virtualSize;
      op.progress({ phase, fraction: 0, bytesDone: 0, bytesTotal: size });
      const onProgress = (percent: number) => {
        const fraction = percent / 100;
        op.progress({ fraction, bytesDone: Math.round(fraction * size) });
      };
      await this.img.convert(chain.source(), path, { dstFormat: 'qcow2', what: `${d.id} of VM ${source.name}`, onProgress, signal: op.signal });
    });
  }
}
