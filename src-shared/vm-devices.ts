// A VM's devices after create: each disk's bus and cache mode, its CD drives, its NICs
// (network, MAC, model, link), and its boot order; and the device changes `vm.update` takes. The stored
// fields are all optional, so definitions written before them load unchanged. The
// helper (vm-hardware-update.ts), the CLI (`nova vm disk|cd|nic`), the NovaFile and the
// Settings tab share these shapes and the one rule of what applies live and what waits.
import { z } from 'zod';
import { parseText } from './vocabulary/parsed.js';
import { parseFilePath } from './vocabulary/posix-path.js';
import { parseMacAddress } from './vocabulary/mac-address.js';
import { DISK_SIZE, sizeSchema } from './vocabulary/size.js';
import { syntaxOrShape, syntaxSchema } from './vocabulary/syntax-schema.js';
import { parseVmNetworkChoice } from './vocabulary/vm-network-choice.js';
import { NetworkNameSchema } from './network.js';
import { PciAddressSchema, VmPciDeviceSchema } from './device.js';
import { ResolutionSchema, UsbSelectorSchema, VmMdevSchema } from './vm-passthrough.js';

/** virtio: fastest, needs the guest's virtio drivers; sata: every OS's installer sees it (AHCI); scsi: virtio-scsi, with discard and many disks. */
export const DiskBusSchema = z.enum(['virtio', 'sata', 'scsi']);
export type DiskBus = z.infer<typeof DiskBusSchema>;
/** QEMU's cache modes: writeback (host page cache, flushes honoured), none (O_DIRECT), writethrough, unsafe (flushes ignored). */
export const DiskCacheSchema = z.enum(['writeback', 'none', 'writethrough', 'unsafe']);
export type DiskCache = z.infer<typeof DiskCacheSchema>;

export const DISK_ID_PATTERN = /^disk[0-9]{1,2}$/;
/** cd0 is the definition's `iso` (the installer); cd1..cd3 are further drives, e.g. a driver ISO. */
export const CD_ID_PATTERN = /^cd[0-3]$/;
export const EXTRA_CD_DRIVES = 3;
export const CdDriveIdSchema = z.string().regex(CD_ID_PATTERN, 'a CD drive: cd0, cd1, cd2 or cd3');
export const DiskIdSchema = z.string().regex(DISK_ID_PATTERN, 'a disk: disk0, disk1, ...');

/** virtio: fastest, needs the guest's drivers; e1000e: an Intel NIC every Windows installer has a driver for. */
export const NicModelSchema = z.enum(['virtio', 'e1000e']);
export type NicModel = z.infer<typeof NicModelSchema>;

/** A further CD drive; path null: the drive is there, empty (media can be inserted while running). */
export const CdDriveSchema = z.strictObject({
  id: z.string().regex(/^cd[1-3]$/),
  path: z.string().nullable(),
});
export type CdDrive = z.infer<typeof CdDriveSchema>;

/** A device the firmware may boot: a disk, a CD drive, or the NIC (PXE). */
export const BootDeviceSchema = z.string().regex(/^(disk[0-9]{1,2}|cd[0-3]|net0)$/, 'a boot device: diskN, cdN or net0');
export type BootDevice = z.infer<typeof BootDeviceSchema>;

const MacSchema = syntaxSchema<string>((v) => parseText(v, 'a MAC address', parseMacAddress));
const FilePath = syntaxSchema<string>((v) => parseText(v, 'a file path', parseFilePath));
/** What callers write: "none", "user", or { nova: "lab" } (or "nova:lab") for a Nova network. */
export const VmNetworkChoiceSchema = syntaxOrShape(
  parseVmNetworkChoice,
  z.union([z.enum(['none', 'user']), z.strictObject({ nova: NetworkNameSchema })]),
);

/** Where a NIC's cable goes: QEMU's restricted user-mode stack, or a tap on a Nova network's bridge. */
export const NicNetworkSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('user') }),
  z.strictObject({ mode: z.literal('nova'), network: NetworkNameSchema }),
]);
export type NicNetwork = z.infer<typeof NicNetworkSchema>;

