// Virtual machines in the contract: names, sizes, the stored definition, states,
// snapshots, images and metrics. The helper stores these shapes; every process validates them.
import { z } from 'zod';
import { NetworkNameSchema } from './network.js';

/** DNS-label-like: no `/`, no `..`, no spaces, at most 63 characters. */
export const VM_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const VmNameSchema = z
  .string()
  .max(63, 'a VM name has at most 63 characters')
  .regex(VM_NAME_PATTERN, 'a VM name is lowercase letters, digits and "-", starting with a letter or digit');

export const SnapshotNameSchema = z
  .string()
  .max(63, 'a snapshot name has at most 63 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a snapshot name is letters, digits, ".", "_" and "-"');

export const MEBIBYTE = 1024 * 1024;
const SIZE_UNITS: Record<string, number> = {
  '': MEBIBYTE, // a bare number is MiB, as QEMU's -m takes it
  B: 1,
  K: 1024,
  Ki: 1024,
  M: MEBIBYTE,
  Mi: MEBIBYTE,
  G: 1024 * MEBIBYTE,
  Gi: 1024 * MEBIBYTE,
  T: 1024 * 1024 * MEBIBYTE,
  Ti: 1024 * 1024 * MEBIBYTE,
};

/**
 * "512Mi", "2Gi", "1.5G", "2048" (MiB) -> bytes. Throws a message a person can act on:
 * `16Zi` is refused for its unit, not silently truncated.
 */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text <= 0) throw new Error(`size ${text} must be a positive number`);
    return Math.round(text * MEBIBYTE);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) throw new Error(`size "${text}" is not a number with an optional unit (e.g. 512Mi, 2Gi)`);
  const unit = m[2] ?? '';
  const factor = SIZE_UNITS[unit];
  if (factor === undefined) {
    throw new Error(`size "${text}": unit "${unit}" is not supported (use Ki, Mi, Gi or Ti)`);
  }
  const bytes = Math.round(Number(m[1]) * factor);
  if (bytes <= 0) throw new Error(`size "${text}" must be greater than zero`);
  return bytes;
}

export const SizeInputSchema = z.union([z.string().max(32), z.number().positive()]);

export const MachineProfileSchema = z.enum(['q35', 'microvm']);
export const FirmwareSchema = z.enum(['bios', 'uefi']);
export const AccelChoiceSchema = z.enum(['auto', 'kvm', 'tcg']);
export const OsTypeSchema = z.enum(['linux', 'windows', 'other']);
export const DiskFormatSchema = z.enum(['qcow2', 'raw']);
export const ImageFormatSchema = z.enum(['qcow2', 'raw', 'vmdk', 'vdi', 'vhdx', 'iso']);

export const VmDiskSchema = z.strictObject({
  /** Also the QEMU node name: "disk0", "disk1", ... */
  id: z.string().regex(/^disk[0-9]{1,2}$/),
  path: z.string(),
  format: DiskFormatSchema,
  /** Created by Nova in the VM's folder: deleted with the VM unless disks are kept. */
  owned: z.boolean(),
  readOnly: z.boolean().default(false),
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
/** What callers write: "none", "user", or { nova: "lab" } for a Nova network. */
export const VmNetworkChoiceSchema = z.union([z.enum(['none', 'user']), z.strictObject({ nova: NetworkNameSchema })]);
export type VmNetworkChoice = z.infer<typeof VmNetworkChoiceSchema>;

export function vmNetworkFromChoice(choice: VmNetworkChoice): VmNetwork {
  return typeof choice === 'string' ? { mode: choice } : { mode: 'nova', network: choice.nova };
}

const HOSTNAME_PATTERN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const LOGIN_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;
const SSH_KEY_PATTERN = /^(?:ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}(?: [^\n\r]*)?$/;

/** A static address for the guest's NIC; without one the seed asks for DHCP. */
export const CloudInitNetworkSchema = z.strictObject({
  /** "192.168.220.10/24" */
  address: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'write the address with its prefix, e.g. 192.168.220.10/24'),
  gateway: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'not an IPv4 address').optional(),
  nameservers: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'not an IPv4 address')).max(4).default([]),
});
export type CloudInitNetwork = z.infer<typeof CloudInitNetworkSchema>;

