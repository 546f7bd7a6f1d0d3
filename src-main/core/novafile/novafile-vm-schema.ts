// [vm.NAME] in a NovaFile: the contract's VmCreateSpec keys under the NovaFile's names
// (cpu, disk_size, cloud_init), with paths relative to the NovaFile's folder and GPU
// passthrough, which the NovaFile plans before it asks the helper for a VM.
import { z } from 'zod';
import { NetworkNameSchema } from '../../../src-shared/network.js';
import { describeValue, LOCAL_HOST, parseHostName, parsePciAddress, parseUsbSelector, pathProblem, type Parsed } from '../../../src-shared/vocabulary/index.js';
import { LookingGlassSchema, MAX_VM_MDEVS, VmMdevSchema } from '../../../src-shared/vm-passthrough.js';
import type { NovaError } from '../../../src-shared/errors.js';
import { CloudInitSpecSchema, VM_MAX_CPUS, VmCreateSpecSchema } from '../../../src-shared/vm.js';
import { BootDeviceSchema, ExtraDiskSchema, MAX_VM_NICS, NicModelSchema, type NicModel } from '../../../src-shared/vm-devices.js';
import { resolvePlatform } from '../../../src-shared/vm-platform.js';
import { dependsOn, VmHealthSchema } from './novafile-health-schema.js';
import { SnapshotTableSchema } from './novafile-snapshot-schema.js';
import { autostartKey, sharesKey, vmRestartKey } from './novafile-lifecycle-schema.js';
import { AT_KEY, choiceOf, expected, layered, list, parsedString, table, whenValid } from './novafile-schema-kit.js';

const spec = VmCreateSpecSchema.shape;
const cloudInit = CloudInitSpecSchema.shape;

/** Paths as written; the config resolves relative ones from the NovaFile's folder. */
export const filePath = (what: string) =>
  parsedString(what, (s): Parsed<string> => {
    const problem = pathProblem(s);
    return problem ? { ok: false, message: problem } : { ok: true, value: s };
  });

/** `network = "NAME"` in a VM or capsule; that NAME is declared is checked across tables. */
export const networkReference = layered(NetworkNameSchema, 'the name of a network', { text: true });

/** `host = "closet"`: a registered host's name or "local"; the registry check is novafile-hosts.ts. */
export const hostReference = parsedString('a host name such as "closet", or "local"', (s) => (s === LOCAL_HOST ? { ok: true, value: s } : parseHostName(s)));

export type GpuPassthrough = { kind: 'off' } | { kind: 'auto' } | { kind: 'devices'; addresses: string[] };

const GPU_HELP = 'true, false, a PCI address such as "0000:01:00.0", or a list of them';

/** true (Nova picks the host's spare GPU at apply time), false, or explicit PCI addresses. */
const gpuPassthrough = z.unknown().transform((value, ctx): GpuPassthrough => {
  if (value === true) return { kind: 'auto' };
  if (value === false) return { kind: 'off' };
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (!items) {
    ctx.addIssue({ code: 'custom', message: `expected ${GPU_HELP}, got ${describeValue(value)}`, input: value });
    return z.NEVER;
  }
  if (items.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'the list is empty; list PCI addresses, or write false for no passthrough', input: value });
    return z.NEVER;
  }
  const addresses: string[] = [];
  items.forEach((item, index) => {
    const path = Array.isArray(value) ? [index] : [];
    const result = typeof item === 'string' ? parsePciAddress(item) : undefined;
    if (!result) ctx.addIssue({ code: 'custom', message: `expected a PCI address string, got ${describeValue(item)}`, path, input: item });
    else if (!result.ok) ctx.addIssue({ code: 'custom', message: result.message, path, input: item });
    else if (addresses.includes(result.value)) {
      ctx.addIssue({ code: 'custom', message: `${result.value} is listed twice`, path, input: item });
    } else addresses.push(result.value);
  });
  return addresses.length === items.length ? { kind: 'devices', addresses } : z.NEVER;
});

const DEVICES_HELP = 'a list of devices such as ["0000:01:00.0", "usb:046d:c52b"]';

