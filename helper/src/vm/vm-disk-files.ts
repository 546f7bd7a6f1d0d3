// The files a VM's QEMU (or qemu-img on a stopped VM's disks) will open, checked again
// each time, since their contents may have changed since create: an image used in place
// is the caller's, and a disk made over to a user-run QEMU is theirs to rewrite. Each
// disk's chain is walked (disk-chain.ts) with the format Nova recorded, and the ISO,
// kernel and initrd are opened confined once more; the backing files found are what
// QEMU is told, node by node, so no header decides what it opens. For a start, the
// chains, the ISO, the kernel and the initrd stay open: QEMU gets those very descriptors
// (QemuDiskFiles), so a path swapped after the check changes nothing.
import { isAbsolute, relative, resolve } from 'node:path';
import type { VmDefinition, VmDisk } from '../../../src-shared/vm.js';
import { VM_DISK_FORMATS, type DiskChain, type DiskInspector } from './disk-chain.js';
import type { GuardedFile, PathGuard } from './path-guard.js';
import type { BackingFile, PassedFile } from './qemu-argv.js';
import type { DiskSource } from './qemu-img-argv.js';
import { checkPassedFileReach, type Credentials } from './run-as-user.js';

/** A VM's disk chains, ISO, kernel and initrd, open for its QEMU; close() once QEMU holds its copies, or the start failed. */
export class QemuDiskFiles {
  constructor(
    private readonly chains: ReadonlyMap<string, DiskChain>,
    /** The ISO, kernel and initrd, by those names. */
    private readonly named: ReadonlyMap<string, GuardedFile>,
  ) {}

  /** Each disk's backing files by disk id, nearest first. */
  get backing(): Record<string, BackingFile[]> {
    const out: Record<string, BackingFile[]> = {};
    for (const [id, chain] of this.chains) out[id] = chain.backing.map((f) => ({ path: f.path, format: f.format }));
    return out;
  }

  /** A disk's chain as qemu-img and qemu-io read it, from these descriptors; null for no such disk. */
  sourceOf(diskId: string): DiskSource | null {
    return this.chains.get(diskId)?.source() ?? null;
  }

  /** The helper's descriptor of each passed file, in the order QEMU gets them. */
  fdsFor(passed: readonly PassedFile[]): number[] {
    return passed.map((p) => {
      const file = this.named.get(p.disk) ?? this.chains.get(p.disk)?.files[p.level];
      if (!file) throw new Error(`no open file for QEMU's node ${p.node}`);
      return file.handle.fd;
    });
  }

  async close(): Promise<void> {
    await Promise.all([...[...this.chains.values()].map((c) => c.close()), ...[...this.named.values()].map((f) => f.handle.close().catch(() => undefined))]);
  }
}

export class VmDiskFiles {
  /**
   * @param novaFolders the image library and the VMs' folders: files there are Nova's own
   *   (library images, templates' disks), offered to every caller allowed to manage VMs.
   */
  constructor(
    private readonly guard: PathGuard,
    private readonly inspector: DiskInspector,
    novaFolders: readonly string[] = [],
  ) {
    this.novaFolders = novaFolders.map((dir) => resolve(dir));
  }

  private readonly novaFolders: readonly string[];

  /**
   * Every disk's chain, the ISO, the kernel and the initrd opened for QEMU, as it needs
   * them (the top of a writable disk read-write, everything else read-only); refuses a VM
   * with a file out of bounds. When QEMU runs as `user`, each file that user named must be
   * theirs to reach; the VM's own disks are handed to them, and Nova's own files are everyone's.
   */
  async openForQemu(def: VmDefinition, user: Credentials | null, signal?: AbortSignal): Promise<QemuDiskFiles> {
    const chains = new Map<string, DiskChain>();
    const named = new Map<string, GuardedFile>();
    try {
      for (const d of def.disks) {
        const opts = { what: `disk ${d.id} of VM ${def.name}`, formats: VM_DISK_FORMATS, format: d.format, openTopWritable: !d.readOnly, ...(signal ? { signal } : {}) };
        const chain = await this.inspector.inspect(d.path, opts);
        chains.set(d.id, chain);
        if (!user) continue;
        for (const [level, file] of chain.files.entries()) {
          if (level === 0 ? d.owned : this.isNovas(file.path)) continue;
          const what = level === 0 ? `disk ${d.id}` : `a backing file of disk ${d.id}`;
          await checkPassedFileReach(def, user, what, file, level === 0 && !d.readOnly ? 'rw' : 'r');
        }
      }
      // The kernel and initrd are checked against the user by name (run-as-user.ts), as QEMU reopens them.
      const others: Array<[string, string | null | undefined]> = [
        ['iso', def.iso],
        ...(def.cdroms ?? []).map((cd): [string, string | null] => [cd.id, cd.path]),
        ['kernel', def.kernel?.kernel],
        ['initrd', def.kernel?.initrd],
      ];
      for (const [what, path] of others) {
        if (!path) continue;
        const cd = what === 'iso' || what.startsWith('cd');
        const file = await this.guard.open(`the ${what === 'iso' ? 'ISO' : cd ? `ISO in ${what}` : what} of VM ${def.name}`, path);
        named.set(what, file);
        if (cd && user && !this.isNovas(file.path)) await checkPassedFileReach(def, user, 'its ISO', file, 'r');
      }
      return new QemuDiskFiles(chains, named);
    } catch (err) {
      await new QemuDiskFiles(chains, named).close();
      throw err;
    }
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

  /** A disk's checked chain, open for `work` (a copy reads it through its descriptors; a resize writes its top, opened `writable`), closed afterwards. */
  withChain<T>(def: VmDefinition, d: VmDisk, signal: AbortSignal | undefined, work: (chain: DiskChain) => Promise<T>, writable = false): Promise<T> {
    const opts = { what: `disk ${d.id} of VM ${def.name}`, formats: VM_DISK_FORMATS, format: d.format, openTopWritable: writable, ...(signal ? { signal } : {}) };
    return this.inspector.with(d.path, opts, work);
  }

  private isNovas(path: string): boolean {
    return this.novaFolders.some((dir) => {
      const rel = relative(dir, path);
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    });
  }
}
