// The device half of `vm.update`: disks added (new, or a caller's file used in place),
// removed or detached, grown, their bus and cache; CD drives and their media; the NICs
// (vm-nic-update.ts); the machine and the boot order. On a stopped VM everything goes
// into the definition. On a running one, media, disk growth and the link go to QEMU now
// (vm-live-devices.ts) and the rest waits for the next start (shown as pending changes).
// Files are made before the definition is saved and removed again if that fails; a file
// Nova made is deleted only once the saved definition no longer names it.
import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNovaError, NovaError } from '../../../src-shared/errors.js';
import { MEBIBYTE, type VmCreateSpec, type VmDefinition, type VmDisk, type VmUpdateSpec } from '../../../src-shared/vm.js';
import { appliesLive, cdDrivesOf, EXTRA_CD_DRIVES, resolveBootOrder, type VmDeviceChange } from '../../../src-shared/vm-devices.js';
import { VM_DISK_FORMATS, type DiskInspector } from './disk-chain.js';
import type { PathGuard } from './path-guard.js';
import { MAX_SATA_DISKS } from './qemu-device-argv.js';
import type { QemuImg } from './qemu-img.js';
import type { QmpClient } from './qmp-client.js';
import type { Credentials } from './run-as-user.js';
import type { VmDiskFiles } from './vm-disk-files.js';
import type { VmLayout } from './vm-layout.js';
import { ejectMedium, insertMedium, resizeLive } from './vm-live-devices.js';
import { VmNicUpdate } from './vm-nic-update.js';
import type { VmNetworkPort } from './vm-network.js';
import { applyPassthroughChange, isPassthroughChange, withSingleGpu, type HandOverUsb, type HostUsb, type PassthroughChange } from './vm-passthrough-update.js';

const MAX_DISKS = 16;

export interface HardwareDeps {
  layout: VmLayout;
  guard: PathGuard;
  inspector: DiskInspector;
  diskFiles: VmDiskFiles;
  img: QemuImg;
  networks: VmNetworkPort;
  /** The VM using a file, if any (a disk must not be two VMs'). */
  userOf: (path: string) => Promise<string | null>;
  /** A linked clone whose disks sit on this VM's: its owned files must stay. */
  linkedCloneOf: (def: VmDefinition) => Promise<string | null>;
  /** The host's USB devices, checked before one is added (vm-passthrough-update.ts). */
  hostUsb: HostUsb;
  /** A USB device's node to a user's running QEMU before it is plugged in live; absent: none needed. */
  handOverUsb?: HandOverUsb;
}

/** A definition with the changes in, what to undo if saving it fails, and what to do once it is saved. */
export interface HardwareResult {
  next: VmDefinition;
  undo: () => Promise<void>;
  afterSave: () => Promise<void>;
}

export class VmHardwareUpdate {
  private readonly nics: VmNicUpdate;

  constructor(private readonly o: HardwareDeps) {
    this.nics = new VmNicUpdate(o.networks);
  }

  /** `qmp`: the running VM's monitor; null when stopped. Live changes reach QEMU before this returns. */
  async apply(def: VmDefinition, spec: VmUpdateSpec, qmp: QmpClient | null, caller: Credentials | null): Promise<HardwareResult> {
    const made: string[] = [];
    const doomed: string[] = [];
    const liveUndo: Array<() => Promise<void>> = [];
    let next: VmDefinition = { ...def, disks: [...def.disks], cdroms: [...(def.cdroms ?? [])] };
    const undo = async () => {
      for (const f of made) await rm(f, { force: true });
      for (const step of liveUndo.reverse()) await step();
    };
    try {
      if (spec.machine !== undefined) next.machine = spec.machine;
      if (spec.bootOrder !== undefined) next.bootOrder = spec.bootOrder;
      next = withSingleGpu(next, spec.singleGpu);
      for (const change of spec.devices ?? []) {
        next = isPassthroughChange(change)
          ? await applyPassthroughChange(next, change, qmp !== null && appliesLive(change) ? qmp : null, { usb: this.o.hostUsb, handOverUsb: this.o.handOverUsb ?? null }, liveUndo)
          : await this.one(next, change, qmp, caller, made, doomed);
      }
      checkShape(next);
    } catch (err) {
      await undo();
      throw err;
    }
    return {
      next,
      undo,
      afterSave: async () => {
        for (const f of doomed) await rm(f, { force: true });
      },
    };
  }

