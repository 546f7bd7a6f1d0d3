// What a VM's start and end ask of its passed-through PCI devices (VFIO.md 3): at start
// the groups are checked, reserved and bound (all or nothing), /dev/vfio/N goes to the
// user QEMU runs as, and QEMU gets its vfio-pci arguments and a memlock limit of guest
// RAM + 1 GiB; when QEMU is gone (stop, crash, failed start, delete) the nodes go back
// to root and the groups are restored per policy and released. The USB nodes and the
// Looking Glass file a user's QEMU opens are handed over and back beside them
// (vm-node-handover.ts).
import { access, constants } from 'node:fs/promises';
import type { PciDevice, UsbDevice } from '../../../src-shared/device.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import type { DeviceInventoryService } from './device-inventory.js';
import type { DevicePassthrough } from './device-passthrough.js';
import type { HostIO } from './host-io.js';
import { memlockBytes, memlockPrefix, vfioDeviceArgs, type PassedPciFunction } from './vfio-argv.js';
import { handOverGroups, takeBackGroups } from './vfio-group-access.js';
import { mdevDeviceArgs } from './mdev-instances.js';
import type { VmNodeHandover } from './vm-node-handover.js';
import { createVmMdevs, removeVmMdevs, vmMdevUuid } from './vm-mdevs.js';

/** The argv pieces a start with devices adds around QEMU's own. */
export interface PreparedVmDevices {
  /** Put before QEMU's binary: raises its RLIMIT_MEMLOCK. */
  prefix: string[];
  /** Put after QEMU's arguments: root ports and vfio-pci devices. */
  args: string[];
}

/** The launcher's view: nothing here runs for a VM without devices. */
export interface VmDevicePort {
  prepare(def: VmDefinition, user: { uid: number; gid: number } | null, phase: (phase: string) => void): Promise<PreparedVmDevices | null>;
  /** What prepare() would add, reading the host and changing nothing (for `nova vm showcmd`). */
  preview(def: VmDefinition): Promise<PreparedVmDevices | null>;
  attached(vm: string, qemu: { pid: number; startTime: string }): Promise<void>;
  /** Before every start: the host nodes besides VFIO groups that QEMU opens (USB, Looking Glass). */
  handOverNodes(def: VmDefinition, user: { uid: number; gid: number } | null): Promise<void>;
  release(vm: string): Promise<void>;
  /** The host's USB devices now, for vm.update's check that one is plugged in. */
  hostUsb?(): Promise<UsbDevice[]>;
  /** A USB device's node to the user the running QEMU of `pid` runs as, before it is plugged in live. */
  handOverUsb?(vm: string, selector: string, pid: number | null): Promise<void>;
}

export interface VmDevicesDeps {
  io: HostIO;
  inventory: DeviceInventoryService;
  passthrough: DevicePassthrough;
  runner: ProcessRunner;
  logger: Logger;
  /** The host's /sys as QEMU must see it (a test tree in tests). */
  sysfsRoot: string;
  /** This helper's hard RLIMIT_MEMLOCK, from /proc/self/limits; QEMU's own limit can go no higher. */
  helperMemlockHard: () => Promise<number>;
  /**
   * False only for a test's fake device host, whose groups QEMU can never open, so it
   * pins nothing: the limit is then capped at what the helper has instead of raised.
   */
  pinsMemory?: boolean;
  /** USB nodes and the Looking Glass file; left out by tests of the VFIO side alone. */
  nodes?: VmNodeHandover;
}

export class VmDevices implements VmDevicePort {
  constructor(private readonly deps: VmDevicesDeps) {}

