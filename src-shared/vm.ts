// Virtual machines in the contract: names, sizes, the stored definition, states,
// snapshots, images and metrics. The helper stores these shapes; every process validates
// them. Names, sizes and cloud-init values are the vocabulary's (vocabulary/), so the
// helper's verdict on them is the CLI's, the NovaFile's and the wizard's.
import { z } from 'zod';
import { VmPciDeviceSchema } from './device.js';
import { GuestHealthSchema, HealthCheckSchema } from './health.js';
import { NetworkNameSchema } from './network.js';
import { parseText } from './vocabulary/parsed.js';
import { DISK_SIZE, sizeSchema, VM_MEMORY } from './vocabulary/size.js';
import { nameSchema } from './vocabulary/resource-name.js';
import { parseDnsName } from './vocabulary/dns-name.js';
import { parseLoginName } from './vocabulary/login-name.js';
import { parseSshPublicKey } from './vocabulary/ssh-public-key.js';
import { parseIpv4Address, parseIpv4WithPrefix } from './vocabulary/ip-address.js';
import { syntaxSchema } from './vocabulary/syntax-schema.js';
import { LookingGlassSchema, MAX_VM_MDEVS, MAX_VM_USB_DEVICES, UsbSelectorSchema, VmMdevSchema } from './vm-passthrough.js';
import { BootDeviceSchema, DiskBusSchema, DiskCacheSchema, EXTRA_CD_DRIVES, ExtraDiskSchema, MacAddressSchema, MAX_VM_NICS, NicSpecSchema, VmDeviceChangeSchema, VmNetworkChoiceSchema, VmNicSchema, vmDeviceFields, type VmNic } from './vm-devices.js';
import { parseFilePath } from './vocabulary/posix-path.js';
import { vmLifecycleChanges, vmLifecycleFields } from './vm-lifecycle.js';
import { vmShareChanges, vmShareFields } from './vm-shares.js';

export { MEBIBYTE } from './vocabulary/size.js';
export { VM_NAME_PATTERN } from './vocabulary/resource-name.js';

/** DNS-label-like: no `/`, no `..`, no spaces, no `_`, at most 63 characters. */
export const VmNameSchema = nameSchema('vm');
export const SnapshotNameSchema = nameSchema('vm-snapshot');
/** The NovaFile project that owns a resource; absent: unmanaged (made by hand, or before projects). */
export const ProjectNameSchema = nameSchema('project');

export const VM_MAX_CPUS = 256;
const CpuCountSchema = z.number().int('a whole number of CPUs').min(1, 'a VM needs at least one CPU').max(VM_MAX_CPUS, `a VM has at most ${VM_MAX_CPUS} CPUs`);
/** "2Gi", "2048" (MiB, as QEMU's -m reads it) or a number of MiB; parsed to MiB. */
export const VmMemorySchema = sizeSchema(VM_MEMORY);
export const DiskSizeSchema = sizeSchema(DISK_SIZE);
/** What a new VM gets when no memory is given, in MiB. */
export const DEFAULT_VM_MEMORY_MIB = 512;

export const MachineProfileSchema = z.enum(['q35', 'microvm']);
/** uefi-secure: OVMF with Secure Boot and Microsoft's keys enrolled (what Windows 11 asks for). */
export const FirmwareSchema = z.enum(['bios', 'uefi', 'uefi-secure']);
export type Firmware = z.infer<typeof FirmwareSchema>;
export const AccelChoiceSchema = z.enum(['auto', 'kvm', 'tcg']);
export const OsTypeSchema = z.enum(['linux', 'windows', 'other']);
export const DiskFormatSchema = z.enum(['qcow2', 'raw']);
export const ImageFormatSchema = z.enum(['qcow2', 'raw', 'vmdk', 'vdi', 'vhdx', 'iso']);

/** An OS profile: Nova's own `windows11`, or an osinfo-db short id such as "debian11" or "win10". */
export const OsIdSchema = z.string().regex(/^[a-z][a-z0-9.+-]{0,63}$/, 'an OS id such as "windows11" or "debian11" (osinfo-query os lists them)');

