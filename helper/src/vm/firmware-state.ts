// A UEFI VM's NVRAM and a VM's TPM state belong to its snapshots and clones, so a VM
// reverts whole (boot entries, Secure Boot keys, BitLocker's TPM-sealed secrets). Disks
// hold their snapshots inside the qcow2; these files are copied beside them, one folder
// per snapshot (VMDIR/firmware-snapshots/SNAP). While the VM runs, QEMU's saved state
// already carries the TPM's (the emulator backend migrates swtpm's state), so a running
// restore puts back only the NVRAM file, which pflash writes through to on every change.
import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { isUefi } from '../../../src-shared/vm-platform.js';
import { claimFolder, removeConfined } from '../safe-fs/confined-write.js';
import { openConfined } from '../safe-fs/confined-open.js';
import { copyStateFile, copyStateFolder, readStateFile } from './tpm-state.js';
import type { VmLayout } from './vm-layout.js';

const NVRAM = 'OVMF_VARS.fd';
const TPM = 'tpm';

/** Whether the VM has firmware state worth keeping with its snapshots. */
export function hasFirmwareState(def: VmDefinition): boolean {
  return isUefi(def.firmware) || def.tpm === true;
}

export class FirmwareState {
  constructor(private readonly layout: VmLayout) {}

  private get root(): string {
    return this.layout.vmsDir;
  }

  /** Copies the NVRAM and TPM state as they are now into the snapshot's folder. */
  async save(def: VmDefinition, snap: string): Promise<void> {
    if (!hasFirmwareState(def)) return;
    const dir = this.layout.firmwareSnapshotDir(def.name, snap);
    await claimFolder(this.root, dirname(dir), { mode: 0o700, what: `the firmware snapshots of VM ${def.name}` });
    await removeConfined(this.root, dir);
    await claimFolder(this.root, dir, { mode: 0o700, what: `the firmware state of snapshot ${snap}` });
    if (isUefi(def.firmware)) await copyStateFile(this.root, this.layout.runtimePaths(def.name).uefiVars, join(dir, NVRAM), `the UEFI variables of VM ${def.name}`);
    if (def.tpm === true) await copyStateFolder(this.root, this.layout.tpmStateDir(def.name), join(dir, TPM), `the TPM state of VM ${def.name}`);
  }

  /** Puts the snapshot's NVRAM (and, stopped, its TPM state) back; a snapshot taken before Nova kept them changes nothing. */
  async restore(def: VmDefinition, snap: string, running: boolean): Promise<void> {
    if (!hasFirmwareState(def)) return;
    const dir = this.layout.firmwareSnapshotDir(def.name, snap);
    if (isUefi(def.firmware)) await this.putBack(join(dir, NVRAM), this.layout.runtimePaths(def.name).uefiVars, running, `the UEFI variables of VM ${def.name}`);
    if (def.tpm === true && !running) {
      const saved = join(dir, TPM);
      if ((await lstat(saved).catch(() => null))?.isDirectory()) await copyStateFolder(this.root, saved, this.layout.tpmStateDir(def.name), `the TPM state of VM ${def.name}`);
    }
  }

  async remove(def: VmDefinition, snap: string): Promise<void> {
    await removeConfined(this.root, this.layout.firmwareSnapshotDir(def.name, snap), `the firmware state of snapshot ${snap}`);
  }

  /** A clone starts with its source's NVRAM and TPM state (and none of its snapshots'). */
  async copy(source: VmDefinition, target: string): Promise<void> {
    if (isUefi(source.firmware)) await copyStateFile(this.root, this.layout.runtimePaths(source.name).uefiVars, this.layout.runtimePaths(target).uefiVars, `the UEFI variables of VM ${source.name}`);
    if (source.tpm === true) await copyStateFolder(this.root, this.layout.tpmStateDir(source.name), this.layout.tpmStateDir(target), `the TPM state of VM ${source.name}`);
  }

  /**
   * A running QEMU holds the NVRAM open: its bytes are rewritten in place (the same file, so
   * QEMU's descriptor sees them); stopped, the file is replaced.
   */
  private async putBack(saved: string, live: string, running: boolean, what: string): Promise<void> {
    if (!running) {
      if (await lstat(saved).catch(() => null)) await copyStateFile(this.root, saved, live, what);
      return;
    }
    const data = await readStateFile(this.root, saved, what);
    if (!data) return;
    const { handle } = await openConfined(this.root, live, { what, writable: true });
    try {
      await handle.write(data, 0, data.length, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
