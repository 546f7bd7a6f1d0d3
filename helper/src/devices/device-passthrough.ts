// What device.bind / device.restore / device.bindings serve, and what a VM's start and
// stop ask of devices: each change runs as an operation (or under the group's lock)
// so two requests for one IOMMU group queue or get `locked`, while other groups go on.
import type { DeviceBinding, DevicePolicy } from '../../../src-shared/device.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { ResourceRef } from '../../../src-shared/operation.js';
import type { OperationManager, Requester } from '../operations/operation-manager.js';
import type { DeviceJournal } from './device-journal.js';
import type { DeviceReservations, ProcessIdentity, VmDeviceRequest } from './device-reservations.js';
import type { HostIO } from './host-io.js';
import type { BindResult, VfioBinder } from './vfio-binder.js';

export interface DevicePassthroughDeps {
  io: HostIO;
  journal: DeviceJournal;
  binder: VfioBinder;
  reservations: DeviceReservations;
  operations: OperationManager;
}

const groupLock = (group: number): ResourceRef => ({ kind: 'device', name: `iommu-group-${group}` });

export class DevicePassthrough {
  constructor(private readonly deps: DevicePassthroughDeps) {}

  bindings(): ReturnType<DeviceJournal['all']> {
    return this.deps.journal.all();
  }

  async bind(p: { address: string; policy: DevicePolicy; singleGpu: boolean }, requester: Requester | null): Promise<BindResult> {
    const group = await this.groupOf(p.address);
    const spec = { kind: 'device.bind' as const, resource: { kind: 'device' as const, name: p.address }, title: `bind ${p.address} to vfio-pci`, locks: [groupLock(group)] };
    return this.deps.operations.run(spec, requester, async (op) => {
      const existing = await this.deps.journal.load(group);
      await this.refuseIfHeld(existing, p.address);
      op.progress({ phase: 'checking the group', fraction: 0, cancellable: false });
      return this.deps.binder.bind({
        address: p.address,
        policy: p.policy,
        holder: existing?.holder ?? { kind: 'manual' },
        singleGpu: p.singleGpu,
        onProgress: (fraction, phase) => op.progress({ phase, fraction, cancellable: false }),
      });
    });
  }

  async restore(address: string, requester: Requester | null): Promise<{ group: number | null; restored: string[] }> {
    const group = await this.groupOf(address);
    const spec = { kind: 'device.restore' as const, resource: { kind: 'device' as const, name: address }, title: `restore ${address} to its host driver`, locks: [groupLock(group)] };
    return this.deps.operations.run(spec, requester, async (op) => {
      const binding = await this.deps.journal.load(group);
      if (!binding) return { group, restored: [] };
      await this.refuseIfHeld(binding, address);
      op.progress({ phase: 'restoring the host drivers', fraction: 0, cancellable: false });
      await this.deps.binder.restore(group);
      return { group, restored: binding.functions.filter((f) => f.originalDriver !== 'vfio-pci').map((f) => f.address) };
    });
  }

  /** VM start: reserve and bind each device's group, under the groups' locks. */
  async acquireForVm(vm: string, requests: readonly VmDeviceRequest[], requester: Requester | null, singleGpu = false): Promise<DeviceBinding[]> {
    if (requests.length === 0) return [];
    const locks = await Promise.all(requests.map(async (r) => groupLock(await this.groupOf(r.address))));
    return this.deps.operations.exclusive(locks, `pass devices to VM ${vm}`, requester, () => this.deps.reservations.acquire(vm, requests, { singleGpu }));
  }

  heldBy(vm: string): Promise<DeviceBinding[]> {
    return this.deps.reservations.heldBy(vm);
  }

  attachProcess(vm: string, qemu: ProcessIdentity): Promise<void> {
    return this.deps.reservations.attachProcess(vm, qemu);
  }

  /** VM stop, crash or delete: restore per policy and release; nothing to do for a VM without devices. */
  async releaseForVm(vm: string): Promise<void> {
    const held = await this.deps.reservations.heldBy(vm);
    if (held.length === 0) return;
    await this.deps.operations.exclusive(held.map((b) => groupLock(b.group)), `release VM ${vm}'s devices`, null, () => this.deps.reservations.release(vm));
  }

  private async refuseIfHeld(binding: DeviceBinding | null, address: string): Promise<void> {
    const holder = binding?.holder ?? null;
    if (holder?.kind === 'vm' && (await this.deps.reservations.holderAlive(holder))) {
      throw new NovaError('failed_precondition', `${address} (IOMMU group ${binding!.group}) is held by VM ${holder.vm}; stop the VM first`);
    }
  }

  /** The group a device's link names; refuses here, before any lock, when there is none. */
  private async groupOf(address: string): Promise<number> {
    const dir = `/sys/bus/pci/devices/${address}`;
    if (!(await this.deps.io.exists(dir))) throw new NovaError('not_found', `No PCI device ${address} on this host (nova device ls lists them)`);
    const link = await this.deps.io.readLink(`${dir}/iommu_group`);
    const group = link === null ? NaN : Number(link.slice(link.lastIndexOf('/') + 1));
    if (!Number.isInteger(group)) {
      throw new NovaError('failed_precondition', `${address} is in no IOMMU group: the IOMMU is off or does not cover this slot, so nothing can be passed through (nova device check ${address} says how to turn it on)`);
    }
    return group;
  }
}