/** An OS's needs as osinfo-db (and, for windows11, Microsoft) state them: what the wizard fills in and `os = "..."` raises to. */
export const OsProfileSchema = z.strictObject({
  os: OsIdSchema,
  name: z.string(),
  osType: OsTypeSchema,
  /** Recommended (the minimum where osinfo names no recommendation). */
  cpus: z.number().int().positive(),
  memoryMiB: z.number().int().positive(),
  diskMiB: z.number().int().positive(),
  minimum: z.strictObject({ cpus: z.number().int().nonnegative(), memoryMiB: z.number().int().nonnegative(), diskMiB: z.number().int().nonnegative() }),
});
export type OsProfile = z.infer<typeof OsProfileSchema>;

export const VmDiskSchema = z.strictObject({
  /** Also the QEMU node name: "disk0", "disk1", ... */
  id: z.string().regex(/^disk[0-9]{1,2}$/),
  path: z.string(),
  format: DiskFormatSchema,
  /** Created by Nova in the VM's folder: deleted with the VM unless disks are kept. */
  owned: z.boolean(),
  readOnly: z.boolean().default(false),
  /** Absent: virtio (as every disk before buses were chosen). */
  bus: DiskBusSchema.optional(),
  /** Absent: writeback, QEMU's default. */
  cache: DiskCacheSchema.optional(),
});
export type VmDisk = z.infer<typeof VmDiskSchema>;

export const DirectKernelSchema = z.strictObject({
  kernel: z.string(),
  initrd: z.string().nullable(),
  cmdline: z.string().max(4096),
});
export type DirectKernel = z.infer<typeof DirectKernelSchema>;

export const VmDisplaySchema = z.strictObject({ vnc: z.boolean(), spice: z.boolean() });
/** none: no NIC; user: QEMU's restricted user-mode stack; nova: a tap on a Nova network's bridge. */
export const VmNetworkSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('none') }),
  z.strictObject({ mode: z.literal('user') }),
  z.strictObject({ mode: z.literal('nova'), network: NetworkNameSchema }),
]);
export type VmNetwork = z.infer<typeof VmNetworkSchema>;
export { VmNetworkChoiceSchema } from './vm-devices.js';
export type VmNetworkChoice = z.output<typeof VmNetworkChoiceSchema>;

export function vmNetworkFromChoice(choice: VmNetworkChoice): VmNetwork {
  return typeof choice === 'string' ? { mode: choice } : { mode: 'nova', network: choice.nova };
}

/** What one network choice makes of a NIC list: none, or one NIC there (its MAC and model as given). */
export function nicsFromNetwork(network: VmNetwork, mac: string | null = null, model?: VmNic['model']): VmNic[] {
  if (network.mode === 'none') return [];
  return [{ network, mac, ...(model && model !== 'virtio' ? { model } : {}) }];
}

/** The first NIC's network as the single-network surfaces show it (none without NICs). */
export function primaryNetworkOf(def: { nics: readonly VmNic[] }): VmNetwork {
  return def.nics[0]?.network ?? { mode: 'none' };
}

/** A version 1 definition (one NIC: network, nicMac, nicModel) as version 2's list of NICs. */
export function migrateVmDefinitionV1(old: Record<string, unknown>): Record<string, unknown> {
  const { network, nicMac, nicModel, ...rest } = old;
  const net = network as VmNetwork | undefined;
  const nics = !net || net.mode === 'none' ? [] : [{ network: net, mac: typeof nicMac === 'string' ? nicMac : null, ...(nicModel === 'e1000e' ? { model: 'e1000e' } : {}) }];
  return { ...rest, nics };
}

const HostnameSchema = syntaxSchema<string>((v) => parseText(v, 'a host name such as "web-1"', (t) => parseDnsName(t, 'hostname')));
const LoginNameSchema = syntaxSchema<string>((v) => parseText(v, 'a user name such as "dev"', parseLoginName));
const SshPublicKeySchema = syntaxSchema<string>((v) => parseText(v, 'an SSH public key', parseSshPublicKey));
const Ipv4Schema = syntaxSchema<string>((v) => parseText(v, 'an IPv4 address', parseIpv4Address));