const cloudInitCommon = {
  hostname: z.string().regex(HOSTNAME_PATTERN, 'a host name is dot-separated labels of lowercase letters, digits and "-"').optional(),
  /** Created with sudo rights; absent: the image's default user gets the password and keys. */
  user: z.string().regex(LOGIN_PATTERN, 'a user name is up to 32 lowercase letters, digits, "_" and "-", starting with a letter').optional(),
  sshAuthorizedKeys: z.array(z.string().max(16_384).regex(SSH_KEY_PATTERN, 'not an SSH public key line ("ssh-ed25519 AAAA... comment")')).max(64).default([]),
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

export const VM_DEFINITION_VERSION = 1;
export const VmDefinitionSchema = z.strictObject({
  version: z.literal(VM_DEFINITION_VERSION),
  name: VmNameSchema,
  osType: OsTypeSchema,
  cpus: z.number().int().min(1).max(256),
  memoryMiB: z.number().int().min(16).max(16 * 1024 * 1024),
  machine: MachineProfileSchema,
  firmware: FirmwareSchema,
  accel: AccelChoiceSchema,
  disks: z.array(VmDiskSchema).max(16),
  iso: z.string().nullable(),
  kernel: DirectKernelSchema.nullable(),
  network: VmNetworkSchema,
  /** A NoCloud seed (ISO labelled cidata) built at each start and attached as a CD-ROM. */
  cloudInit: CloudInitDefinitionSchema.nullable().default(null),
  display: VmDisplaySchema,
  template: z.boolean(),
  description: z.string().max(1024),
  createdAt: z.string(),
});
export type VmDefinition = z.infer<typeof VmDefinitionSchema>;

export const VmStateSchema = z.enum(['stopped', 'starting', 'running', 'paused', 'stopping', 'crashed']);
export type VmState = z.infer<typeof VmStateSchema>;

export const VmInfoSchema = z.strictObject({
  definition: VmDefinitionSchema,
  state: VmStateSchema,
  /** Why the VM is in this state when it was not asked for (crash reason, boot watchdog). */
  stateReason: z.string().nullable(),
  pid: z.number().int().nullable(),
  accel: z.enum(['kvm', 'tcg']).nullable(),
  startedAt: z.string().nullable(),
});
export type VmInfo = z.infer<typeof VmInfoSchema>;

export const VmCreateSpecSchema = z.strictObject({
  name: VmNameSchema,
  osType: OsTypeSchema.default('linux'),
  cpus: z.number().int().min(1, 'a VM needs at least one CPU').max(256).default(1),
  memory: SizeInputSchema.default('512Mi'),
  machine: MachineProfileSchema.default('q35'),
  firmware: FirmwareSchema.default('bios'),
  accel: AccelChoiceSchema.default('auto'),
  /** A new empty qcow2 disk of this size. */
  diskSize: SizeInputSchema.optional(),
  /** An existing disk image: used as the backing file of a linked overlay (or as is with `useImageDirectly`). */
  image: z.string().optional(),
  linkedImage: z.boolean().default(true),
  iso: z.string().optional(),
  kernel: z.string().optional(),
  initrd: z.string().optional(),
  cmdline: z.string().max(4096).optional(),
  network: VmNetworkChoiceSchema.default('none'),
  cloudInit: CloudInitSpecSchema.optional(),
  display: z.enum(['vnc', 'spice', 'both', 'none']).default('vnc'),
  description: z.string().max(1024).default(''),
  /** Create from this template VM (a linked clone of its disks). */
  fromTemplate: VmNameSchema.optional(),
});
export type VmCreateSpec = z.infer<typeof VmCreateSpecSchema>;
export type VmCreateSpecIn = z.input<typeof VmCreateSpecSchema>;

/**
 * Changes to a stopped VM's definition (what `nova run` applies when a NovaFile
 * changed). Absent keys stay as they are; cloudInit null removes the seed.
 */
export const VmUpdateSpecSchema = z.strictObject({
  name: VmNameSchema,
  cpus: z.number().int().min(1, 'a VM needs at least one CPU').max(256).optional(),
  memory: SizeInputSchema.optional(),
  accel: AccelChoiceSchema.optional(),
  cmdline: z.string().max(4096).optional(),
  network: VmNetworkChoiceSchema.optional(),
  cloudInit: CloudInitSpecSchema.nullable().optional(),
  display: z.enum(['vnc', 'spice', 'both', 'none']).optional(),
  description: z.string().max(1024).optional(),
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
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

export const SnapshotTreeSchema = z.strictObject({
  current: SnapshotNameSchema.nullable(),
  snapshots: z.array(SnapshotSchema),
});
export type SnapshotTree = z.infer<typeof SnapshotTreeSchema>;

export const ImageSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
  path: z.string(),
  format: ImageFormatSchema,
  virtualSize: z.number().int().nonnegative(),
  actualSize: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  importedAt: z.string(),
});
export type Image = z.infer<typeof ImageSchema>;

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
