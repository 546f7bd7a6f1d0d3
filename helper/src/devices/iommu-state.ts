// Whether this host's IOMMU is on, and if not, the boot parameter that turns it on for
// this CPU's vendor. Shared by the host check and the device preflight, which word
// the same facts differently (a host-wide warning, a device's blocker).
import { listHostDir, readHostFile } from '../host-check/host-fs.js';
import type { HostRoots } from '../host-check/host-probe-env.js';

export type CpuVendor = 'intel' | 'amd' | null;

export interface IommuState {
  /** Groups under /sys/kernel/iommu_groups and units under /sys/class/iommu (null: absent). */
  groups: string[] | null;
  units: string[] | null;
  /** Both present and non-empty: the test Proxmox makes (VFIO.md 1.3). */
  active: boolean;
  vendor: CpuVendor;
  /** The IOMMU options on the kernel command line. */
  hints: string[];
  /** The option that switched it off (intel_iommu=off...), if any. */
  disabledBy: string | null;
  /** What to add to the kernel command line on this CPU. */
  bootParam: string;
  /** The firmware setting's name on this CPU. */
  firmwareSetting: string;
  evidence: string[];
}

export function iommuCmdlineHints(cmdline: string): string[] {
  return cmdline
    .split(/\s+/)
    .filter((arg) => /^(intel_iommu|amd_iommu|iommu|vfio-pci\.ids|vfio_iommu_type1\.[a-z_]+)=/.test(arg));
}

export function cpuVendorOf(cpuinfo: string | null): CpuVendor {
  if (cpuinfo?.includes('GenuineIntel')) return 'intel';
  return cpuinfo?.includes('AuthenticAMD') ? 'amd' : null;
}

export async function readIommuState(roots: HostRoots): Promise<IommuState> {
  const [cmdline, cpuinfo, groups, units] = await Promise.all([
    readHostFile(roots, '/proc/cmdline'),
    readHostFile(roots, '/proc/cpuinfo'),
    listHostDir(roots, '/sys/kernel/iommu_groups'),
    listHostDir(roots, '/sys/class/iommu'),
  ]);
  const vendor = cpuVendorOf(cpuinfo);
  const hints = iommuCmdlineHints(cmdline ?? '');
  const plural = (n: number) => `${n} group${n === 1 ? '' : 's'}`;
  return {
    groups,
    units,
    // Some kernels leave /sys/class/iommu empty with groups present (a platform's own IOMMU driver).
    active: (groups?.length ?? 0) > 0,
    vendor,
    hints,
    disabledBy: hints.find((h) => /^(intel_iommu|amd_iommu)=off$/.test(h) || h === 'iommu=off') ?? null,
    bootParam: vendor === 'amd' ? 'amd_iommu=on iommu=pt' : 'intel_iommu=on iommu=pt',
    firmwareSetting: vendor === 'amd' ? 'AMD-Vi (IOMMU) and SVM' : vendor === 'intel' ? 'VT-d' : 'VT-d or AMD-Vi',
    evidence: [
      `/sys/kernel/iommu_groups: ${groups === null ? 'absent' : plural(groups.length)}`,
      `/sys/class/iommu: ${units && units.length > 0 ? units.join(', ') : 'no IOMMU units'}`,
      `/proc/cmdline: ${hints.length > 0 ? hints.join(' ') : 'no intel_iommu=/amd_iommu=/iommu= options'}`,
      `/proc/cpuinfo: ${vendor === 'intel' ? 'GenuineIntel' : vendor === 'amd' ? 'AuthenticAMD' : 'vendor not recognised'}`,
    ],
  };
}
