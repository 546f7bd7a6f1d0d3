// What PCI passthrough needs: an active IOMMU (groups under /sys/kernel/iommu_groups)
// and the vfio-pci driver with /dev/vfio. Reported together with the kernel command
// line hints, since the usual fix is a boot parameter. The facts are read by
// devices/, whose per-device preflight uses them too.
import type { HostCheckItem } from '../../../src-shared/host.js';
import { readIommuState } from '../devices/iommu-state.js';
import { readVfioModule } from '../devices/vfio-module.js';
import { checkItem } from './check-item.js';
import type { HostProbeEnv } from './host-probe-env.js';

export { iommuCmdlineHints } from '../devices/iommu-state.js';

export async function checkIommuVfio(env: HostProbeEnv): Promise<HostCheckItem[]> {
  const [iommu, vfio] = await Promise.all([iommuItem(env), vfioItem(env)]);
  return [iommu, vfio];
}

async function iommuItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'IOMMU';
  const s = await readIommuState(env);
  // The host check has always shown three lines; the CPU vendor line is the preflight's.
  const evidence = s.evidence.slice(0, 3).map((line) => line.replace(/^\/proc\/cmdline:/, 'kernel command line:'));
  if (s.active) {
    const n = s.groups?.length ?? 0;
    return checkItem('iommu', 'devices', label, {
      status: 'ok',
      summary: `Enabled: ${n} IOMMU group${n === 1 ? '' : 's'}`,
      evidence,
    });
  }
  return checkItem('iommu', 'devices', label, {
    status: 'warn',
    summary: s.disabledBy ? `Disabled on the kernel command line (${s.disabledBy}): PCI passthrough unavailable` : 'Not enabled: PCI passthrough unavailable',
    evidence,
    remedy: `Enable VT-d/AMD-Vi in the firmware setup and boot with ${s.bootParam}`,
  });
}

async function vfioItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'vfio-pci';
  const v = await readVfioModule(env);
  if (!v.available) {
    return checkItem('vfio', 'devices', label, {
      status: 'warn',
      summary: 'vfio-pci is not available: devices cannot be passed to VMs',
      evidence: v.evidence,
      remedy: 'Use a kernel built with CONFIG_VFIO_PCI (every distribution kernel is) and run modprobe vfio-pci',
    });
  }
  if (!v.devVfio) {
    return checkItem('vfio', 'devices', label, {
      status: 'warn',
      summary: `vfio-pci ${v.state}, but /dev/vfio/vfio is missing`,
      evidence: v.evidence,
      remedy: 'Run modprobe vfio-pci (it creates /dev/vfio/vfio); passthrough also needs the IOMMU',
    });
  }
  return checkItem('vfio', 'devices', label, {
    status: 'ok',
    summary: `vfio-pci ${v.state}, /dev/vfio present`,
    evidence: v.evidence,
  });
}