/** A static address for the guest's NIC; without one the seed asks for DHCP. */
export const CloudInitNetworkSchema = z.strictObject({
  /** "192.168.220.10/24" */
  address: syntaxSchema<string>((v) => parseText(v, 'an address with its prefix', parseIpv4WithPrefix)),
  gateway: Ipv4Schema.optional(),
  nameservers: z.array(Ipv4Schema).max(4).default([]),
});
export type CloudInitNetwork = z.infer<typeof CloudInitNetworkSchema>;

const cloudInitCommon = {
  hostname: HostnameSchema.optional(),
  /** Created with sudo rights; absent: the image's default user gets the password and keys. */
  user: LoginNameSchema.optional(),
  sshAuthorizedKeys: z.array(SshPublicKeySchema).max(64).default([]),
  network: CloudInitNetworkSchema.optional(),
};

/** What callers give: the password in clear, hashed by the helper and never stored. */
export const CloudInitSpecSchema = z.strictObject({ ...cloudInitCommon, password: z.string().min(1).max(1024).optional() });
export type CloudInitSpec = z.infer<typeof CloudInitSpecSchema>;
export type CloudInitSpecIn = z.input<typeof CloudInitSpecSchema>;

/** What the definition keeps: a crypt(3) SHA-512 hash ("$6$salt$hash"), as /etc/shadow holds it. */
export const CloudInitDefinitionSchema = z.strictObject({
  ...cloudInitCommon,
  passwordHash: z.string().regex(/^\$6\$[^$\s]{1,16}\$[A-Za-z0-9./]{86}$/, 'not a SHA-512 crypt hash').optional(),
});
export type CloudInitDefinition = z.infer<typeof CloudInitDefinitionSchema>;

/** 2: `nics` (a list) took the place of `network`, `nicMac` and `nicModel` (migrateVmDefinitionV1). */
export const VM_DEFINITION_VERSION = 2;
export const VmDefinitionSchema = z.strictObject({
  version: z.literal(VM_DEFINITION_VERSION),
  name: VmNameSchema,
  osType: OsTypeSchema,
  cpus: CpuCountSchema,
  memoryMiB: z.number().int().min(VM_MEMORY.minMiB).max(VM_MEMORY.maxMiB),
  machine: MachineProfileSchema,
  firmware: FirmwareSchema,
  accel: AccelChoiceSchema,
  disks: z.array(VmDiskSchema).max(16),
  iso: z.string().nullable(),
  kernel: DirectKernelSchema.nullable(),
  /** The guest's NICs in order (net0, net1, ...); empty: no network at all. */
  nics: z.array(VmNicSchema).max(MAX_VM_NICS),
  /** A NoCloud seed (ISO labelled cidata) built at each start and attached as a CD-ROM. */
  cloudInit: CloudInitDefinitionSchema.nullable().default(null),
  display: VmDisplaySchema,
  template: z.boolean(),
  description: z.string().max(1024),
  createdAt: z.string(),
  project: ProjectNameSchema.optional(),
  /** Probed by the helper while the VM runs; shown as `health` on the VM. */
  health: HealthCheckSchema.optional(),
  ...vmDeviceFields,
  /** A TPM 2.0 emulated by swtpm, its state in the VM's folder; absent: none (as in older records). */
  tpm: z.boolean().optional(),
  /** Hyper-V enlightenments on the CPU, for Windows guests; absent: none. */
  hyperv: z.boolean().optional(),
  /** The OS profile the VM was made with. */
  os: OsIdSchema.optional(),
  /** Host PCI devices bound to vfio-pci at each start and passed to the guest; absent: none. */
  devices: z.array(VmPciDeviceSchema).max(16).optional(),
  /** USB devices plugged at each start; present (even empty): the VM has a USB controller to hot-plug into. Absent on older records. */
  usb: z.array(UsbSelectorSchema).max(MAX_VM_USB_DEVICES).optional(),
  /** An IVSHMEM region for Looking Glass; absent: none. */
  lookingGlass: LookingGlassSchema.optional(),
  /** Mediated devices (vGPU slices) made at each start and removed at stop; absent: none. */
  mdevs: z.array(VmMdevSchema).max(MAX_VM_MDEVS).optional(),
  /** Single-GPU mode: the boot GPU (the host display's) may be passed, the host screen dark while the VM runs; absent: refused. */
  singleGpu: z.boolean().optional(),
  ...vmLifecycleFields,
  ...vmShareFields,
});
export type VmDefinition = z.infer<typeof VmDefinitionSchema>;