  private async one(def: VmDefinition, change: Exclude<VmDeviceChange, PassthroughChange>, qmp: QmpClient | null, caller: Credentials | null, made: string[], doomed: string[]): Promise<VmDefinition> {
    const live = qmp !== null && appliesLive(change) ? qmp : null;
    switch (change.op) {
      case 'disk.add':
        return this.addDisk(def, change, caller, made);
      case 'disk.remove': {
        const disk = diskOf(def, change.id);
        if (qmp && bootDiskOf(def) === disk.id) throw new NovaError('failed_precondition', `VM ${def.name} is running from ${disk.id}, its boot disk: stop it before removing that disk`);
        if (!change.keepFile && disk.owned) {
          if (qmp) throw new NovaError('failed_precondition', `VM ${def.name} is running with ${disk.id} open: stop it to delete the disk, or detach it keeping the file (applied at the next start)`);
          const clone = await this.o.linkedCloneOf(def);
          if (clone) throw new NovaError('failed_precondition', `VM ${def.name}'s disks are the base of linked clone ${clone}: detach ${disk.id} keeping the file, or delete ${clone} first`);
          doomed.push(disk.path);
        }
        return { ...def, disks: def.disks.filter((d) => d !== disk), bootOrder: def.bootOrder?.filter((b) => b !== disk.id) ?? null };
      }
      case 'disk.resize':
        await this.resize(def, diskOf(def, change.id), change.size * MEBIBYTE, live);
        return def;
      case 'disk.set': {
        const disk = diskOf(def, change.id);
        const changed: VmDisk = { ...disk, ...(change.bus ? { bus: change.bus } : {}), ...(change.cache ? { cache: change.cache } : {}) };
        return { ...def, disks: def.disks.map((d) => (d === disk ? changed : d)) };
      }
      case 'cd.insert': {
        const file = await this.openIso(def, change.drive, change.path, caller);
        try {
          // A drive the running QEMU lacks is added with its medium at the next start.
          if (live) await insertMedium(live, change.drive, file.handle.fd);
        } finally {
          await file.handle.close();
        }
        return withMedium(def, change.drive, file.path);
      }
      case 'cd.eject':
        if (!cdDrivesOf(def).some((c) => c.id === change.drive)) throw new NovaError('not_found', `VM ${def.name} has no CD drive ${change.drive}`);
        if (live) await ejectMedium(live, change.drive);
        return withMedium(def, change.drive, null);
      case 'cd.remove':
        if (change.drive === 'cd0') return { ...def, iso: null };
        if (!(def.cdroms ?? []).some((c) => c.id === change.drive)) throw new NovaError('not_found', `VM ${def.name} has no CD drive ${change.drive}`);
        return { ...def, cdroms: (def.cdroms ?? []).filter((c) => c.id !== change.drive) };
      case 'nic.add':
      case 'nic.remove':
      case 'nic.set':
        return this.nics.apply(def, change, live);
      case 'pci.add': {
        const passed = def.devices ?? [];
        if (passed.some((d) => d.address === change.device.address)) throw new NovaError('already_exists', `VM ${def.name} passes ${change.device.address} already`);
        return { ...def, devices: [...passed, change.device] };
      }
      case 'pci.remove': {
        const passed = def.devices ?? [];
        if (!passed.some((d) => d.address === change.address)) throw new NovaError('not_found', `VM ${def.name} does not pass ${change.address} (nova vm get ${def.name} lists its devices)`);
        const rest = passed.filter((d) => d.address !== change.address);
        if (rest.length > 0) return { ...def, devices: rest };
        const { devices: _gone, ...without } = def;
        return without;
      }
    }
  }

  private async addDisk(def: VmDefinition, change: Extract<VmDeviceChange, { op: 'disk.add' }>, caller: Credentials | null, made: string[]): Promise<VmDefinition> {
    if ((change.size === undefined) === (change.path === undefined)) throw new NovaError('invalid_argument', 'a new disk needs either a size (a new empty disk) or a path (an existing one), not both');
    if (def.disks.length >= MAX_DISKS) throw new NovaError('failed_precondition', `VM ${def.name} has ${MAX_DISKS} disks, the most a VM has`);
    const used = new Set(def.disks.map((d) => d.id));
    let n = 0;
    while (used.has(`disk${n}`)) n++;
    const id = `disk${n}`;
    const base = { id, readOnly: false, bus: change.bus, cache: change.cache };
    if (change.size !== undefined) {
      // A detached disk's file keeps its name: the new one never writes over it.
      const plain = join(this.o.layout.vmDir(def.name), `${id}.qcow2`);
      const path = (await lstat(plain).catch(() => null)) ? join(this.o.layout.vmDir(def.name), `${id}-${Date.now().toString(36)}.qcow2`) : plain;
      await this.o.img.create(path, change.size * MEBIBYTE);
      made.push(path);
      return { ...def, disks: [...def.disks, { ...base, path, format: 'qcow2', owned: true }] };
    }
    const what = `the disk ${change.path}`;
    const chain = await this.o.inspector.inspect(change.path!, { what, formats: VM_DISK_FORMATS, caller, topWritable: true });
    try {
      const path = chain.top.path;
      const user = await this.o.userOf(path);
      if (user !== null || def.disks.some((d) => d.path === path)) throw new NovaError('failed_precondition', `${what} is already a disk of VM ${user ?? def.name}`);
      return { ...def, disks: [...def.disks, { ...base, path, format: chain.top.format === 'qcow2' ? 'qcow2' : 'raw', owned: false }] };
    } finally {
      await chain.close();
    }
  }

