// What PCI passthrough needs: an active IOMMU (groups under /sys/kernel/iommu_groups)
// and the vfio-pci driver with /dev/vfio. Reported together with the kernel command
// line hints, since the usual fix is a boot parameter.
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { hostPathExists, listHostDir, readHostFile } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';

export async function checkIommuVfio(env: HostProbeEnv): Promise<HostCheckItem[]> {
  const [cmdline, cpuinfo, release] = await Promise.all([
    readHostFile(env, '/proc/cmdline'),
    readHostFile(env, '/proc/cpuinfo'),
    readHostFile(env, '/proc/sys/kernel/osrelease'),
  ]);
  const vendor: 'intel' | 'amd' | null = cpuinfo?.includes('GenuineIntel')
    ? 'intel'
    : cpuinfo?.includes('AuthenticAMD')
      ? 'amd'
      : null;
  const [iommu, vfio] = await Promise.all([
    iommuItem(env, cmdline ?? '', vendor),
    vfioItem(env, release?.trim() ?? null),
  ]);
  return [iommu, vfio];
}

export function iommuCmdlineHints(cmdline: string): string[] {
  return cmdline
    .split(/\s+/)
    .filter((arg) => /^(intel_iommu|amd_iommu|iommu|vfio-pci\.ids|vfio_iommu_type1\.[a-z_]+)=/.test(arg));
}

async function iommuItem(env: HostProbeEnv, cmdline: string, vendor: 'intel' | 'amd' | null): Promise<HostCheckItem> {
  const label = 'IOMMU';
  const [groups, units] = await Promise.all([
    listHostDir(env, '/sys/kernel/iommu_groups'),
    listHostDir(env, '/sys/class/iommu'),
  ]);
  const hints = iommuCmdlineHints(cmdline);
  const evidence = [
    `/sys/kernel/iommu_groups: ${groups === null ? 'absent' : `${groups.length} group${groups.length === 1 ? '' : 's'}`}`,
    `/sys/class/iommu: ${units && units.length > 0 ? units.join(', ') : 'no IOMMU units'}`,
    `kernel command line: ${hints.length > 0 ? hints.join(' ') : 'no intel_iommu=/amd_iommu=/iommu= options'}`,
  ];
  if (groups && groups.length > 0) {
    return checkItem('iommu', 'devices', label, {
      status: 'ok',
      summary: `Enabled: ${groups.length} IOMMU group${groups.length === 1 ? '' : 's'}`,
      evidence,
    });
  }
  const off = hints.find((h) => /^(intel_iommu|amd_iommu)=off$/.test(h) || h === 'iommu=off');
  const bootParam = vendor === 'amd' ? 'amd_iommu=on iommu=pt' : 'intel_iommu=on iommu=pt';
  return checkItem('iommu', 'devices', label, {
    status: 'warn',
    summary: off ? `Disabled on the kernel command line (${off}): PCI passthrough unavailable` : 'Not enabled: PCI passthrough unavailable',
    evidence,
    remedy: `Enable VT-d/AMD-Vi in the firmware setup and boot with ${bootParam}`,
  });
}

async function vfioItem(env: HostProbeEnv, release: string | null): Promise<HostCheckItem> {
  const label = 'vfio-pci';
  const moduleDir = release ? `/lib/modules/${release}` : null;
  const [driverBound, moduleLoaded, builtin, moduleFiles, devVfio, devVfioNodes] = await Promise.all([
    hostPathExists(env, '/sys/bus/pci/drivers/vfio-pci'),
    hostPathExists(env, '/sys/module/vfio_pci'),
    moduleDir ? readHostFile(env, `${moduleDir}/modules.builtin`) : Promise.resolve(null),
    moduleDir ? listHostDir(env, `${moduleDir}/kernel/drivers/vfio/pci`) : Promise.resolve(null),
    hostPathExists(env, '/dev/vfio/vfio'),
    listHostDir(env, '/dev/vfio'),
  ]);
  const isBuiltin = builtin?.split('\n').some((l) => l.trim().endsWith('/vfio-pci.ko')) ?? false;
  const moduleFile = moduleFiles?.find((n) => /^vfio-pci\.ko(\.(xz|zst|gz))?$/.test(n)) ?? null;
  const available = driverBound || moduleLoaded || isBuiltin || moduleFile !== null;
  const state = driverBound || moduleLoaded
    ? 'loaded'
    : isBuiltin
      ? 'built into the kernel'
      : moduleFile
        ? 'available as a module, not loaded'
        : 'not found';
  const evidence = [
    `vfio-pci driver: ${state} (/sys/bus/pci/drivers/vfio-pci ${driverBound ? 'present' : 'absent'}, /sys/module/vfio_pci ${moduleLoaded ? 'present' : 'absent'})`,
    moduleDir
      ? `${moduleDir}: ${moduleFile ? `kernel/drivers/vfio/pci/${moduleFile}` : builtin === null && moduleFiles === null ? 'no module tree' : 'no vfio-pci module'}`
      : 'kernel release unknown: module tree not checked',
    `/dev/vfio: ${devVfioNodes === null ? 'absent' : devVfioNodes.join(', ') || 'empty'}`,
  ];
  if (!available) {
    return checkItem('vfio', 'devices', label, {
      status: 'warn',
      summary: 'vfio-pci is not available: devices cannot be passed to VMs',
      evidence,
      remedy: 'Use a kernel built with CONFIG_VFIO_PCI (every distribution kernel is) and run modprobe vfio-pci',
    });
  }
  if (!devVfio) {
    return checkItem('vfio', 'devices', label, {
      status: 'warn',
      summary: `vfio-pci ${state}, but /dev/vfio/vfio is missing`,
      evidence,
      remedy: 'Run modprobe vfio-pci (it creates /dev/vfio/vfio); passthrough also needs the IOMMU',
    });
  }
  return checkItem('vfio', 'devices', label, {
    status: 'ok',
    summary: `vfio-pci ${state}, /dev/vfio present`,
    evidence,
  });
}