/** `devices`: PCI addresses (VFIO passthrough) and USB devices, told apart by the "usb:" prefix. */
const devices = z.unknown().transform((value, ctx): { pci: string[]; usb: string[] } => {
  if (!Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `expected ${DEVICES_HELP}, got ${describeValue(value)}`, input: value });
    return z.NEVER;
  }
  const out = { pci: [] as string[], usb: [] as string[] };
  (value as unknown[]).forEach((item, index) => {
    const text = typeof item === 'string' ? item : undefined;
    const result = text === undefined ? undefined : /^usb:/i.test(text) ? parseUsbSelector(text) : parsePciAddress(text);
    if (!result) return ctx.addIssue({ code: 'custom', message: `expected a device string, got ${describeValue(item)}`, path: [index], input: item });
    if (!result.ok) return ctx.addIssue({ code: 'custom', message: result.message, path: [index], input: item });
    const kind = result.value.startsWith('usb:') ? out.usb : out.pci;
    if (kind.includes(result.value)) return ctx.addIssue({ code: 'custom', message: `${result.value} is listed twice`, path: [index], input: item });
    kind.push(result.value);
  });
  return out;
});

const mdev = VmMdevSchema.shape;
/** `mdevs = [{ parent = "0000:00:02.0", type = "i915-GVTg_V5_4" }]`: vGPU slices made at each start. */
const MdevTableSchema = table(
  { parent: layered(mdev.parent, 'the PCI address of the parent GPU, e.g. "0000:00:02.0"'), type: layered(mdev.type, 'an mdev type as mdev_supported_types names it, e.g. "i915-GVTg_V5_4"') },
  'a table such as { parent = "0000:00:02.0", type = "i915-GVTg_V5_4" }',
);

export const cloudInitShape = {
  user: layered(cloudInit.user.unwrap(), 'a user name such as "dev"').optional(),
  /** Hashed by the helper and never stored; prefer ssh_authorized_keys. */
  password: layered(cloudInit.password.unwrap(), 'a password string').optional(),
  ssh_authorized_keys: list(layered(cloudInit.sshAuthorizedKeys.unwrap().element, 'an SSH public key'), 'SSH public keys').optional(),
  hostname: layered(cloudInit.hostname.unwrap(), 'a host name such as "web-1"').optional(),
};

const extraDisk = ExtraDiskSchema.shape;
const bus = extraDisk.bus.unwrap();
const cache = extraDisk.cache.unwrap();

/** [[vm.NAME.disk]]: a disk after the boot disk, new (size) or a file used in place (path). */
export const diskShape = {
  size: layered(extraDisk.size.unwrap(), 'a disk size such as "20Gi"').optional(),
  path: filePath('the path of a disk image, e.g. "./data.qcow2"').optional(),
  bus: layered(bus, choiceOf(bus.options, 'a disk bus')).optional(),
  cache: layered(cache, choiceOf(cache.options, 'a cache mode')).optional(),
};
const DiskTableSchema = table(diskShape, 'a table of disk settings, e.g. [[vm.NAME.disk]] with size = "20Gi"').superRefine((d, ctx) => {
  if ((d.size === undefined) === (d.path === undefined)) {
    ctx.addIssue({ code: 'custom', path: [], message: d.size === undefined ? 'give the new disk a size (e.g. size = "20Gi"), or the path of an existing one' : 'give size for a new disk or path for an existing one, not both' });
  }
}, whenValid(['size', 'path']));
export type DiskDocument = z.output<typeof DiskTableSchema>;

const macAddress = layered(spec.nicMac.unwrap(), 'a MAC address such as "52:54:00:12:34:56"');

/** One of `networks`: a network's name, or a table that also gives the NIC's MAC and model. */
const NicTableSchema = table(
  {
    network: networkReference,
    mac: macAddress.optional(),
    model: layered(NicModelSchema, choiceOf(NicModelSchema.options, 'a NIC model')).optional(),
  },
  'a network name, or a table such as { network = "storage", mac = "52:54:00:aa:00:02", model = "e1000e" }',
);
const NIC_ENTRY_HELP = 'a network name, or a table such as { network = "storage", mac = "52:54:00:aa:00:02", model = "e1000e" }';

