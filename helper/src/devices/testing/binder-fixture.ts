// One binder test's world: a fake host tree (FakeSysfs), the kernel model over it, a
// state dir for the journal, and a binder wired to all three, as the helper wires it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceInventoryService } from '../device-inventory.js';
import { DeviceJournal } from '../device-journal.js';
import type { HostIO } from '../host-io.js';
import { VfioBinder, type VfioBinderDeps } from '../vfio-binder.js';
import { FakeKernel } from './fake-kernel.js';
import { FakeSysfs } from './fake-sysfs.js';

export class BinderWorld {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'nv10b-state-'));
  kernel!: FakeKernel;
  readonly journal = new DeviceJournal(this.stateDir);
  private readonly inventory: DeviceInventoryService;

  constructor(readonly fs: FakeSysfs = new FakeSysfs({ prefix: 'nv10b-sysfs-' }).withIommu().vfioModule()) {
    this.inventory = new DeviceInventoryService({ roots: fs.roots(), isRoot: true });
  }

  /** Call once the tree holds its devices: the kernel learns its drivers' IDs from it. */
  boot(opts: { vfio?: boolean } = {}): this {
    this.kernel = new FakeKernel(this.fs);
    if (opts.vfio !== false) this.kernel.loadDriver('vfio-pci');
    return this;
  }

  binder(overrides: Partial<VfioBinderDeps> = {}): VfioBinder {
    return new VfioBinder({
      io: this.kernel.io(),
      journal: this.journal,
      devices: async () => (await this.inventory.list(true)).pci,
      unbindTimeoutMs: 200,
      verifyPolls: 10,
      verifyPollMs: 1,
      ...overrides,
    });
  }

  /**
   * An IO that stops forever at its `k`th write (counting from 0), before or after making
   * it: a helper killed there. `crashed` settles when it gets there.
   */
  crashingIO(k: number, when: 'before' | 'after'): { io: HostIO; crashed: Promise<void> } {
    const io = this.kernel.io();
    let n = 0;
    let signal = () => undefined as void;
    const crashed = new Promise<void>((resolve) => {
      signal = resolve;
    });
    const never = new Promise<void>(() => undefined);
    const at = async (make: () => Promise<void>) => {
      const i = n++;
      if (i < k) return make();
      if (i === k && when === 'after') await make().catch(() => undefined);
      signal();
      return never;
    };
    return {
      io: { ...io, writeAttr: (p, data) => at(() => io.writeAttr(p, data)), chown: (p, uid, gid) => at(() => io.chown(p, uid, gid)) },
      crashed,
    };
  }

  cleanup(): void {
    this.kernel?.releaseHung();
    this.fs.cleanup();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** The write log of binding `addresses` in order (VFIO.md 2.1): override, unbind, probe each. */
export function bindLog(addresses: readonly string[]): string[] {
  return addresses.flatMap((a) => [`devices/${a}/driver_override <- vfio-pci`, `devices/${a}/driver/unbind <- ${a}`, `drivers_probe <- ${a}`]);
}

/** The write log of restoring `addresses` (2.2), newest-bound first: clear, unbind, probe each. */
export function restoreLog(addresses: readonly string[]): string[] {
  return [...addresses].reverse().flatMap((a) => [`devices/${a}/driver_override <- ""`, `devices/${a}/driver/unbind <- ${a}`, `drivers_probe <- ${a}`]);
}
