// What the VM manager knows about each running VM beyond its QEMU: the definition that
// QEMU was started with (kept on disk, so pending changes are still shown after a helper
// restart and reattach), whether the guest has finished an install from its CD (offer to
// eject it), and the install watch that tells. vm-manager.ts owns the lifecycle and
// tells this book when a VM starts, is reattached, changes media live, or ends.
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { Logger } from '../util/logger.js';
import { watchInstallFinish } from './install-finish-watch.js';
import type { VmRuntime } from './vm-runtime.js';
import { pendingChanges } from './vm-pending-changes.js';
import type { VmStore } from './vm-store.js';

export interface RunningVmBookDeps {
  store: VmStore;
  logger: Logger;
  /** Whether the disk `diskId` of VM `name` now holds a partition table (read from its file). */
  diskInstalled: (name: string, diskId: string) => Promise<boolean>;
  /** The install finished: tell the VM's watchers. */
  onInstallFinished: (name: string, rt: VmRuntime) => void;
}

export class RunningVmBook {
  private readonly startedWith = new Map<string, VmDefinition>();
  private readonly ejectSuggested = new Set<string>();

  constructor(private readonly deps: RunningVmBookDeps) {}

  /** QEMU was started from `def`: recorded before the VM is announced, so a helper killed right after still knows. */
  async started(def: VmDefinition, rt: VmRuntime): Promise<void> {
    this.startedWith.set(def.name, def);
    await this.persist(def);
    this.watchInstall(def.name, rt);
  }

  /**
   * A QEMU found running after a helper restart: what it was started with comes from its
   * record; a VM started by a helper that kept none is taken as started from `current`.
   */
  async reattached(current: VmDefinition, rt: VmRuntime): Promise<void> {
    const recorded = await this.deps.store.loadStartedWith(current.name);
    this.startedWith.set(current.name, recorded ?? current);
    if (!recorded) await this.persist(current);
    this.watchInstall(current.name, rt);
  }

  /** The running QEMU took a CD change live: it now has the definition's installer medium. */
  async mediaChanged(name: string, iso: string | null): Promise<void> {
    const started = this.startedWith.get(name);
    if (started && started.iso !== iso) {
      const next = { ...started, iso };
      this.startedWith.set(name, next);
      await this.persist(next);
    }
    if (iso === null) this.ejectSuggested.delete(name);
  }

  /** What the running VM has not taken from `now`, and whether to offer the eject. */
  hardwareOf(now: VmDefinition): { pendingChanges: string[]; ejectSuggested: boolean } {
    const started = this.startedWith.get(now.name);
    return { pendingChanges: started ? pendingChanges(started, now) : [], ejectSuggested: this.ejectSuggested.has(now.name) };
  }

  /** QEMU is gone (or was never found): nothing is pending any more. */
  async ended(name: string): Promise<void> {
    this.startedWith.delete(name);
    this.ejectSuggested.delete(name);
    await this.deps.store.removeStartedWith(name).catch((err: unknown) => this.deps.logger.warn({ vm: name, err }, 'cannot remove the started-with record'));
  }

  private async persist(def: VmDefinition): Promise<void> {
    // Lost, it costs only the pending list after a restart: the VM itself runs on.
    await this.deps.store.saveStartedWith(def).catch((err: unknown) => this.deps.logger.warn({ vm: def.name, err }, 'cannot record what the VM was started with'));
  }

  /** After an ISO install the guest restarts itself: from then on the VM offers to eject the CD. */
  private watchInstall(name: string, rt: VmRuntime): void {
    watchInstallFinish(rt.qmp, {
      installing: () => {
        const def = this.startedWith.get(name);
        return def?.iso && def.disks[0] && !def.kernel ? { diskId: def.disks[0].id } : null;
      },
      installed: (diskId) => this.deps.diskInstalled(name, diskId),
      onFinished: () => {
        this.ejectSuggested.add(name);
        this.deps.onInstallFinished(name, rt);
      },
    });
  }
}