  async prepare(def: VmDefinition, user: { uid: number; gid: number } | null, phase: (phase: string) => void): Promise<PreparedVmDevices | null> {
    const requests = def.devices ?? [];
    if (requests.length === 0) return this.mdevsOnly(def, user, phase);
    refuseBootGpu(def, (await this.deps.inventory.list(true)).pci);
    phase(`binding ${requests.map((d) => d.address).join(', ')} to vfio-pci`);
    const bindings = await this.deps.passthrough.acquireForVm(def.name, requests, null, def.singleGpu === true);
    try {
      const groups = bindings.map((b) => b.group);
      if (user) await handOverGroups(this.deps.io, groups, user.uid, user.gid);
      const memlock = await this.memlockFor(def.memoryMiB);
      const byAddress = new Map((await this.deps.inventory.list(true)).pci.map((d) => [d.address, d]));
      // The whole group goes to the guest: a group is never split between a VM and the host.
      const functions = bindings.flatMap((b) => b.functions).map((f) => passedFunction(f.address, byAddress.get(f.address), def));
      await checkRoms(functions);
      const mdevArgs = await this.mdevArgs(def, user, phase);
      return { prefix: memlockPrefix(memlock), args: [...vfioDeviceArgs(functions, { firmware: def.firmware, sysfsRoot: this.deps.sysfsRoot }), ...mdevArgs] };
    } catch (err) {
      await this.release(def.name).catch((releaseErr: unknown) => this.deps.logger.error({ vm: def.name, err: releaseErr }, 'giving back the devices of a failed start failed'));
      throw err;
    }
  }

  async preview(def: VmDefinition): Promise<PreparedVmDevices | null> {
    const requests = def.devices ?? [];
    // The instances a start would make, under the names it would give them; none is made now.
    const mdevArgs = (def.mdevs ?? []).flatMap((_, i) => mdevDeviceArgs({ uuid: vmMdevUuid(def.name, i) }, i, this.deps.sysfsRoot));
    if (requests.length === 0) return mdevArgs.length === 0 ? null : { prefix: memlockPrefix(memlockBytes(def.memoryMiB)), args: mdevArgs };
    const host = (await this.deps.inventory.list(true)).pci;
    const byAddress = new Map(host.map((d) => [d.address, d]));
    const addresses = new Set<string>();
    for (const r of requests) {
      const d = byAddress.get(r.address);
      if (!d) throw new NovaError('not_found', `VM ${def.name} passes ${r.address}, which is no PCI device on this host (nova device ls lists them)`);
      // The endpoints a bind moves: the group's, bridges and pci-stub devices staying.
      const mates = d.iommuGroup === null ? [d.address] : d.groupMembers.filter((m) => !m.bridge && m.driver !== 'pci-stub').map((m) => m.address);
      for (const a of mates) addresses.add(a);
    }
    const functions = [...addresses].map((a) => passedFunction(a, byAddress.get(a), def));
    return { prefix: memlockPrefix(memlockBytes(def.memoryMiB)), args: [...vfioDeviceArgs(functions, { firmware: def.firmware, sysfsRoot: this.deps.sysfsRoot }), ...mdevArgs] };
  }

  attached(vm: string, qemu: { pid: number; startTime: string }): Promise<void> {
    return this.deps.passthrough.attachProcess(vm, qemu);
  }

  async handOverNodes(def: VmDefinition, user: { uid: number; gid: number } | null): Promise<void> {
    await this.deps.nodes?.handOver(def, user);
  }

  async hostUsb(): Promise<UsbDevice[]> {
    return (await this.deps.inventory.list(true)).usb;
  }

  async handOverUsb(vm: string, selector: string, pid: number | null): Promise<void> {
    await this.deps.nodes?.handOverToQemu(vm, selector, pid);
  }

  async release(vm: string): Promise<void> {
    // A node that would not go back never keeps the groups from going back too.
    const nodesFailed = await this.deps.nodes?.takeBack(vm).then(() => null, (err: unknown) => err);
    await removeVmMdevs(this.deps.io, vm);
    const held = await this.deps.passthrough.heldBy(vm);
    if (held.length > 0) {
      await takeBackGroups(this.deps.io, held.map((b) => b.group));
      await this.deps.passthrough.releaseForVm(vm);
    }
    if (nodesFailed) throw nodesFailed;
  }

  /** A VM with mediated devices and no PCI ones: the instances, and the memlock VFIO needs for them too. */
  private async mdevsOnly(def: VmDefinition, user: { uid: number; gid: number } | null, phase: (phase: string) => void): Promise<PreparedVmDevices | null> {
    if ((def.mdevs ?? []).length === 0) return null;
    try {
      const args = await this.mdevArgs(def, user, phase);
      return { prefix: memlockPrefix(await this.memlockFor(def.memoryMiB)), args };
    } catch (err) {
      await removeVmMdevs(this.deps.io, def.name).catch(() => undefined);
      throw err;
    }
  }