/** suspended: stopped with its RAM saved to a file in its folder; a start resumes it there. */
export const VmStateSchema = z.enum(['stopped', 'starting', 'running', 'paused', 'stopping', 'crashed', 'suspended']);
export type VmState = z.infer<typeof VmStateSchema>;

/** A NIC as the running QEMU has it: the network its tap joined at start, whatever the definition says since. */
export const VmRuntimeNicSchema = z.strictObject({
  network: z.string(),
  ifname: z.string(),
  mac: z.string(),
  /** Its place in the list (netN); absent in answers of older helpers: 0. */
  index: z.number().int().nonnegative().optional(),
  /** The address the network's DHCP server leased to it (or its static one); null: none yet. */
  address: z.string().nullable().optional(),
});
export type VmRuntimeNic = z.infer<typeof VmRuntimeNicSchema>;
/** One interface as the guest sees it (loopback left out); addresses with their prefix. */
export const GuestInterfaceSchema = z.strictObject({ name: z.string(), mac: z.string().nullable(), addresses: z.array(z.string()) });
export const GuestAgentInfoSchema = z.strictObject({ answering: z.boolean(), interfaces: z.array(GuestInterfaceSchema) });
export type GuestAgentInfo = z.infer<typeof GuestAgentInfoSchema>;

export const VmInfoSchema = z.strictObject({
  definition: VmDefinitionSchema,
  state: VmStateSchema,
  /** Why the VM is in this state when it was not asked for (crash reason, boot watchdog). */
  stateReason: z.string().nullable(),
  pid: z.number().int().nullable(),
  accel: z.enum(['kvm', 'tcg']).nullable(),
  startedAt: z.string().nullable(),
  /** The health check's verdict while running; null without a check or when not running. */
  health: GuestHealthSchema.nullable().default(null),
  /** Settings changed while it runs that its QEMU has not taken: applied at the next start. */
  pendingChanges: z.array(z.string()).optional(),
  /** The guest rebooted after an install from its CD: offer to eject the CD (cd0). */
  ejectSuggested: z.boolean().optional(),
  /** While it runs: the NICs its QEMU really has (empty without a Nova network). */
  nics: z.array(VmRuntimeNicSchema).optional(),
  /** What the guest agent last said (VMs with its channel, while running): whether it answers, and the guest's own interfaces. */
  guestAgent: GuestAgentInfoSchema.optional(),
});
export type VmInfo = z.infer<typeof VmInfoSchema>;

/** A file a caller names (disk, ISO, kernel, initrd): the vocabulary's rule, as the CLI, the NovaFile and the wizard apply it. */
export const FilePathSchema = syntaxSchema<string>((v) => parseText(v, 'a file path', parseFilePath));

