// What the VM manager knows about each running VM beyond its QEMU: the definition that
// QEMU was started with (kept on disk, so pending changes are still shown after a helper
// restart and reattach), whether the guest has finished an install from its CD (offer to
// eject it), the install watch that tells, and the guest agent's watch (its addresses,
// and whether a clean shutdown or a filesystem freeze can go through it). vm-manager.ts
// owns the lifecycle and tells this book when a VM starts, is reattached, changes media
// live, or ends.
import type { GuestAgentInfo, VmDefinition } from '../../../src-shared/vm.js';
import type { Logger } from '../util/logger.js';
import { GuestAgentWatch } from './guest-agent-watch.js';
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
  /** The guest agent channel's socket of VM `name`. */
  guestAgentSocket: (name: string) => string;
}

export class RunningVmBook {
  private readonly startedWith = new Map<string, VmDefinition>();
  private readonly ejectSuggested = new Set<string>();
  private readonly agents = new Map<string, GuestAgentWatch>();

  constructor(private readonly deps: RunningVmBookDeps) {}

  /** QEMU was started from `def`: recorded before the VM is announced, so a helper killed right after still knows. */
  async started(def: VmDefinition, rt: VmRuntime): Promise<void> {
    this.startedWith.set(def.name, def);
    await this.persist(def);
    this.watchInstall(def.name, rt);
    this.watchAgent(def);
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
    this.watchAgent(recorded ?? current);
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
  hardwareOf(now: VmDefinition): { pendingChanges: string[]; ejectSuggested: boolean; guestAgent?: GuestAgentInfo } {
    const started = this.startedWith.get(now.name);
    const agent = this.agents.get(now.name);
    return { pendingChanges: started ? pendingChanges(started, now) : [], ejectSuggested: this.ejectSuggested.has(now.name), ...(agent ? { guestAgent: agent.info } : {}) };
  }

  /** The running VM's guest agent when it answers now; null without one. */
  async answeringAgent(name: string): Promise<GuestAgentWatch | null> {
    const agent = this.agents.get(name);
    return agent && (await agent.refresh()).answering ? agent : null;
  }

  /** QEMU is gone (or was never found): nothing is pending any more. */
  async ended(name: string): Promise<void> {
    this.startedWith.delete(name);
    this.ejectSuggested.delete(name);
    this.agents.get(name)?.stop();
    this.agents.delete(name);
    await this.deps.store.removeStartedWith(name).catch((err: unknown) => this.deps.logger.warn({ vm: name, err }, 'cannot remove the started-with record'));
  }

  private async persist(def: VmDefinition): Promise<void> {
    // Lost, it costs only the pending list after a restart: the VM itself runs on.
    await this.deps.store.saveStartedWith(def).catch((err: unknown) => this.deps.logger.warn({ vm: def.name, err }, 'cannot record what the VM was started with'));
  }

  /** `work` with the guest's filesystems frozen (caches written) where its agent answers; thawed whatever happens. */
  async withGuestFrozen<T>(name: string, work: () => Promise<T>): Promise<T> {
    const agent = this.agents.has(name) ? await this.answeringAgent(name) : null;
    const frozen = agent
      ? await agent.client.freeze().then(
          () => true,
          (err: unknown) => (this.deps.logger.warn({ vm: name, err }, 'filesystem freeze failed; going on without it'), false),
        )
      : false;
    try {
      return await work();
    } finally {
      if (frozen) await agent?.client.thaw().catch((err: unknown) => this.deps.logger.error({ vm: name, err }, 'thawing the guest filesystems failed'));
    }
  }

  private watchAgent(def: VmDefinition): void {
    this.agents.get(def.name)?.stop();
    if (def.guestAgent === true) this.agents.set(def.name, new GuestAgentWatch(this.deps.guestAgentSocket(def.name)));
  }

  /** Stops every agent watch (helper shutdown); the VMs run on. */
  detachAll(): void {
    for (const agent of this.agents.values()) agent.stop();
    this.agents.clear();
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
