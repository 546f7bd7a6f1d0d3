// A VM's passed PCI functions -> QEMU's arguments (VFIO.md 3), pure and golden-tested
// beside qemu-argv.ts: one pcie-root-port per physical slot, the slot's functions in one
// guest slot with their function numbers, multifunction=on on function 0 only when
// the slot has companions, x-vga only for a VGA-class function under legacy BIOS and
// never on a virtual function. Also the memlock QEMU needs: VFIO pins all guest RAM.
import type { VmDefinition } from '../../../src-shared/vm.js';
import { qemuEscape } from '../vm/qemu-argv.js';

export interface PassedPciFunction {
  address: string;
  /** Six hex digits, as sysfs's `class` without 0x. */
  classCode: string;
  /** An SR-IOV virtual function (it has a physfn link). */
  isVf: boolean;
  /** A ROM image shown to the guest instead of the card's own (`romfile=`). */
  rom?: string;
}

export interface VfioArgvOptions {
  firmware: VmDefinition['firmware'];
  /** Where the host's sysfs is; a test root makes QEMU open the device through `sysfsdev=`. */
  sysfsRoot?: string;
}

/** Root ports' chassis numbers start here, clear of any a VM's other devices would take. */
const FIRST_CHASSIS = 0x80;

export function vfioDeviceArgs(functions: readonly PassedPciFunction[], opts: VfioArgvOptions): string[] {
  const slots = new Map<string, PassedPciFunction[]>();
  for (const fn of [...functions].sort((a, b) => a.address.localeCompare(b.address))) {
    const slot = fn.address.replace(/\.[0-7]$/, '');
    slots.set(slot, [...(slots.get(slot) ?? []), fn]);
  }
  const args: string[] = [];
  [...slots.values()].forEach((fns, i) => {
    const port = `vfio-rp${i}`;
    args.push('-device', `pcie-root-port,id=${port},bus=pcie.0,chassis=${FIRST_CHASSIS + i},slot=${i}`);
    // A slot without its function 0 (a lone VF at .1) starts at 0 in the guest, which
    // never looks past a slot whose function 0 is missing.
    const keepNumbers = fns.some((fn) => fn.address.endsWith('.0'));
    for (const [index, fn] of fns.entries()) {
      const f = keepNumbers ? Number(fn.address.slice(-1)) : index;
      const source = opts.sysfsRoot && opts.sysfsRoot !== '/sys' ? `sysfsdev=${opts.sysfsRoot}/bus/pci/devices/${fn.address}` : `host=${fn.address}`;
      const props = [`vfio-pci`, source, `id=hostpci${i}f${f}`, `bus=${port}`, `addr=00.${f}`];
      if (f === 0 && fns.length > 1) props.push('multifunction=on');
      if (fn.rom) props.push(`romfile=${qemuEscape(fn.rom)}`);
      // OVMF drives the card through its UEFI GOP; only SeaBIOS needs the legacy VGA ranges.
      if (opts.firmware === 'bios' && fn.classCode.startsWith('0300') && !fn.isVf) props.push('x-vga=on');
      args.push('-device', props.join(','));
    }
  });
  return args;
}

const MIB = 1024 * 1024;

/** RLIMIT_MEMLOCK for a QEMU with VFIO devices: all guest RAM is pinned, plus 1 GiB for QEMU's own mappings. */
export function memlockBytes(memoryMiB: number): number {
  return (memoryMiB + 1024) * MIB;
}

/** Run before QEMU, as the user QEMU runs as: soft = hard = the limit (a lower hard limit is always allowed). */
export function memlockPrefix(bytes: number): string[] {
  return ['prlimit', `--memlock=${bytes}:${bytes}`, '--'];
}
