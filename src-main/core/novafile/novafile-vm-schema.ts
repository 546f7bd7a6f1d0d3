// [vm.NAME] in a NovaFile: the contract's VmCreateSpec keys under the NovaFile's names
// (cpu, disk_size, cloud_init), with paths relative to the NovaFile's folder and GPU
// passthrough, which the NovaFile plans before it asks the helper for a VM.
import { z } from 'zod';
import { NetworkNameSchema } from '../../../src-shared/network.js';
import { describeValue, LOCAL_HOST, parseHostName, parsePciAddress, parseUsbSelector, pathProblem, type Parsed } from '../../../src-shared/vocabulary/index.js';
import { LookingGlassSchema } from '../../../src-shared/vm-passthrough.js';
import type { NovaError } from '../../../src-shared/errors.js';
import { CloudInitSpecSchema, VM_MAX_CPUS, VmCreateSpecSchema } from '../../../src-shared/vm.js';
import { resolvePlatform } from '../../../src-shared/vm-platform.js';
import { dependsOn, VmHealthSchema } from './novafile-health-schema.js';
import { SnapshotTableSchema } from './novafile-snapshot-schema.js';
import { AT_KEY, choiceOf, layered, list, parsedString, table, whenValid } from './novafile-schema-kit.js';

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

export const cloudInitShape = {
  user: layered(cloudInit.user.unwrap(), 'a user name such as "dev"').optional(),
  /** Hashed by the helper and never stored; prefer ssh_authorized_keys. */
  password: layered(cloudInit.password.unwrap(), 'a password string').optional(),
  ssh_authorized_keys: list(layered(cloudInit.sshAuthorizedKeys.unwrap().element, 'an SSH public key'), 'SSH public keys').optional(),
  hostname: layered(cloudInit.hostname.unwrap(), 'a host name such as "web-1"').optional(),
};

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
  /** Which host the VM belongs on (placing it there is not applied yet). */
  host: hostReference.optional(),
  gpu_passthrough: gpuPassthrough.optional(),
  devices: devices.optional(),
  /** [vm.NAME.looking_glass] resolution = "2560x1440": shared memory for the Looking Glass client. */
  looking_glass: table({ resolution: layered(LookingGlassSchema.shape.resolution, 'a resolution such as "2560x1440"') }, 'a table such as looking_glass = { resolution = "2560x1440" }').optional(),
  cloud_init: table(cloudInitShape, 'a table of cloud-init settings, e.g. cloud_init = { user = "dev" }').optional(),
  /** Guests started before this one: ["db"], or depends_on.db = { condition = "healthy" }. */
  depends_on: dependsOn.optional(),
  health: VmHealthSchema.optional(),
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