export const VmCreateSpecSchema = z.strictObject({
  name: VmNameSchema,
  osType: OsTypeSchema.default('linux'),
  cpus: CpuCountSchema.default(1),
  /** Parsed to MiB. */
  memory: VmMemorySchema.default(DEFAULT_VM_MEMORY_MIB),
  machine: MachineProfileSchema.default('q35'),
  /** Absent: the OS profile's (uefi-secure for windows11), else bios; see vm-platform.ts. */
  firmware: FirmwareSchema.optional(),
  /** Another way to ask for uefi-secure; refused with bios firmware. */
  secureBoot: z.boolean().optional(),
  /** A TPM 2.0 (swtpm); absent: the OS profile's. */
  tpm: z.boolean().optional(),
  /** Hyper-V enlightenments; absent: the OS profile's. */
  hyperv: z.boolean().optional(),
  /** An OS profile: sets firmware, TPM, Hyper-V and raises CPUs, memory and disk to what the OS needs. */
  os: OsIdSchema.optional(),
  accel: AccelChoiceSchema.default('auto'),
  /** A new empty qcow2 disk of this size, parsed to MiB. */
  diskSize: DiskSizeSchema.optional(),
  /** An existing disk image: used as the backing file of a linked overlay (or as is with `useImageDirectly`). */
  image: FilePathSchema.optional(),
  linkedImage: z.boolean().default(true),
  iso: FilePathSchema.optional(),
  /** A driver ISO (virtio-win) in a second CD drive (cd1); for Windows 11 it also makes the disk virtio. */
  driverIso: FilePathSchema.optional(),
  /** A channel for the QEMU guest agent; absent: the OS profile's (on for windows11). */
  guestAgent: z.boolean().optional(),
  /** The boot disk's bus (absent: the OS profile's, virtio unless windows11 without a driver ISO) and cache mode. */
  diskBus: DiskBusSchema.optional(),
  diskCache: DiskCacheSchema.optional(),
  /** Disks beyond the boot disk: disk1, disk2, ... */
  disks: z.array(ExtraDiskSchema).max(15).optional(),
  /** ISOs in the further CD drives, after the driver ISO: cd1..cd3. */
  cdroms: z.array(FilePathSchema).max(EXTRA_CD_DRIVES).optional(),
  /** Device ids in boot order (diskN, cdN, net0); absent: automatic. */
  bootOrder: z.array(BootDeviceSchema).max(24).optional(),
  /** The NIC's MAC; absent: the automatic one. */
  nicMac: MacAddressSchema.optional(),
  /** All the NICs, in order (net0 first); given, `network` and `nicMac` stay unset. */
  nics: z.array(NicSpecSchema).max(MAX_VM_NICS).optional(),
  kernel: FilePathSchema.optional(),
  initrd: FilePathSchema.optional(),
  cmdline: z.string().max(4096).optional(),
  network: VmNetworkChoiceSchema.default('none'),
  cloudInit: CloudInitSpecSchema.optional(),
  display: z.enum(['vnc', 'spice', 'both', 'none']).default('vnc'),
  description: z.string().max(1024).default(''),
  /** Create from this template VM (a linked clone of its disks). */
  fromTemplate: VmNameSchema.optional(),
  project: ProjectNameSchema.optional(),
  health: HealthCheckSchema.optional(),
  /** Host PCI devices to pass through (VFIO); bound at each start. */
  devices: z.array(VmPciDeviceSchema).max(16).optional(),
  /** USB devices plugged at each start ("usb:046d:c52b", "usb:1-1.2", "usb:tablet"). */
  usb: z.array(UsbSelectorSchema).max(MAX_VM_USB_DEVICES).optional(),
  lookingGlass: LookingGlassSchema.optional(),
  mdevs: z.array(VmMdevSchema).max(MAX_VM_MDEVS).optional(),
  /** Allow the boot GPU among `devices` (single-GPU mode); without it, passing that GPU is refused. */
  singleGpu: z.boolean().optional(),
});
export type VmCreateSpec = z.infer<typeof VmCreateSpecSchema>;
export type VmCreateSpecIn = z.input<typeof VmCreateSpecSchema>;

/**
 * Changes to a stopped VM's definition (what `nova run` applies when a NovaFile
 * changed). Absent keys stay as they are; cloudInit null removes the seed.
 */
export const VmUpdateSpecSchema = z.strictObject({
  name: VmNameSchema,
  cpus: CpuCountSchema.optional(),
  memory: VmMemorySchema.optional(),
  accel: AccelChoiceSchema.optional(),
  cmdline: z.string().max(4096).optional(),
  network: VmNetworkChoiceSchema.optional(),
  cloudInit: CloudInitSpecSchema.nullable().optional(),
  display: z.enum(['vnc', 'spice', 'both', 'none']).optional(),
  description: z.string().max(1024).optional(),
  /** A new health check; null removes it. */
  health: HealthCheckSchema.nullable().optional(),
  machine: MachineProfileSchema.optional(),
  /** null: automatic (see resolveBootOrder). */
  bootOrder: z.array(BootDeviceSchema).max(24).nullable().optional(),
  /** Stopped VM only: a new firmware starts from its own template's UEFI variables. */
  firmware: FirmwareSchema.optional(),
  /** true: firmware uefi-secure (refused with bios); false: uefi-secure becomes plain uefi. */
  secureBoot: z.boolean().optional(),
  /** Stopped VM only: add a TPM 2.0 (refused when it has one), or remove it with its state. */
  tpm: z.boolean().optional(),
  /** Hyper-V enlightenments on or off; stopped VM only. */
  hyperv: z.boolean().optional(),
  /** Disks, CD drives and the NIC, in order; on a running VM only what appliesLive() allows, the rest refused. */
  devices: z.array(VmDeviceChangeSchema).max(32).optional(),
  /** Single-GPU mode on or off (from the next start). */
  singleGpu: z.boolean().optional(),
  ...vmLifecycleChanges,
  ...vmShareChanges,
});
export type VmUpdateSpec = z.infer<typeof VmUpdateSpecSchema>;
export type VmUpdateSpecIn = z.input<typeof VmUpdateSpecSchema>;

