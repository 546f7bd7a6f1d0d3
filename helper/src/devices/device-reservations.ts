// Who holds which IOMMU group: one group, one VM (or an administrator's explicit bind).
// A VM asking for a member of a group another living VM holds is refused, naming it;
// a holder whose QEMU (or, while it starts, whose helper) is dead is stale and its
// group is reclaimed. The holder lives in the group's binding record, so the journal
// and the reservation can never disagree.
import type { DeviceBinding, DeviceHolder, DevicePolicy } from '../../../src-shared/device.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { DeviceJournal } from './device-journal.js';
import type { VfioBinder } from './vfio-binder.js';

export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

export interface DeviceReservationsDeps {
  journal: DeviceJournal;
  binder: VfioBinder;
  /** The one liveness rule (util/proc-stat.ts): pid alive, not a zombie, same start time. */
  isAlive: (pid: number, startTime: string) => Promise<boolean>;
  /** This helper, recorded on a reservation until the VM's QEMU runs. */
  self: ProcessIdentity;
  log?: (message: string) => void;
}

export interface VmDeviceRequest {
  address: string;
  policy: DevicePolicy;
}

export class DeviceReservations {
  constructor(private readonly deps: DeviceReservationsDeps) {}

  async holderAlive(holder: DeviceHolder | null): Promise<boolean> {
    if (holder === null) return false;
    if (holder.kind === 'manual') return true;
    if (holder.pid !== null && holder.startTime !== null) return this.deps.isAlive(holder.pid, holder.startTime);
    return this.deps.isAlive(holder.helperPid, holder.helperStartTime);
  }

  /**
   * Reserves and binds every group the VM's devices sit in, all or nothing: a refusal
   * or failure on the third device restores the first two.
   */
  async acquire(vm: string, requests: readonly VmDeviceRequest[], opts: { singleGpu?: boolean; onProgress?: (fraction: number, phase: string) => void } = {}): Promise<DeviceBinding[]> {
    const held: DeviceBinding[] = [];
    try {
      for (const [i, req] of requests.entries()) {
        opts.onProgress?.(i / requests.length, `reserving ${req.address}`);
        const plan = await this.deps.binder.plan(req.address, opts.singleGpu);
        if (held.some((b) => b.group === plan.group)) continue;
        await this.claim(vm, plan.group, req.address);
        const holder: DeviceHolder = { kind: 'vm', vm, pid: null, startTime: null, helperPid: this.deps.self.pid, helperStartTime: this.deps.self.startTime };
        const { binding } = await this.deps.binder.bind({ address: req.address, policy: req.policy, holder, ...(opts.singleGpu ? { singleGpu: true } : {}) });
        binding.holder = holder;
        await this.deps.journal.save(binding);
        held.push(binding);
      }
    } catch (err) {
      await this.releaseBindings(held);
      throw err;
    }
    return held;
  }

  /** QEMU runs: the reservation now lives exactly as long as it does. */
  async attachProcess(vm: string, qemu: ProcessIdentity): Promise<void> {
    for (const binding of await this.heldBy(vm)) {
      if (binding.holder?.kind !== 'vm') continue;
      binding.holder = { ...binding.holder, pid: qemu.pid, startTime: qemu.startTime };
      await this.deps.journal.save(binding);
    }
  }

  /** The VM stopped, crashed or was deleted: restore (or keep, per policy) and release. */
  async release(vm: string): Promise<void> {
    await this.releaseBindings(await this.heldBy(vm));
  }

  async heldBy(vm: string): Promise<DeviceBinding[]> {
    const { bindings } = await this.deps.journal.all();
    return bindings.filter((b) => b.holder?.kind === 'vm' && b.holder.vm === vm);
  }

  /** At helper start: what a dead holder left is restored and released; a living QEMU keeps its devices. */
  async recover(): ReturnType<VfioBinder['recover']> {
    const outcomes = await this.deps.binder.recover((b) => this.holderAlive(b.holder));
    // A group kept on vfio-pci by policy outlives its dead VM, but not the VM's claim on it.
    for (const binding of (await this.deps.journal.all()).bindings) {
      if (binding.holder?.kind === 'vm' && !(await this.holderAlive(binding.holder))) await this.deps.journal.save({ ...binding, holder: null });
    }
    return outcomes;
  }

  private async claim(vm: string, group: number, address: string): Promise<void> {
    const existing = await this.deps.journal.load(group);
    const holder = existing?.holder ?? null;
    if (holder === null || (holder.kind === 'vm' && holder.vm === vm)) return;
    if (holder.kind === 'manual') return;
    if (await this.holderAlive(holder)) {
      throw new NovaError('failed_precondition', `${address} (IOMMU group ${group}) is in use by VM ${holder.vm}: a group goes to one VM at a time`, { group, holder: holder.vm });
    }
    this.deps.log?.(`reclaiming IOMMU group ${group} from VM ${holder.vm}: its QEMU (pid ${holder.pid ?? 'none yet'}) is gone`);
    existing!.holder = null;
    await this.deps.journal.save(existing!);
  }

  private async releaseBindings(bindings: readonly DeviceBinding[]): Promise<void> {
    const failures: string[] = [];
    for (const binding of [...bindings].reverse()) {
      try {
        if (binding.policy === 'restore') {
          await this.deps.binder.restore(binding.group);
        } else {
          const current = await this.deps.journal.load(binding.group);
          if (current) await this.deps.journal.save({ ...current, holder: null });
        }
      } catch (err) {
        failures.push(`group ${binding.group}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) {
      this.deps.log?.(`releasing devices failed: ${failures.join('; ')}`);
      throw new NovaError('internal', `Releasing passed-through devices failed: ${failures.join('; ')}`);
    }
  }
}