export const MAX_VM_NICS = 8;
export const NicLinkSchema = z.enum(['up', 'down']);
/** One guest NIC: `netN` in QEMU, N its place in the list. */
export const VmNicSchema = z.strictObject({
  network: NicNetworkSchema,
  /** null: the network engine's stable one for this VM and NIC (or QEMU's for user mode). */
  mac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/).nullable(),
  /** Absent: virtio. */
  model: NicModelSchema.optional(),
  /** down: the cable is out from the start (and stays out until set up); absent: up. */
  link: NicLinkSchema.optional(),
});
export type VmNic = z.infer<typeof VmNicSchema>;

/** A NIC as callers add it: the network as "user" or "nova:NAME" ("none" is no NIC, so not here). */
export const NicSpecSchema = z.strictObject({
  network: VmNetworkChoiceSchema.refine((c) => c !== 'none', 'a NIC needs a network: user or nova:NAME (to have no NIC, remove it)'),
  mac: MacSchema.optional(),
  model: NicModelSchema.optional(),
  link: NicLinkSchema.optional(),
});
export type NicSpec = z.infer<typeof NicSpecSchema>;
export type NicSpecIn = z.input<typeof NicSpecSchema>;

export function nicNetworkOf(choice: 'user' | { nova: string }): NicNetwork {
  return choice === 'user' ? { mode: 'user' } : { mode: 'nova', network: choice.nova };
}

export function nicFromSpec(spec: NicSpec): VmNic {
  const network = nicNetworkOf(spec.network as 'user' | { nova: string });
  return { network, mac: spec.mac ?? null, ...(spec.model && spec.model !== 'virtio' ? { model: spec.model } : {}), ...(spec.link === 'down' ? { link: 'down' as const } : {}) };
}

/** The Nova networks a VM's NICs join, each once, in NIC order. */
export function novaNetworksOf(def: { nics: readonly VmNic[] }): string[] {
  return [...new Set(def.nics.flatMap((n) => (n.network.mode === 'nova' ? [n.network.network] : [])))];
}

/** "user" or "nova:NAME", as the CLI and the pending changes write a NIC's network. */
export function showNicNetwork(network: NicNetwork): string {
  return network.mode === 'nova' ? `nova:${network.network}` : 'user';
}

/** The fields a definition gains; each optional (absent: the default), so an older record reads as it always ran. */
export const vmDeviceFields = {
  /** Further CD drives beyond cd0 (`iso`). */
  cdroms: z.array(CdDriveSchema).max(EXTRA_CD_DRIVES).optional(),
  /** null: automatic (a disk with a partition table first, else the CD, then the disks in order). */
  bootOrder: z.array(BootDeviceSchema).max(24).nullable().optional(),
  /** A USB tablet, so the pointer follows the console's without capture; absent: none. */
  tablet: z.boolean().optional(),
  /** A virtio-serial channel for the QEMU guest agent (qemu-ga) on a socket the helper owns; absent: none. */
  guestAgent: z.boolean().optional(),
};

const newDiskFields = {
  /** A new empty qcow2 of this size in the VM's folder, or an existing file (path) used in place. */
  size: sizeSchema(DISK_SIZE).optional(),
  path: FilePath.optional(),
  bus: DiskBusSchema.default('virtio'),
  cache: DiskCacheSchema.default('writeback'),
};
/** A disk beyond the boot disk, as `vm.create` takes it (disk1, disk2, ... in order). */
export const ExtraDiskSchema = z.strictObject(newDiskFields);
export type ExtraDisk = z.infer<typeof ExtraDiskSchema>;
export const MacAddressSchema = MacSchema;
const NicIndexSchema = z.number().int().min(0).max(MAX_VM_NICS - 1);

