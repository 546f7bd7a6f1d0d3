// Which files a VM's disks depend on and which VMs depend on a file: an image cannot be
// removed while a VM uses it, and a template cannot be deleted under its linked clones.
// Chains are read as at start (vm-disk-files.ts), through checked descriptors, without
// locks, so a running VM's disks are fine; a chain that cannot be read counts as none.
import type { VmDefinition, VmDisk } from '../../../src-shared/vm.js';
import { cdDrivesOf } from '../../../src-shared/vm-devices.js';
import type { VmDiskFiles } from './vm-disk-files.js';
import type { VmStore } from './vm-store.js';

export class DiskRelations {
  constructor(
    private readonly store: VmStore,
    private readonly diskFiles: VmDiskFiles,
  ) {}

  /** The files a disk reads through, nearest first. */
  async backingOf(def: VmDefinition, d: VmDisk): Promise<string[]> {
    if (d.format !== 'qcow2') return [];
    return this.diskFiles.withChain(def, d, undefined, async (chain) => chain.backing.map((f) => f.path)).catch(() => []);
  }

  /** The VM using this file (as a disk, a file below one, ISO, kernel or initrd), if any. */
  async userOf(path: string): Promise<string | null> {
    for (const name of await this.store.listNames()) {
      const def = await this.store.loadDefinition(name).catch(() => null);
      if (!def) continue;
      if (def.iso === path || def.kernel?.kernel === path || def.kernel?.initrd === path) return name;
      for (const d of def.disks) if (d.path === path || (await this.backingOf(def, d)).includes(path)) return name;
    }
    return null;
  }

  /** Every file some VM uses (disks, the files below them, ISOs, kernels, initrds), each with the VMs that use it. */
  async usersByPath(): Promise<Map<string, string[]>> {
    const users = new Map<string, string[]>();
    const add = (path: string | null | undefined, vm: string) => {
      if (!path) return;
      const list = users.get(path) ?? [];
      if (!list.includes(vm)) users.set(path, [...list, vm]);
    };
    for (const name of await this.store.listNames()) {
      const def = await this.store.loadDefinition(name).catch(() => null);
      if (!def) continue;
      for (const p of [...cdDrivesOf(def).map((c) => c.path), def.kernel?.kernel, def.kernel?.initrd]) add(p, name);
      for (const d of def.disks) for (const p of [d.path, ...(await this.backingOf(def, d))]) add(p, name);
    }
    return users;
  }

  /** A VM other than `except` whose disks, or the files below them, lie in `dir`. */
  async userUnder(dir: string, except: string): Promise<string | null> {
    const inside = (p: string) => p.startsWith(`${dir}/`);
    for (const name of await this.store.listNames()) {
      if (name === except) continue;
      const def = await this.store.loadDefinition(name).catch(() => null);
      if (!def) continue;
      for (const d of def.disks) if (inside(d.path) || (await this.backingOf(def, d)).some(inside)) return name;
    }
    return null;
  }

  /** The first other VM whose disks are overlays on this VM's disks (a linked clone), if any. */
  async linkedCloneOf(def: VmDefinition): Promise<string | null> {
    const own = new Set(def.disks.map((d) => d.path));
    for (const other of await this.store.listNames()) {
      if (other === def.name) continue;
      const o = await this.store.loadDefinition(other).catch(() => null);
      if (!o) continue;
      for (const d of o.disks) if ((await this.backingOf(o, d)).some((p) => own.has(p))) return other;
    }
    return null;
  }
}
