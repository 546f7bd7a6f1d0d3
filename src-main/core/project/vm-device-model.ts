// A VM's device model between the NovaFile and the helper: the MAC, each NIC's MAC and
// model where `networks` gives them, the boot disk's bus
// and cache, the further disks, the CD drives' media, the boot order and the guest
// agent, each shown the same way from a file's VmConfig and from a definition (so plan
// compares like with like), written back as the file's keys by export, and turned into
// the vm.update device changes that make a stopped VM match the file. A further disk is
// compared by its place, bus and cache: its size is qemu-img's to know, not the
// definition's, and a disk Nova made is exported as its file, used in place.
import type { VmDefinition, VmUpdateSpecIn } from '../../../src-shared/vm.js';
import type { ExtraDisk, NicModel, VmDeviceChangeIn } from '../../../src-shared/vm-devices.js';
import { deviceDefaultsOf } from '../../../src-shared/vm-platform.js';
import type { NicConfig, VmConfig } from '../novafile/novafile-config.js';

export const VM_DEVICE_FIELDS = ['mac', 'nics', 'disk_bus', 'disk_cache', 'disks', 'cdroms', 'boot_order', 'guest_agent'] as const;
export type VmDeviceField = (typeof VM_DEVICE_FIELDS)[number];
export type DeviceShown = Record<VmDeviceField, string | null>;

const joined = (items: readonly string[]) => (items.length === 0 ? null : items.join(', '));
const showDisk = (id: string, d: { bus?: string | undefined; cache?: string | undefined }) => `${id} ${d.bus ?? 'virtio'} ${d.cache ?? 'writeback'}`;

/**
 * What a NIC has besides its network and net0's MAC (the network and mac fields): a later
 * NIC's own MAC and a model other than the OS profile's, "net1 52:54:00:aa:00:02 e1000e".
 */
function showNics(nics: readonly { mac?: string | null | undefined; model: NicModel }[], profileModel: NicModel): string | null {
  return joined(
    nics.flatMap((n, i) => {
      const parts = [...(i > 0 && n.mac ? [n.mac] : []), ...(n.model !== profileModel ? [n.model] : [])];
      return parts.length > 0 ? [`net${i} ${parts.join(' ')}`] : [];
    }),
  );
}

/** The model a NIC of this VM gets when none is given: its OS profile's (written as cdroms, so read without a driver ISO). */
function nicModelOf(def: VmDefinition): NicModel {
  return deviceDefaultsOf(def.os, false).nicModel;
}

/** The device fields plan compares: a file without networks leaves the NICs' settings as they are. */
export function comparedDeviceFields(vm: VmConfig): readonly VmDeviceField[] {
  return vm.nics ? VM_DEVICE_FIELDS : VM_DEVICE_FIELDS.filter((f) => f !== 'nics');
}

/** The file's CD media in drive order: the driver ISO first. */
function wantedCds(vm: VmConfig): string[] {
  return [...(vm.driverIso !== undefined ? [vm.driverIso] : []), ...(vm.cdroms ?? [])];
}

/** What the file's keys ask for, with what the OS profile gives where a key is left out. */
export function wantedDevices(vm: VmConfig, hasBootDisk: boolean): DeviceShown {
  const defaults = deviceDefaultsOf(vm.os, vm.driverIso !== undefined);
  return {
    mac: vm.mac ?? null,
    nics: showNics((vm.nics ?? []).map((n) => ({ mac: n.mac, model: n.model ?? defaults.nicModel })), defaults.nicModel),
    disk_bus: hasBootDisk ? (vm.diskBus ?? defaults.diskBus) : null,
    disk_cache: hasBootDisk ? (vm.diskCache ?? 'writeback') : null,
    disks: joined((vm.disks ?? []).map((d, i) => showDisk(`disk${i + 1}`, d))),
    cdroms: joined(wantedCds(vm)),
    boot_order: vm.bootOrder ? vm.bootOrder.join(', ') : null,
    guest_agent: String(vm.guestAgent ?? defaults.guestAgent),
  };
}

/** The same from what the helper holds. */
export function actualDevices(def: VmDefinition): DeviceShown {
  const boot = def.disks[0];
  return {
    mac: def.nics[0]?.mac ?? null,
    nics: showNics(def.nics.map((n) => ({ mac: n.mac, model: n.model ?? 'virtio' })), nicModelOf(def)),
    disk_bus: boot ? (boot.bus ?? 'virtio') : null,
    disk_cache: boot ? (boot.cache ?? 'writeback') : null,
    disks: joined(def.disks.slice(1).map((d, i) => showDisk(`disk${i + 1}`, d))),
    cdroms: joined((def.cdroms ?? []).flatMap((c) => (c.path !== null ? [c.path] : []))),
    boot_order: def.bootOrder ? def.bootOrder.join(', ') : null,
    guest_agent: String(def.guestAgent === true),
  };
}