export const SnapshotSchema = z.strictObject({
  name: SnapshotNameSchema,
  parent: SnapshotNameSchema.nullable(),
  createdAt: z.string(),
  /** True when the snapshot holds the running VM's RAM and devices (restore resumes it). */
  withMemory: z.boolean(),
  /** Bytes of VM state saved with the snapshot (0 for disk-only). */
  vmStateSize: z.number().int().nonnegative(),
  description: z.string().max(1024),
  /** Never pruned by a snapshot policy; absent in records older than retention. */
  keepForever: z.boolean().optional(),
  /** Taken by the helper's snapshot schedule, so retention may prune it; absent = taken by hand. */
  scheduled: z.boolean().optional(),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

export const SnapshotTreeSchema = z.strictObject({
  current: SnapshotNameSchema.nullable(),
  snapshots: z.array(SnapshotSchema),
});
export type SnapshotTree = z.infer<typeof SnapshotTreeSchema>;

/** A VM image's name in the library. */
export const ImageNameSchema = nameSchema('vm-image');
/** What a VM image is for: a disk, a CD, or a kernel and initrd for direct boot. */
export const ImageTypeSchema = z.enum(['disk', 'iso', 'kernel', 'initrd']);
export type ImageType = z.infer<typeof ImageTypeSchema>;
export const ImageSchema = z.strictObject({
  name: ImageNameSchema,
  path: z.string(),
  /** Told from the file's header at import; kernels and initrds are kept as they came (format raw). */
  type: ImageTypeSchema,
  format: ImageFormatSchema,
  /** What the header says beyond the type: "bzImage", "ELF vmlinux", "cpio (zstd)". */
  detail: z.string().max(128).optional(),
  /** A bzImage's version string ("6.1.0-57-amd64"). */
  kernelVersion: z.string().max(128).optional(),
  virtualSize: z.number().int().nonnegative(),
  actualSize: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  importedAt: z.string(),
});
export type Image = z.infer<typeof ImageSchema>;

/** An image as `image.list` shows it: the record, and the VMs using it now (nothing is kept of this). */
export const ImageListEntrySchema = ImageSchema.extend({ usedBy: z.array(VmNameSchema) });
export type ImageListEntry = z.infer<typeof ImageListEntrySchema>;

export const VmConsoleInfoSchema = z.strictObject({
  serialSocket: z.string(),
  serialLog: z.string(),
  vnc: z
    .strictObject({ socket: z.string(), websocketUrl: z.string(), password: z.string() })
    .nullable(),
  spice: z.strictObject({ socket: z.string(), uri: z.string() }).nullable(),
});
export type VmConsoleInfo = z.infer<typeof VmConsoleInfoSchema>;

export const VmMetricsSchema = z.strictObject({
  name: VmNameSchema,
  sampledAt: z.string(),
  /** Percent of one host core (200 = two cores busy). */
  cpuPercent: z.number().nonnegative(),
  rssBytes: z.number().int().nonnegative(),
  diskReadBytes: z.number().int().nonnegative(),
  diskWriteBytes: z.number().int().nonnegative(),
  netRxBytes: z.number().int().nonnegative(),
  netTxBytes: z.number().int().nonnegative(),
});
export type VmMetrics = z.infer<typeof VmMetricsSchema>;
