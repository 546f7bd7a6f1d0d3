// The files a VM's QEMU (or qemu-img on a stopped VM's disks) will open, checked again
// each time, since their contents may have changed since create: an image used in place
// is the caller's, and a disk made over to a user-run QEMU is theirs to rewrite. Each
// disk's chain is walked (disk-chain.ts) with the format Nova recorded, and the ISO,
// kernel and initrd are opened confined once more; the backing files found are what
// QEMU is told, node by node, so no header decides what it opens.
import type { VmDefinition, VmDisk } from '../../../src-shared/vm.js';
import { VM_DISK_FORMATS, type DiskChain, type DiskInspector } from './disk-chain.js';
import type { PathGuard } from './path-guard.js';
import type { BackingFile } from './qemu-argv.js';

export class VmDiskFiles {
  constructor(
    private readonly guard: PathGuard,
    private readonly inspector: DiskInspector,
  ) {}

  /** Each disk's backing files by disk id, nearest first; refuses a VM with a file out of bounds. */
  async check(def: VmDefinition, signal?: AbortSignal): Promise<Record<string, BackingFile[]>> {
    const backing = await this.checkDisks(def, def.disks, signal);
    const named: Array<[string, string | null | undefined]> = [
      ['ISO', def.iso],
      ['kernel', def.kernel?.kernel],
      ['initrd', def.kernel?.initrd],
    ];
    for (const [what, path] of named) if (path) await this.guard.existingFile(`the ${what} of VM ${def.name}`, path);
    return backing;
  }

  /** The backing files of these disks of `def` (qemu-img is about to work on them), nearest first. */
  async checkDisks(def: VmDefinition, disks: readonly VmDisk[], signal?: AbortSignal): Promise<Record<string, BackingFile[]>> {
    const backing: Record<string, BackingFile[]> = {};
    for (const d of disks) backing[d.id] = await this.withChain(def, d, signal, async (chain) => chain.backing.map((f) => ({ path: f.path, format: f.format })));
    return backing;
  }

  /** A disk's virtual size, from its checked header (an overlay on it is made that large). */
  async sizeOf(def: VmDefinition, d: VmDisk, signal?: AbortSignal): Promise<number> {
    return this.withChain(def, d, signal, async (chain) => chain.top.virtualSize);
  }

  /** A disk's checked chain, open for `work` (a copy reads it through its descriptors), closed afterwards. */
  withChain<T>(def: VmDefinition, d: VmDisk, signal: AbortSignal | undefined, work: (chain: DiskChain) => Promise<T>): Promise<T> {
    const opts = { what: `disk ${d.id} of VM ${def.name}`, formats: VM_DISK_FORMATS, format: d.format, ...(signal ? { signal } : {}) };
    return this.inspector.with(d.path, opts, work);
  }
}
