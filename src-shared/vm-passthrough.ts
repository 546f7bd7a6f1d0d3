// A VM's USB devices and its Looking Glass region in the contract: the selectors the
// definition stores (canonical text from the vocabulary), what each one is for QEMU,
// and the shared-memory size a resolution needs. The helper's argv builders
// (helper/src/devices/usb-argv.ts, ivshmem-argv.ts), the CLI and the NovaFile use these.
import { z } from 'zod';
import { NovaError } from './errors.js';
import { syntaxSchema } from './vocabulary/syntax-schema.js';
import { describeValue, fail, ok, parseText, type Parsed } from './vocabulary/parsed.js';
import { parseUsbSelector } from './vocabulary/usb-selector.js';
import { parsePciAddress } from './vocabulary/pci-address.js';

export const UsbSelectorSchema = syntaxSchema<string>((v) => parseText(v, 'a USB device such as "usb:046d:c52b"', parseUsbSelector));

/** A VM has at most this many USB devices (the xHCI controller's ports, less the SPICE channels). */
export const MAX_VM_USB_DEVICES = 8;

export type UsbTarget =
  | { kind: 'product'; vendorId: string; productId: string }
  | { kind: 'port'; bus: number; port: string }
  | { kind: 'emulated'; model: string };

/** What a canonical selector stands for. */
export function usbTargetOf(selector: string): UsbTarget {
  const body = selector.slice('usb:'.length);
  const product = /^([0-9a-f]{4}):([0-9a-f]{4})$/.exec(body);
  if (product) return { kind: 'product', vendorId: product[1]!, productId: product[2]! };
  const port = /^(\d+)-(.+)$/.exec(body);
  if (port) return { kind: 'port', bus: Number(port[1]), port: port[2]! };
  return { kind: 'emulated', model: body };
}

/** The QEMU device id a selector gets, the same at start and on hot-plug, so detach finds it: "usb-046d-c52b". */
export function usbDeviceId(selector: string): string {
  return `usb-${selector.slice('usb:'.length).replace(/:/g, '-')}`;
}

/** "2560x1440" -> {width, height}; sizes a real display can have. */
export function parseResolution(text: string): Parsed<{ width: number; height: number }> {
  const m = /^([1-9][0-9]{2,4})x([1-9][0-9]{2,4})$/.exec(text.trim());
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (!m || width > 15360 || height > 8640) {
    return fail(`${describeValue(text)} is not a resolution; write WIDTHxHEIGHT, e.g. "2560x1440" (up to 15360x8640)`);
  }
  return ok({ width, height });
}

export const ResolutionSchema = syntaxSchema<string>((v) =>
  parseText(v, 'a resolution such as "2560x1440"', (t) => {
    const r = parseResolution(t);
    return r.ok ? ok(`${r.value.width}x${r.value.height}`) : r;
  }),
);

/** Looking Glass: the guest's frames reach the host's client through an IVSHMEM region. */
export const LookingGlassSchema = z.strictObject({ resolution: ResolutionSchema });
export type LookingGlass = z.infer<typeof LookingGlassSchema>;

const MIB = 1024 * 1024;

/**
 * Looking Glass's documented rule: two frames of 4 bytes a pixel plus 10 MiB, rounded up
 * to a power of two (1920x1080: 32 MiB, 2560x1440: 64 MiB, 3840x2160: 128 MiB).
 */
export function lookingGlassBytes(resolution: string): number {
  const [width, height] = resolution.split('x').map(Number) as [number, number];
  const needed = width * height * 4 * 2 + 10 * MIB;
  let size = MIB;
  while (size < needed) size *= 2;
  return size;
}

/**
 * The USB and Looking Glass fields a new VM's definition gets: a q35 VM always has a USB
 * controller (an empty list), so devices can be hot-plugged later; a microvm has no PCI
 * bus for one, nor for an IVSHMEM device, and refuses both.
 */
export function passthroughFields(
  machine: 'q35' | 'microvm',
  spec: { usb?: readonly string[]; lookingGlass?: LookingGlass; mdevs?: readonly VmMdev[]; singleGpu?: boolean },
): { usb?: string[]; lookingGlass?: LookingGlass; mdevs?: VmMdev[]; singleGpu?: true } {
  if (machine === 'microvm') {
    if ((spec.usb ?? []).length > 0) throw new NovaError('invalid_argument', 'a microvm has no USB controller: use the q35 machine for USB devices');
    if (spec.lookingGlass) throw new NovaError('invalid_argument', 'a microvm has no PCI bus for Looking Glass\'s shared memory: use the q35 machine');
    if ((spec.mdevs ?? []).length > 0) throw new NovaError('invalid_argument', 'a microvm has no PCI bus for a mediated device: use the q35 machine');
    return {};
  }
  const mdevs = spec.mdevs ?? [];
  return {
    usb: [...new Set(spec.usb ?? [])],
    ...(spec.lookingGlass ? { lookingGlass: spec.lookingGlass } : {}),
    ...(mdevs.length > 0 ? { mdevs: [...mdevs] } : {}),
    ...(spec.singleGpu === true ? { singleGpu: true as const } : {}),
  };
}

const MDEV_TYPE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A mediated device a VM gets at each start: an instance of `type` on the parent GPU, removed at its stop. */
export const VmMdevSchema = z.strictObject({
  parent: syntaxSchema<string>((v) => parseText(v, 'a PCI address', parsePciAddress)),
  /** A type from the parent's mdev_supported_types, e.g. "nvidia-63" or "i915-GVTg_V5_4". */
  type: z.string().regex(MDEV_TYPE_PATTERN, 'an mdev type as mdev_supported_types names it, e.g. "i915-GVTg_V5_4"'),
});
export type VmMdev = z.infer<typeof VmMdevSchema>;
export const MAX_VM_MDEVS = 4;

/**
 * "mdev:0000:00:02.0:i915-GVTg_V5_4" (the CLI's and the picker's one-word form) -> the
 * parent's canonical address and the type. The address ends at its function digit, so a
 * type with colons of its own still reads right.
 */
export function parseMdevSpec(text: string): Parsed<VmMdev> {
  const m = /^mdev:((?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]):(.+)$/i.exec(text.trim());
  const parent = m ? parsePciAddress(m[1]!) : null;
  if (!m || !parent?.ok || !MDEV_TYPE_PATTERN.test(m[2]!)) {
    return fail(`${describeValue(text)} is not a mediated device; write mdev:PARENT:TYPE, e.g. "mdev:0000:00:02.0:i915-GVTg_V5_4" (the type as the parent's mdev_supported_types names it)`);
  }
  return ok({ parent: parent.value, type: m[2]! });
}

export function formatMdevSpec(m: VmMdev): string {
  return `mdev:${m.parent}:${m.type}`;
}