  /** Up only: a smaller disk would cut off what the guest wrote at its end. */
  private async resize(def: VmDefinition, disk: VmDisk, bytes: number, live: QmpClient | null): Promise<void> {
    const current = await this.o.diskFiles.sizeOf(def, disk);
    if (bytes < current) {
      throw new NovaError('invalid_argument', `${disk.id} of VM ${def.name} is ${gib(current)}; shrinking it to ${gib(bytes)} would cut off what the guest wrote there: disks only grow`);
    }
    if (bytes === current) return;
    if (live) return resizeLive(live, disk.id, bytes);
    await this.o.diskFiles.withChain(def, disk, undefined, (chain) => this.o.img.resize(chain.top.handle.fd, chain.top.format, bytes, `${disk.id} of VM ${def.name}`), true);
  }

  private async openIso(def: VmDefinition, drive: string, path: string, caller: Credentials | null) {
    try {
      return await this.o.guard.open(`the ISO for ${drive} of VM ${def.name}`, path, { caller });
    } catch (err) {
      if (!isNovaError(err, 'not_found')) throw err;
      throw new NovaError('not_found', `the ISO ${path} for ${drive} of VM ${def.name} does not exist; ISOs are taken from ${this.o.guard.roots.join(', ')}`, { path });
    }
  }
}

/** The disk a running VM booted from: the first disk of its boot order. */
export function bootDiskOf(def: VmDefinition): string | null {
  return (resolveBootOrder(def, true) ?? def.disks.map((d) => d.id)).find((id) => id.startsWith('disk')) ?? null;
}

function diskOf(def: VmDefinition, id: string): VmDisk {
  const disk = def.disks.find((d) => d.id === id);
  if (!disk) throw new NovaError('not_found', `VM ${def.name} has no disk ${id}; its disks: ${def.disks.map((d) => d.id).join(', ') || 'none'}`);
  return disk;
}

function withMedium(def: VmDefinition, drive: string, path: string | null): VmDefinition {
  if (drive === 'cd0') return { ...def, iso: path };
  const others = (def.cdroms ?? []).filter((c) => c.id !== drive);
  return { ...def, cdroms: [...others, { id: drive, path }].sort((a, b) => a.id.localeCompare(b.id)) };
}

/** What QEMU could not start with, refused now rather than at the next start. */
function checkShape(def: VmDefinition): void {
  if (def.machine === 'microvm') {
    if (!def.kernel) throw new NovaError('invalid_argument', `VM ${def.name}: a microvm boots a kernel directly, and this VM has none`);
    const other = def.disks.find((d) => (d.bus ?? 'virtio') !== 'virtio');
    if (other) throw new NovaError('invalid_argument', `VM ${def.name}: a microvm has only virtio disks, and ${other.id} is on ${other.bus}`);
    if ((def.cdroms ?? []).length > 0) throw new NovaError('invalid_argument', `VM ${def.name}: a microvm has no CD drives beyond cd0`);
  }
  const sata = def.disks.filter((d) => d.bus === 'sata').length;
  if (sata > MAX_SATA_DISKS) throw new NovaError('invalid_argument', `VM ${def.name}: at most ${MAX_SATA_DISKS} disks on the SATA bus; put the others on virtio or scsi`);
}

function gib(bytes: number): string {
  return bytes % (1024 * MEBIBYTE) === 0 ? `${bytes / (1024 * MEBIBYTE)} GiB` : `${Math.round(bytes / MEBIBYTE)} MiB`;
}

/** A create's further disks and CD media as device changes: disks after the boot disk, ISOs in the drives after the driver ISO. */
export function createDeviceChanges(spec: VmCreateSpec, made: VmDefinition): VmDeviceChange[] {
  const firstFree = (made.cdroms ?? []).length + 1;
  const cdroms = spec.cdroms ?? [];
  if (firstFree + cdroms.length - 1 > EXTRA_CD_DRIVES) {
    throw new NovaError('invalid_argument', `VM ${spec.name} has room for ${EXTRA_CD_DRIVES} CD drives beside the installer's, and the driver ISO takes one: give at most ${EXTRA_CD_DRIVES + 1 - firstFree} further ISOs`);
  }
  return [
    ...(spec.disks ?? []).map((d): VmDeviceChange => ({ op: 'disk.add', ...d })),
    ...cdroms.map((path, i): VmDeviceChange => ({ op: 'cd.insert', drive: `cd${firstFree + i}`, path })),
  ];
}