/** One NIC as `networks` gives it: absent MAC and model are Nova's stable MAC and virtio. */
export interface NicDocument {
  network: string;
  mac?: string;
  model?: NicModel;
}

/** "lan", or { network = "lan", mac = "...", model = "e1000e" }. */
const nicEntry = z.unknown().transform((value, ctx): NicDocument => {
  if (typeof value === 'string') {
    const name = networkReference.safeParse(value);
    if (name.success) return { network: name.data };
    for (const issue of name.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, input: value });
    return z.NEVER;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) {
    ctx.addIssue({ code: 'custom', message: expected(NIC_ENTRY_HELP)({ input: value }), input: value });
    return z.NEVER;
  }
  const nic = NicTableSchema.safeParse(value);
  if (nic.success) {
    const { network, mac, model } = nic.data;
    return { network, ...(mac !== undefined ? { mac } : {}), ...(model !== undefined ? { model } : {}) };
  }
  for (const issue of nic.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) ctx.addIssue({ code: 'custom', path: [key], params: AT_KEY, message: `unknown key "${key}"; a NIC takes network, mac and model`, input: value });
    } else ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message, input: value });
  }
  return z.NEVER;
});

/** `networks`: one NIC each, in order (net0, net1, ...); each MAC given once. */
const nicList = list(nicEntry, NIC_ENTRY_HELP)
  .min(1, 'at least one network (or leave the key out)')
  .max(MAX_VM_NICS, `at most ${MAX_VM_NICS} NICs`)
  .superRefine((nics, ctx) => {
    nics.forEach((nic, index) => {
      if (nic.mac !== undefined && nics.findIndex((other) => other.mac === nic.mac) < index) {
        ctx.addIssue({ code: 'custom', path: [index, 'mac'], message: `${nic.mac} is the MAC of an earlier NIC too; each NIC needs its own` });
      }
    });
  });

const machine = spec.machine.unwrap();
const firmware = spec.firmware.unwrap();
const accel = spec.accel.unwrap();
const display = spec.display.unwrap();

