// The preflight items that are the host's, not the device's (VFIO.md 5.2): KVM,
// interrupt remapping, the vfio-pci driver, memory and the memlock limit, and OVMF.
import type { PreflightItem } from '../../../src-shared/device.js';
import { hostPathExists, listHostDir, readHostFile } from '../host-check/host-fs.js';
import type { HostRoots } from '../host-check/host-probe-env.js';
import type { IommuState } from './iommu-state.js';
import { readVfioModule } from './vfio-module.js';

const MIB = 1024 * 1024;
/** VFIO pins all guest RAM; QEMU and the device's BARs need about a GiB more (VFIO.md 3). */
export const MEMLOCK_HEADROOM_MIB = 1024;
const OVMF_DIRS = ['/usr/share/OVMF', '/usr/share/edk2/ovmf', '/usr/share/edk2/x64'];
const HELPER_UNITS = ['/etc/systemd/system/nova-helper.service', '/usr/lib/systemd/system/nova-helper.service', '/lib/systemd/system/nova-helper.service'];

export interface HostPreflightOptions {
  memoryMib?: number;
  /** Root may raise its own hard limit, so a low limit only matters to a helper that is not. */
  isRoot: boolean;
}

export async function hostItems(roots: HostRoots, iommu: IommuState, opts: HostPreflightOptions): Promise<PreflightItem[]> {
  return Promise.all([kvmItem(roots), interruptRemapItem(roots, iommu), vfioItem(roots), memoryItem(roots, opts), firmwareItem(roots)]);
}

function item(id: string, label: string, verdict: PreflightItem['verdict'], summary: string, evidence: string[], fix: string | null = null): PreflightItem {
  return { id, label, verdict, summary, evidence, fix: verdict === 'pass' ? null : fix };
}

async function kvmItem(roots: HostRoots): Promise<PreflightItem> {
  const present = await hostPathExists(roots, '/dev/kvm');
  const evidence = [`/dev/kvm: ${present ? 'present' : 'absent'}`];
  if (present) return item('kvm', 'KVM', 'pass', '/dev/kvm is there', evidence);
  return item('kvm', 'KVM', 'warn', 'No /dev/kvm: a guest under TCG is too slow to drive a passed GPU', evidence, 'Enable virtualization (VT-x/SVM) in the firmware and load kvm_intel or kvm_amd');
}

async function interruptRemapItem(roots: HostRoots, iommu: IommuState): Promise<PreflightItem> {
  const label = 'Interrupt remapping';
  const [interrupts, unsafe] = await Promise.all([
    readHostFile(roots, '/proc/interrupts'),
    readHostFile(roots, '/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts'),
  ]);
  // The kernel names remapped interrupt chips IR-PCI-MSI, IR-IO-APIC...: no dmesg needed.
  const remapped = /\bIR-[A-Z]/.test(interrupts ?? '');
  const evidence = [
    `/proc/interrupts: ${interrupts === null ? 'unreadable' : remapped ? 'IR-* interrupt chips present' : 'no IR-* interrupt chips'}`,
    `vfio_iommu_type1 allow_unsafe_interrupts: ${unsafe?.trim() ?? 'module not loaded'}`,
  ];
  if (remapped) return item('irq-remap', label, 'pass', 'Interrupts are remapped', evidence);
  if (!iommu.active) return item('irq-remap', label, 'warn', 'Unknown until the IOMMU is on (remapping comes with it)', evidence, `Turn the IOMMU on first (${iommu.bootParam})`);
  if (unsafe?.trim() === 'Y') return item('irq-remap', label, 'warn', 'No interrupt remapping; vfio allows unsafe interrupts, so a guest could inject interrupts', evidence, 'Enable interrupt remapping in the firmware (part of VT-d / AMD-Vi) and drop allow_unsafe_interrupts');
  return item('irq-remap', label, 'block', 'No interrupt remapping: vfio refuses to attach devices', evidence, 'Enable interrupt remapping in the firmware, or (trusting the guest) set options vfio_iommu_type1 allow_unsafe_interrupts=1');
}

async function vfioItem(roots: HostRoots): Promise<PreflightItem> {
  const v = await readVfioModule(roots);
  if (!v.available) return item('vfio', 'vfio-pci', 'block', 'The vfio-pci driver is not available', v.evidence, 'Use a kernel built with CONFIG_VFIO_PCI (every distribution kernel is)');
  return item('vfio', 'vfio-pci', 'pass', `vfio-pci ${v.state}${v.state.includes('not loaded') ? ' (Nova loads it when binding)' : ''}`, v.evidence);
}

