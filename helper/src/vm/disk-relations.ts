// Which files a VM's disks depend on and which VMs depend on a file: an image cannot be
// removed while a VM uses it, and a template cannot be deleted under its linked clones.
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { QemuImg } from './qemu-img.js';
import type { VmStore } from './vm-store.js';

export class DiskRelations {
  constructor(
    private readonly store: VmStore,
    private readonly img: QemuImg,
  ) {}

  /** The file an overlay reads through to, if any; read with -U, so a running VM's disk is fine. */
  async backingOf(path: string): Promise<string | null> {
    const info = await this.img.info(path, { shareLock: true }).catch(() => null);
    return info?.['full-backing-filename'] ?? info?.['backing-filename'] ?? null;
  }

  /** The VM using this file (as a disk, its backing file, ISO, kernel or initrd), if any. */
  async userOf(path: string): Promise<string | null> {
    for (const name of await this.store.listNames()) {
      const def = await this.store.loadDefinition(name).catch(() => null);
      if (!def) continue;
      if (def.iso === path || def.kernel?.kernel === path || def.kernel?.initrd === path) return name;
      for (const d of def.disks) if (d.path === path || (await this.backingOf(d.path)) === path) return name;
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
      for (const d of o.disks) {
        const backing = await this.backingOf(d.path);
        if (backing && own.has(backing)) return other;
      }
    }
    return null;
  }
}