export const vmShape = {
  /** The boot disk. */
  image: filePath('the path of a disk image, e.g. "/var/lib/nova/images/win11.qcow2"').optional(),
  /** An installer or live ISO, attached as a CD-ROM. */
  iso: filePath('the path of an ISO image').optional(),
  /** Direct kernel boot (required by machine = "microvm"). */
  kernel: filePath('the path of a kernel image, e.g. "./vmlinux"').optional(),
  initrd: filePath('the path of an initramfs').optional(),
  cmdline: layered(spec.cmdline.unwrap(), 'a kernel command line string').optional(),
  cpu: layered(spec.cpus.unwrap(), `a whole number of virtual CPUs from 1 to ${VM_MAX_CPUS}`).optional(),
  /** MiB. */
  memory: layered(spec.memory.unwrap(), 'a memory size such as "4Gi"').optional(),
  /** MiB: the size of the disk Nova creates (or grows) at `image`. */
  disk_size: layered(spec.diskSize.unwrap(), 'a disk size such as "32Gi"').optional(),
  machine: layered(machine, choiceOf(machine.options, 'a machine type')).optional(),
  firmware: layered(firmware, choiceOf(firmware.options, 'a firmware')).optional(),
  /** "windows11" (UEFI Secure Boot, TPM, Hyper-V, its CPU and memory floor) or an osinfo id such as "debian11". */
  os: layered(spec.os.unwrap(), 'an OS id such as "windows11" or "debian11"').optional(),
  /** A TPM 2.0 (swtpm), its state kept with the VM. */
  tpm: layered(spec.tpm.unwrap(), 'true or false').optional(),
  /** UEFI Secure Boot: the same as firmware = "uefi-secure". */
  secure_boot: layered(spec.secureBoot.unwrap(), 'true or false').optional(),
  /** Hyper-V enlightenments for Windows guests. */
  hyperv: layered(spec.hyperv.unwrap(), 'true or false').optional(),
  /** `auto`: KVM when the host can use it, TCG otherwise (apply time says which and why). */
  accel: layered(accel, choiceOf(accel.options, 'an accelerator')).optional(),
  display: layered(display, choiceOf(display.options, 'a display')).optional(),
  network: networkReference.optional(),
  /** Several NICs, one per network in order (net0, net1, ...), each a name or a table with its MAC and model; instead of `network`. */
  networks: nicList.optional(),
  /** The first NIC's MAC, e.g. "52:54:00:12:34:56"; absent: Nova's stable one. */
  mac: macAddress.optional(),
  /** The boot disk's bus and cache mode (absent: the OS profile's, and writeback). */
  disk_bus: layered(bus, choiceOf(bus.options, 'a disk bus')).optional(),
  disk_cache: layered(cache, choiceOf(cache.options, 'a cache mode')).optional(),
  /** Disks after the boot disk, in order: disk1, disk2, ... */
  disk: list(DiskTableSchema, 'disk tables, e.g. [[vm.NAME.disk]] with size = "20Gi"').max(15, 'at most 15 disks beside the boot disk').optional(),
  /** A driver ISO (virtio-win) in cd1; for os = "windows11" the boot disk is then virtio. */
  driver_iso: filePath('the path of a driver ISO such as "./virtio-win.iso"').optional(),
  /** ISOs in the further CD drives (cd1..cd3, after driver_iso). */
  cdroms: list(filePath('the path of an ISO image'), 'ISO paths').max(3, 'at most 3 further CD drives (cd1 to cd3)').optional(),
  /** Devices in boot order: "disk0", "cd0", "net0", ... */
  boot_order: list(layered(BootDeviceSchema, 'a boot device such as "disk0", "cd0" or "net0"'), 'boot devices').max(24).optional(),
  /** The QEMU guest agent's channel (absent: on for windows11). */
  guest_agent: layered(spec.guestAgent.unwrap(), 'true or false').optional(),
  /** The saved host the VM runs on (plan, up, down and ps reach it there). */
  host: hostReference.optional(),
  gpu_passthrough: gpuPassthrough.optional(),
  devices: devices.optional(),
  /** [vm.NAME.looking_glass] resolution = "2560x1440": shared memory for the Looking Glass client. */
  mdevs: list(MdevTableSchema, 'mediated devices, e.g. [{ parent = "0000:00:02.0", type = "i915-GVTg_V5_4" }]').max(MAX_VM_MDEVS, `at most ${MAX_VM_MDEVS} mediated devices`).optional(),
  /** Single-GPU mode: the boot GPU may be among the devices (the host screen is dark while the VM runs). */
  single_gpu: layered(spec.singleGpu.unwrap(), 'true or false').optional(),
  looking_glass: table({ resolution: layered(LookingGlassSchema.shape.resolution, 'a resolution such as "2560x1440"') }, 'a table such as looking_glass = { resolution = "2560x1440" }').optional(),
  cloud_init: table(cloudInitShape, 'a table of cloud-init settings, e.g. cloud_init = { user = "dev" }').optional(),
  /** Guests started before this one: ["db"], or depends_on.db = { condition = "healthy" }. */
  depends_on: dependsOn.optional(),
  health: VmHealthSchema.optional(),
  /** Host folders in the guest: ["./src:/mnt/src:ro"] (virtiofs, or 9p where it cannot be had). */
  shares: sharesKey.optional(),
  /** Started by the helper when the host boots: true, or { order = 1, delay = "10s" }. */
  autostart: autostartKey.optional(),
  /** Started again when it ends unasked: "no", "on-crash" or "always". */
  restart: vmRestartKey.optional(),
  /** Overrides the project's [snapshots] keys for this VM. */
  snapshots: SnapshotTableSchema.optional(),
};

