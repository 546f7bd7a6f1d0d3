// Host devices in the contract: the PCI and USB inventory and the passthrough preflight
// (VFIO.md 5.2). Read-only for now: binding, reservations and QEMU wiring come later.
import { z } from 'zod';
import { syntaxSchema } from './vocabulary/syntax-schema.js';
import { parseText } from './vocabulary/parsed.js';
import { parsePciAddress } from './vocabulary/pci-address.js';

export const PciAddressSchema = syntaxSchema((v) => parseText(v, 'a PCI address', parsePciAddress));

/** A program holding one of the device's nodes open (/dev/dri/card1, renderD128...). */
export const DeviceUserSchema = z.strictObject({
  pid: z.number().int(),
  name: z.string(),
  node: z.string(),
});
export type DeviceUser = z.infer<typeof DeviceUserSchema>;

export const IommuGroupMemberSchema = z.strictObject({
  address: z.string(),
  classCode: z.string(),
  className: z.string().nullable(),
  name: z.string().nullable(),
  driver: z.string().nullable(),
  /** Bridges and ports need no driver change: the kernel leaves them out of ownership. */
  bridge: z.boolean(),
});
export type IommuGroupMember = z.infer<typeof IommuGroupMemberSchema>;

export const MdevTypeSchema = z.strictObject({
  id: z.string(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  availableInstances: z.number().int().nullable(),
});

export const PciDeviceSchema = z.strictObject({
  address: z.string(),
  /** Six hex digits, as sysfs's `class` without 0x: "030000". */
  classCode: z.string(),
  className: z.string().nullable(),
  vendorId: z.string(),
  deviceId: z.string(),
  vendorName: z.string().nullable(),
  deviceName: z.string().nullable(),
  subsystemVendorId: z.string().nullable(),
  subsystemDeviceId: z.string().nullable(),
  subsystemName: z.string().nullable(),
  driver: z.string().nullable(),
  driverOverride: z.string().nullable(),
  /** null when the host has no active IOMMU. */
  iommuGroup: z.number().int().nullable(),
  groupMembers: z.array(IommuGroupMemberSchema),
  /** Enabled reset methods (`reset_method`); ["(reset)"] when only `reset` exists on an older kernel. */
  resetMethods: z.array(z.string()),
  /** null when the device is not VGA-class (the kernel shows boot_vga only there). */
  bootVga: z.boolean().nullable(),
  numaNode: z.number().int().nullable(),
  sriov: z
    .strictObject({ totalVfs: z.number().int(), numVfs: z.number().int(), vfs: z.array(z.string()) })
    .nullable(),
  /** On a virtual function: its physical function. */
  physfn: z.string().nullable(),
  /** Its /dev nodes: DRM card and render nodes (from its drm/ folder), /dev/nvidiaN under NVIDIA's driver. */
  nodes: z.array(z.string()),
  users: z.array(DeviceUserSchema),
  mdevTypes: z.array(MdevTypeSchema),
  /** One word for lists: ready | warn | blocked | bridge (see device.check for why). */
  readiness: z.enum(['ready', 'warn', 'blocked', 'bridge']),
});
export type PciDevice = z.infer<typeof PciDeviceSchema>;

export const UsbDeviceSchema = z.strictObject({
  /** The sysfs name: "1-1.2". */
  port: z.string(),
  bus: z.number().int(),
  address: z.number().int(),
  vendorId: z.string(),
  productId: z.string(),
  vendorName: z.string().nullable(),
  productName: z.string().nullable(),
  /** What the device says of itself (its `manufacturer`/`product` strings). */
  manufacturer: z.string().nullable(),
  product: z.string().nullable(),
});
export type UsbDevice = z.infer<typeof UsbDeviceSchema>;

export const DeviceInventorySchema = z.strictObject({
  generatedAt: z.string(),
  iommuActive: z.boolean(),
  pci: z.array(PciDeviceSchema),
  usb: z.array(UsbDeviceSchema),
});
export type DeviceInventory = z.infer<typeof DeviceInventorySchema>;

export const PreflightVerdictSchema = z.enum(['pass', 'warn', 'block']);
export type PreflightVerdict = z.infer<typeof PreflightVerdictSchema>;

export const PreflightItemSchema = z.strictObject({
  id: z.string(),
  label: z.string(),
  verdict: PreflightVerdictSchema,
  summary: z.string(),
  /** The files and values read, as "path: value". */
  evidence: z.array(z.string()),
  /** One line on what to do; null on a pass. */
  fix: z.string().nullable(),
});
export type PreflightItem = z.infer<typeof PreflightItemSchema>;

export const DevicePreflightSchema = z.strictObject({
  address: z.string(),
  verdict: PreflightVerdictSchema,
  items: z.array(PreflightItemSchema),
});
export type DevicePreflight = z.infer<typeof DevicePreflightSchema>;

/** The worst of the verdicts: block over warn over pass. */
export function worstVerdict(verdicts: readonly PreflightVerdict[]): PreflightVerdict {
  if (verdicts.includes('block')) return 'block';
  return verdicts.includes('warn') ? 'warn' : 'pass';
}

/**
 * Per device: bind when its VM starts and restore the host driver when it stops (the
 * default), or leave it on vfio-pci after the VM stops (cards that cannot be unbound twice).
 */
export const DevicePolicySchema = z.enum(['restore', 'keep']);
export type DevicePolicy = z.infer<typeof DevicePolicySchema>;

/** How far one function's bind got; the journal keeps it fsynced before each step. */
export const BindStepSchema = z.enum(['recorded', 'override', 'unbind', 'probe', 'bound']);
export type BindStep = z.infer<typeof BindStepSchema>;

export const BoundFunctionSchema = z.strictObject({
  address: z.string(),
  /** The driver it had before Nova touched it; null when it had none (it stays unbound on restore). */
  originalDriver: z.string().nullable(),
  originalOverride: z.string().nullable(),
  step: BindStepSchema,
});
export type BoundFunction = z.infer<typeof BoundFunctionSchema>;

/** Who holds a group: a VM (with its QEMU once it runs), or an administrator's `nova device bind`. */
export const DeviceHolderSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('vm'),
    vm: z.string(),
    /** The QEMU process once it runs; until then the helper that is starting it. */
    pid: z.number().int().nullable(),
    startTime: z.string().nullable(),
    helperPid: z.number().int(),
    helperStartTime: z.string(),
  }),
  z.strictObject({ kind: z.literal('manual') }),
]);
export type DeviceHolder = z.infer<typeof DeviceHolderSchema>;