/** The device changes and boot order that take a stopped VM to the file; a disk the file drops is detached, its file kept. */
export function deviceUpdate(vm: VmConfig, def: VmDefinition): Pick<VmUpdateSpecIn, 'devices' | 'bootOrder'> {
  const devices: VmDeviceChangeIn[] = [];
  const want = wantedDevices(vm, def.disks.length > 0);
  const have = actualDevices(def);
  devices.push(...nicChanges(vm.nics ?? [], deviceDefaultsOf(vm.os, vm.driverIso !== undefined).nicModel, def));
  if (want.mac !== have.mac && (vm.networks ?? []).length > 0) devices.push({ op: 'nic.set', index: 0, mac: vm.mac ?? null });
  const boot = def.disks[0];
  if (boot && (want.disk_bus !== have.disk_bus || want.disk_cache !== have.disk_cache)) {
    devices.push({ op: 'disk.set', id: boot.id, bus: (want.disk_bus ?? undefined) as ExtraDisk['bus'], cache: (want.disk_cache ?? undefined) as ExtraDisk['cache'] });
  }
  devices.push(...diskChanges(vm.disks ?? [], def));
  const cds = wantedCds(vm);
  const drives = new Map((def.cdroms ?? []).map((c) => [c.id, c.path]));
  for (let i = 1; i <= 3; i++) {
    const drive = `cd${i}`;
    const path = cds[i - 1];
    if (path !== undefined && drives.get(drive) !== path) devices.push({ op: 'cd.insert', drive, path });
    else if (path === undefined && drives.has(drive)) devices.push({ op: 'cd.remove', drive });
  }
  return {
    ...(devices.length > 0 ? { devices } : {}),
    ...(want.boot_order !== have.boot_order ? { bootOrder: vm.bootOrder ?? null } : {}),
  };
}

/**
 * The NICs the file's networks ask for, NIC by NIC. A file without networks leaves them
 * to the single-network key (vmUpdateSpec), so a VM given user mode elsewhere keeps it.
 */
function nicChanges(wanted: readonly NicConfig[], profileModel: NicModel, def: VmDefinition): VmDeviceChangeIn[] {
  if (wanted.length === 0) return [];
  const out: VmDeviceChangeIn[] = [];
  // Removed from the end first, so the places of the NICs before them stay as they are.
  for (let i = def.nics.length - 1; i >= wanted.length; i--) out.push({ op: 'nic.remove', index: i });
  wanted.forEach((w, i) => {
    const h = def.nics[i];
    const model = w.model ?? profileModel;
    // net0's MAC is the mac field's change (deviceUpdate).
    const mac = i > 0 ? (w.mac ?? null) : undefined;
    if (!h) {
      out.push({ op: 'nic.add', network: { nova: w.network }, ...(w.mac !== undefined && i > 0 ? { mac: w.mac } : {}), ...(w.model !== undefined ? { model: w.model } : {}) });
      return;
    }
    const change: VmDeviceChangeIn = { op: 'nic.set', index: i };
    if (h.network.mode !== 'nova' || h.network.network !== w.network) change.network = { nova: w.network };
    if (mac !== undefined && h.mac !== mac) change.mac = mac;
    if ((h.model ?? 'virtio') !== model) change.model = model;
    if (Object.keys(change).length > 2) out.push(change);
  });
  return out;
}

function diskChanges(wanted: readonly ExtraDisk[], def: VmDefinition): VmDeviceChangeIn[] {
  const extra = def.disks.slice(1);
  const out: VmDeviceChangeIn[] = [];
  // Removed from the end first, so the ids of the disks before them stay as they are.
  for (let i = extra.length - 1; i >= wanted.length; i--) out.push({ op: 'disk.remove', id: extra[i]!.id, keepFile: true });
  wanted.forEach((w, i) => {
    const h = extra[i];
    if (!h) out.push({ op: 'disk.add', ...w });
    else if ((h.bus ?? 'virtio') !== w.bus || (h.cache ?? 'writeback') !== w.cache) out.push({ op: 'disk.set', id: h.id, bus: w.bus, cache: w.cache });
  });
  return out;
}

/** The file's keys for a definition's devices: what its OS profile would give anyway is left out. */
export function deviceKeys(def: VmDefinition): Record<string, unknown> {
  const t: Record<string, unknown> = {};
  const cds = (def.cdroms ?? []).flatMap((c) => (c.path !== null ? [c.path] : []));
  // Written as cdroms, not driver_iso: the OS profile's bus default is read without a driver ISO.
  const defaults = deviceDefaultsOf(def.os, false);
  if (def.nics[0]?.mac) t.mac = def.nics[0].mac;
  const boot = def.disks[0];
  if (boot && (boot.bus ?? 'virtio') !== defaults.diskBus) t.disk_bus = boot.bus ?? 'virtio';
  if (boot?.cache !== undefined && boot.cache !== 'writeback') t.disk_cache = boot.cache;
  const extra = def.disks.slice(1);
  if (extra.length > 0) t.disk = extra.map((d) => ({ path: d.path, ...((d.bus ?? 'virtio') !== 'virtio' ? { bus: d.bus } : {}), ...((d.cache ?? 'writeback') !== 'writeback' ? { cache: d.cache } : {}) }));
  if (cds.length > 0) t.cdroms = cds;
  if (def.bootOrder) t.boot_order = def.bootOrder;
  if ((def.guestAgent === true) !== defaults.guestAgent) t.guest_agent = def.guestAgent === true;
  return t;
}

/**
 * `network` or `networks` for a definition's Nova NICs: a NIC with a MAC of its own (after
 * net0, whose MAC is the mac key) or a model other than virtio is written as a table, the
 * others as their network's name.
 */
export function networksKey(def: VmDefinition): { network: string } | { networks: (string | Record<string, string>)[] } | null {
  const profileModel = nicModelOf(def);
  const nova = def.nics.flatMap((n, i) => (n.network.mode === 'nova' ? [{ network: n.network.network, mac: i > 0 ? n.mac : null, model: (n.model ?? 'virtio') !== profileModel ? (n.model ?? 'virtio') : null }] : []));
  const entries = nova.map((n) => (n.mac || n.model ? { network: n.network, ...(n.mac ? { mac: n.mac } : {}), ...(n.model ? { model: n.model } : {}) } : n.network));
  if (entries.length === 0) return null;
  const [only] = entries;
  return entries.length === 1 && typeof only === 'string' ? { network: only } : { networks: entries };
}