/** "unlimited" or bytes, from the `Max locked memory` line of /proc/PID/limits. */
export function parseMemlock(limits: string | null): { soft: number | null; hard: number | null } | null {
  const m = /^Max locked memory\s+(\S+)\s+(\S+)/m.exec(limits ?? '');
  if (!m) return null;
  const value = (s: string) => (s === 'unlimited' ? null : Number(s));
  return { soft: value(m[1]!), hard: value(m[2]!) };
}

async function memoryItem(roots: HostRoots, opts: HostPreflightOptions): Promise<PreflightItem> {
  const label = 'Memory and memlock';
  const [meminfo, limits, unitLimit] = await Promise.all([
    readHostFile(roots, '/proc/meminfo'),
    readHostFile(roots, '/proc/self/limits'),
    unitMemlock(roots),
  ]);
  const totalKib = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo ?? '')?.[1] ?? NaN);
  const totalMib = Number.isFinite(totalKib) ? Math.floor(totalKib / 1024) : null;
  const memlock = parseMemlock(limits);
  const show = (n: number | null) => (n === null ? 'unlimited' : `${Math.floor(n / MIB)} MiB`);
  const needMib = opts.memoryMib === undefined ? null : opts.memoryMib + MEMLOCK_HEADROOM_MIB;
  const evidence = [
    `/proc/meminfo MemTotal: ${totalMib === null ? 'unreadable' : `${totalMib} MiB`}`,
    `/proc/self/limits Max locked memory: ${memlock ? `soft ${show(memlock.soft)}, hard ${show(memlock.hard)}` : 'unreadable'}`,
    `nova-helper.service LimitMEMLOCK: ${unitLimit ?? 'not set (or no unit installed)'}`,
    needMib === null ? 'guest memory: not given (the VM needs its RAM + 1 GiB locked)' : `needed: ${opts.memoryMib} MiB guest RAM + ${MEMLOCK_HEADROOM_MIB} MiB = ${needMib} MiB locked`,
  ];
  if (needMib !== null && totalMib !== null && needMib > totalMib) {
    return item('memory', label, 'block', `The VM would pin ${needMib} MiB but the host has ${totalMib} MiB`, evidence, 'Give the VM less memory: all of it stays pinned in host RAM while a device is passed');
  }
  const hard = memlock?.hard ?? null;
  const enough = memlock !== null && (hard === null || (needMib !== null && hard >= needMib * MIB));
  if (enough) return item('memory', label, 'pass', 'The memlock limit covers the guest', evidence);
  if (opts.isRoot) return item('memory', label, 'pass', 'The helper runs as root and raises the memlock limit for QEMU (guest RAM + 1 GiB)', evidence);
  return item('memory', label, 'warn', 'The helper cannot raise the memlock limit far enough: QEMU would fail with "RLIMIT_MEMLOCK exceeded"', evidence, 'Set LimitMEMLOCK=infinity in nova-helper.service (systemctl edit nova-helper)');
}

async function unitMemlock(roots: HostRoots): Promise<string | null> {
  for (const unit of HELPER_UNITS) {
    const text = await readHostFile(roots, unit);
    if (text === null) continue;
    return /^LimitMEMLOCK=(.*)$/m.exec(text)?.[1]?.trim() ?? null;
  }
  return null;
}

async function firmwareItem(roots: HostRoots): Promise<PreflightItem> {
  const found: string[] = [];
  for (const dir of OVMF_DIRS) {
    for (const name of (await listHostDir(roots, dir)) ?? []) if (/^OVMF_CODE.*\.fd$/.test(name)) found.push(`${dir}/${name}`);
  }
  const evidence = [found.length > 0 ? `OVMF: ${found.join(', ')}` : `no OVMF_CODE*.fd in ${OVMF_DIRS.join(', ')}`];
  if (found.length > 0) return item('firmware', 'UEFI firmware', 'pass', 'OVMF is installed (UEFI guests, no legacy VGA needed)', evidence);
  return item('firmware', 'UEFI firmware', 'warn', 'OVMF is missing: only SeaBIOS guests, which need the card\'s legacy VGA (x-vga)', evidence, 'apt install ovmf');
}
