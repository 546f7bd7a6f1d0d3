// What a running VM leaves on the host besides QEMU itself: its runtime dir of sockets,
// its logs, its runtime record and its tap. Made fresh before QEMU starts, and removed
// (or kept as a `crashed` record) when QEMU ends, whichever way it ended.
import { copyFile, mkdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { Logger } from '../util/logger.js';
import type { VmRuntimePaths } from './qemu-argv.js';
import type { VmLayout } from './vm-layout.js';
import type { VmNetworkPort, VmTap } from './vm-network.js';
import type { RuntimeRecord, VmStore } from './vm-store.js';

export class VmRuntimeFiles {
  constructor(
    private readonly layout: VmLayout,
    private readonly store: VmStore,
    private readonly networks: VmNetworkPort,
    private readonly logger: Logger,
    private readonly ovmfVars: string | undefined,
  ) {}

  /** An empty runtime dir, no logs of the previous run, and the VM's own UEFI variables. */
  async prepare(def: VmDefinition): Promise<VmRuntimePaths> {
    const paths = this.layout.runtimePaths(def.name);
    const runDir = this.layout.vmRunDir(def.name);
    await rm(runDir, { recursive: true, force: true });
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    await mkdir(this.layout.vmDir(def.name), { recursive: true, mode: 0o700 });
    await unlink(paths.serialLog).catch(() => undefined);
    await rm(this.layout.qemuLog(def.name), { force: true });
    if (def.firmware === 'uefi' && this.ovmfVars && !(await stat(paths.uefiVars).catch(() => null))) {
      await copyFile(this.ovmfVars, paths.uefiVars);
    }
    return paths;
  }

  /** Written before QMP is up, so a helper killed right then still finds (and can kill) the QEMU. */
  async saveRecord(name: string, record: RuntimeRecord): Promise<void> {
    await this.store.saveRuntime(name, record);
  }

  /** After a stop: nothing of the run remains. */
  async remove(name: string, record: RuntimeRecord | null): Promise<void> {
    await rm(this.layout.vmRunDir(name), { recursive: true, force: true });
    if (record?.tap) await this.releaseTap(name, record.tap);
    await this.store.removeRuntime(name);
  }

  /** After a crash: the sockets and tap go, the record stays with the reason until the VM is started or stopped. */
  async markCrashed(name: string, record: RuntimeRecord, reason: string): Promise<void> {
    await rm(this.layout.vmRunDir(name), { recursive: true, force: true });
    if (record.tap) await this.releaseTap(name, record.tap);
    await this.store.saveRuntime(name, { ...record, crashed: { reason, at: new Date().toISOString() } });
    this.logger.warn({ vm: name, reason }, 'VM crashed');
  }

  /** Gives the tap back; a failure is logged, never thrown, so stopping a VM always completes. */
  async releaseTap(name: string, tap: VmTap): Promise<void> {
    try {
      await this.networks.detachTap(tap.network, name);
    } catch (err) {
      this.logger.warn({ err, vm: name, network: tap.network }, 'could not remove the tap of a stopped VM');
    }
  }

  /** A deleted VM's files; with `keepDisks`, the disks it owns stay in its folder. */
  async removeVm(def: VmDefinition, keepDisks: boolean): Promise<void> {
    const dir = this.layout.vmDir(def.name);
    if (keepDisks) {
      const keep = new Set(def.disks.filter((d) => d.owned).map((d) => d.path));
      const files = [join(dir, 'serial.log'), this.layout.qemuLog(def.name), join(dir, 'cidata'), this.layout.cloudInitSeed(def.name), this.layout.runtimePaths(def.name).uefiVars];
      for (const f of files) if (!keep.has(f)) await rm(f, { recursive: true, force: true });
    } else {
      await rm(dir, { recursive: true, force: true });
    }
    await rm(this.layout.vmRunDir(def.name), { recursive: true, force: true });
    await this.store.removeAll(def.name);
  }
}