/**
 * One IOMMU group's binding journal and reservation (the group is the unit of
 * ownership): written before every step, so a helper killed at any instant leaves
 * enough to roll the step back or finish it.
 */
export const DeviceBindingSchema = z.strictObject({
  group: z.number().int(),
  /** The address asked for; its group mates come along. */
  primary: z.string(),
  phase: z.enum(['binding', 'bound', 'restoring', 'stuck']),
  policy: DevicePolicySchema,
  holder: DeviceHolderSchema.nullable(),
  functions: z.array(BoundFunctionSchema),
  /** Functions whose unbind never returned: only a reboot frees them. */
  stuck: z.array(z.string()),
  updatedAt: z.string(),
});
export type DeviceBinding = z.infer<typeof DeviceBindingSchema>;

/** A PCI device a VM's definition passes through; its IOMMU group mates come along at start. */
export const VmPciDeviceSchema = z.strictObject({
  address: PciAddressSchema,
  policy: DevicePolicySchema.default('restore'),
  /** A ROM image QEMU shows the guest instead of the card's own (`romfile=`); checked readable at start. */
  rom: z.string().min(1).max(4096).startsWith('/').optional(),
});
export type VmPciDevice = z.infer<typeof VmPciDeviceSchema>;

/** One sysfs write a bind or restore would make, in order. */
export const SysfsWriteSchema = z.strictObject({ path: z.string(), data: z.string() });
export type SysfsWrite = z.infer<typeof SysfsWriteSchema>;

/**
 * A bind simulated on a model of the device's IOMMU group (the same kernel model the
 * tests use), fed with what the host shows now: the exact writes Apply would make, and
 * those Release would make afterwards. Nothing on the host changes.
 */
export const BindPreviewSchema = z.strictObject({
  address: z.string(),
  group: z.number().int(),
  /** Each endpoint that moves: its driver now and after the bind. */
  functions: z.array(z.strictObject({ address: z.string(), from: z.string().nullable(), to: z.string() })),
  bindWrites: z.array(SysfsWriteSchema),
  restoreWrites: z.array(SysfsWriteSchema),
  warnings: z.array(z.string()),
});
export type BindPreview = z.infer<typeof BindPreviewSchema>;