/** One device change of `vm.update`; several apply in order, all or none. */
export const VmDeviceChangeSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('disk.add'), ...newDiskFields }),
  /** keepFile: detach and leave the file; otherwise a file Nova made is deleted (a caller's own never is). */
  z.strictObject({ op: z.literal('disk.remove'), id: DiskIdSchema, keepFile: z.boolean().default(false) }),
  /** Up only; live through block_resize while running. */
  z.strictObject({ op: z.literal('disk.resize'), id: DiskIdSchema, size: sizeSchema(DISK_SIZE) }),
  z.strictObject({ op: z.literal('disk.set'), id: DiskIdSchema, bus: DiskBusSchema.optional(), cache: DiskCacheSchema.optional() }),
  /** Into a drive (cd0 when none is named); a drive that does not exist yet is added (stopped VM). */
  z.strictObject({ op: z.literal('cd.insert'), drive: CdDriveIdSchema.default('cd0'), path: FilePath }),
  z.strictObject({ op: z.literal('cd.eject'), drive: CdDriveIdSchema.default('cd0') }),
  /** Removes a further drive (cd1..cd3) itself; stopped VM only. */
  z.strictObject({ op: z.literal('cd.remove'), drive: CdDriveIdSchema }),
  /** A NIC at the end of the list (netN); stopped VM, or pending until the next start. */
  z.strictObject({ op: z.literal('nic.add'), ...NicSpecSchema.shape }),
  /** The NIC at `index`, or the one with this MAC; stopped VM, or pending. */
  z.strictObject({ op: z.literal('nic.remove'), index: NicIndexSchema.optional(), mac: MacSchema.optional() }),
  /**
   * The NIC at `index` (or with MAC `of`; absent both: net0): network (none removes it; on a
   * VM without NICs it adds one), MAC (null: the automatic one), model, and link up/down
   * (live on a running VM, kept for the next starts).
   */
  z.strictObject({
    op: z.literal('nic.set'),
    index: NicIndexSchema.optional(),
    of: MacSchema.optional(),
    network: VmNetworkChoiceSchema.optional(),
    mac: MacSchema.nullable().optional(),
    model: NicModelSchema.optional(),
    link: NicLinkSchema.optional(),
  }),
  /** A host PCI device passed through from the next start (its IOMMU group comes along); stopped VM, or pending. */
  z.strictObject({ op: z.literal('pci.add'), device: VmPciDeviceSchema }),
  z.strictObject({ op: z.literal('pci.remove'), address: PciAddressSchema }),
  /** A USB device ("usb:046d:c52b", "usb:1-1.2", "usb:tablet"): hot-plugged into a running VM, or from the next start. */
  z.strictObject({ op: z.literal('usb.add'), device: UsbSelectorSchema }),
  z.strictObject({ op: z.literal('usb.remove'), device: UsbSelectorSchema }),
  /** A mediated device (a vGPU slice) made at each start; remove takes the last one of that parent and type. */
  z.strictObject({ op: z.literal('mdev.add'), mdev: VmMdevSchema }),
  z.strictObject({ op: z.literal('mdev.remove'), mdev: VmMdevSchema }),
  /** Looking Glass's shared memory sized for a resolution; null removes it. From the next start. */
  z.strictObject({ op: z.literal('lookingGlass.set'), resolution: ResolutionSchema.nullable() }),
]);
export type VmDeviceChange = z.infer<typeof VmDeviceChangeSchema>;
export type VmDeviceChangeIn = z.input<typeof VmDeviceChangeSchema>;

/** Which changes a running QEMU can take now; everything else waits for the next start. */
export function appliesLive(change: VmDeviceChange): boolean {
  switch (change.op) {
    case 'cd.insert':
    case 'cd.eject':
    case 'disk.resize':
    case 'usb.add':
    case 'usb.remove':
      return true;
    case 'nic.set':
      return change.network === undefined && change.mac === undefined && change.model === undefined;
    default:
      return false;
  }
}

/** The drives a definition has, cd0 first, with their media. */
export function cdDrivesOf(def: { iso: string | null; cdroms?: readonly CdDrive[] }): Array<{ id: string; path: string | null }> {
  return [...(def.iso !== null ? [{ id: 'cd0', path: def.iso }] : []), ...(def.cdroms ?? [])];
}

/**
 * The boot order QEMU gets: the definition's own when set; else, once the first disk has
 * a partition table (an installer wrote it), the disks before the CDs, so the installed
 * system boots and the installer stays in the firmware's menu. null: the order VMs always
 * had (the installer CD first, then the disks).
 */
export function resolveBootOrder(
  def: { bootOrder?: readonly string[] | null; iso: string | null; cdroms?: readonly CdDrive[]; disks: ReadonlyArray<{ id: string }> },
  firstDiskBootable: boolean,
): string[] | null {
  const disks = def.disks.map((d) => d.id);
  const drives = cdDrivesOf(def);
  const present = new Set([...disks, ...drives.map((c) => c.id), 'net0']);
  if (def.bootOrder) return def.bootOrder.filter((d) => present.has(d));
  if (!firstDiskBootable) return null;
  return [...disks, ...drives.filter((c) => c.path !== null).map((c) => c.id)];
}