  /** The instances made (vm-mdevs.ts), their groups' /dev/vfio nodes handed to QEMU's user. */
  private async mdevArgs(def: VmDefinition, user: { uid: number; gid: number } | null, phase: (phase: string) => void): Promise<string[]> {
    if ((def.mdevs ?? []).length === 0) return [];
    phase(`making ${def.mdevs!.map((m) => `${m.type} on ${m.parent}`).join(', ')}`);
    const args = await createVmMdevs(this.deps.io, def, this.deps.sysfsRoot);
    if (user) {
      const groups: number[] = [];
      for (let i = 0; i < def.mdevs!.length; i++) {
        const link = await this.deps.io.readLink(`/sys/bus/mdev/devices/${vmMdevUuid(def.name, i)}/iommu_group`);
        if (link !== null) groups.push(Number(link.split('/').pop()));
      }
      await handOverGroups(this.deps.io, groups, user.uid, user.gid);
    }
    return args;
  }

  /**
   * A child may lower its hard limit but not raise it: the helper's own hard limit is
   * raised (never lowered) so QEMU, run as a user, can set soft = hard = what it needs.
   */
  private async memlockFor(memoryMiB: number): Promise<number> {
    const bytes = memlockBytes(memoryMiB);
    const hard = await this.deps.helperMemlockHard();
    if (hard >= bytes) return bytes;
    if (this.deps.pinsMemory === false) return hard;
    const r = await this.deps.runner.run({ argv: ['prlimit', `--pid=${process.pid}`, `--memlock=:${bytes}`], timeoutMs: 10_000, allowFailure: true });
    if (r.exitCode !== 0) {
      throw new NovaError('unsupported', `VFIO pins all guest memory, so QEMU needs a locked-memory limit of ${bytes} bytes (guest RAM + 1 GiB), but the helper cannot raise its own (${hard} bytes): ${r.stderr.trim() || `prlimit exited ${r.exitCode}`}. The helper needs CAP_SYS_RESOURCE (it has it when run by systemd as root)`);
    }
    return bytes;
  }
}

/**
 * The boot GPU anywhere in the groups the VM's devices take, refused before any group is
 * bound unless the VM is in single-GPU mode: the binder would refuse it too, but only
 * when it reaches that device, after binding the ones listed before it.
 */
export function refuseBootGpu(def: Pick<VmDefinition, 'name' | 'devices' | 'singleGpu'>, host: readonly PciDevice[]): void {
  if (def.singleGpu === true) return;
  const byAddress = new Map(host.map((d) => [d.address, d]));
  for (const r of def.devices ?? []) {
    const d = byAddress.get(r.address);
    const members = d ? [d.address, ...d.groupMembers.map((m) => m.address)] : [];
    const boot = members.map((a) => byAddress.get(a)).find((m) => m?.bootVga === true && m.driver !== 'vfio-pci');
    if (boot) {
      throw new NovaError('failed_precondition', `VM ${def.name} passes ${r.address}, and ${boot.address === r.address ? 'it' : `its IOMMU group holds ${boot.address}, which`} is the boot GPU the host display runs on: the host screen would go dark while the VM runs. Nothing was changed. To do it anyway, turn on single-GPU mode (nova vm set ${def.name} --single-gpu, or single_gpu = true in the NovaFile)`, { address: boot.address });
    }
  }
}

function passedFunction(address: string, d: PciDevice | undefined, def: VmDefinition): PassedPciFunction {
  const rom = def.devices?.find((r) => r.address === address)?.rom;
  return { address, classCode: d?.classCode ?? '000000', isVf: (d?.physfn ?? null) !== null, ...(rom ? { rom } : {}) };
}

/** A ROM QEMU cannot read fails its start with a bare "failed to find romfile": said here, naming the device. */
async function checkRoms(functions: readonly PassedPciFunction[]): Promise<void> {
  for (const f of functions) {
    if (!f.rom) continue;
    await access(f.rom, constants.R_OK).catch((err: unknown) => {
      throw new NovaError('failed_precondition', `the ROM file ${f.rom} of ${f.address} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): put the ROM image there, or remove rom from the device`);
    });
  }
}

/** The hard "Max locked memory" of /proc/self/limits, in bytes (Infinity for unlimited). */
export function parseMemlockHard(limits: string): number {
  const line = limits.split('\n').find((l) => l.startsWith('Max locked memory'));
  const hard = line?.trim().split(/\s+/)[4];
  if (hard === 'unlimited') return Infinity;
  return hard !== undefined && /^\d+$/.test(hard) ? Number(hard) : 0;
}