export const VmTableSchema = table(vmShape, 'a table of VM settings, e.g. [vm.NAME] with cpu = 2')
  .superRefine(
    (vm, ctx) => {
      const problem = platformProblem(vm);
      if (problem) ctx.addIssue({ code: 'custom', path: [problem.key], params: AT_KEY, message: problem.message });
    },
    whenValid(['firmware', 'secure_boot', 'os', 'machine', 'tpm']),
  )
  .superRefine(
    (vm, ctx) => {
      if (vm.network !== undefined && vm.networks !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['networks'], params: AT_KEY, message: 'give network (one NIC) or networks (one NIC each), not both' });
      }
      // A MAC belongs to a NIC, and without a network the VM has none.
      if (vm.mac !== undefined && vm.network === undefined && vm.networks === undefined) {
        ctx.addIssue({ code: 'custom', path: ['mac'], params: AT_KEY, message: 'mac is the first NIC\'s MAC address: set network (or networks) too' });
      }
      const first = vm.networks?.[0];
      if (vm.mac !== undefined && first?.mac !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['mac'], params: AT_KEY, message: 'mac is the first NIC\'s MAC address, which networks[0] gives too: give it once' });
      }
      const later = vm.networks?.findIndex((nic, index) => index > 0 && nic.mac === vm.mac) ?? -1;
      if (vm.mac !== undefined && later > 0) {
        ctx.addIssue({ code: 'custom', path: ['networks', later, 'mac'], message: `${vm.mac} is the first NIC's MAC (mac) too; each NIC needs its own` });
      }
    },
    whenValid(['network', 'networks', 'mac']),
  )
  .superRefine(
    (vm, ctx) => {
      if (vm.machine === 'microvm' && vm.kernel === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['machine'],
          message: 'machine = "microvm" boots a kernel directly; set kernel (and usually initrd and cmdline)',
        });
      }
    },
    whenValid(['machine', 'kernel']),
  )
  .superRefine(
    (vm, ctx) => {
      if (vm.driver_iso !== undefined && vm.cdroms !== undefined && vm.cdroms.length > 2) {
        ctx.addIssue({ code: 'custom', path: ['cdroms'], params: AT_KEY, message: 'driver_iso takes cd1: at most 2 further ISOs fit (cd2 and cd3)' });
      }
      if (vm.boot_order === undefined) return;
      const devices = new Set(['disk0', 'net0', ...(vm.disk ?? []).map((_, i) => `disk${i + 1}`), ...(vm.iso !== undefined ? ['cd0'] : [])]);
      const cds = (vm.driver_iso !== undefined ? 1 : 0) + (vm.cdroms?.length ?? 0);
      for (let i = 1; i <= cds; i++) devices.add(`cd${i}`);
      vm.boot_order.forEach((item, index) => {
        if (!devices.has(item)) ctx.addIssue({ code: 'custom', path: ['boot_order', index], message: `the VM has no ${item}; it has ${[...devices].join(', ')}` });
      });
    },
    whenValid(['driver_iso', 'cdroms', 'boot_order', 'disk', 'iso']),
  )
  .superRefine(
    (vm, ctx) => {
      if (vm.kernel !== undefined) return;
      for (const key of ['initrd', 'cmdline'] as const) {
        if (vm[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            params: AT_KEY,
            message: `${key} is used only with direct kernel boot; set kernel or remove ${key}`,
          });
        }
      }
    },
    whenValid(['kernel', 'initrd', 'cmdline']),
  );

export type VmDocument = z.output<typeof VmTableSchema>;

/** Secure Boot with BIOS and Windows 11 on BIOS are refused at the key, as the helper would refuse them. */
export function platformProblem(vm: Pick<VmDocument, 'firmware' | 'secure_boot' | 'os' | 'machine' | 'tpm'>): { key: string; message: string } | null {
  try {
    resolvePlatform({ firmware: vm.firmware, secureBoot: vm.secure_boot, os: vm.os, machine: vm.machine, tpm: vm.tpm });
    return null;
  } catch (err) {
    const field = ((err as NovaError).details as { field?: string } | undefined)?.field;
    return { key: field === 'secureBoot' ? 'secure_boot' : (field ?? 'firmware'), message: (err as Error).message };
  }
}
