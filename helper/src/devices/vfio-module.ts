// Whether the vfio-pci driver is there to bind devices to: loaded, built in, or a
// module under /lib/modules/$(uname -r). Shared by the host check and the preflight.
import { hostPathExists, listHostDir, readHostFile } from '../host-check/host-fs.js';
import type { HostRoots } from '../host-check/host-probe-env.js';

export interface VfioModuleState {
  available: boolean;
  /** loaded | built into the kernel | available as a module, not loaded | not found */
  state: string;
  /** /dev/vfio/vfio exists (the container node modprobe creates). */
  devVfio: boolean;
  evidence: string[];
}

export async function readVfioModule(roots: HostRoots): Promise<VfioModuleState> {
  const release = (await readHostFile(roots, '/proc/sys/kernel/osrelease'))?.trim() ?? null;
  const moduleDir = release ? `/lib/modules/${release}` : null;
  const [driverBound, moduleLoaded, builtin, modulesDep, moduleFiles, devVfio, devVfioNodes] = await Promise.all([
    hostPathExists(roots, '/sys/bus/pci/drivers/vfio-pci'),
    hostPathExists(roots, '/sys/module/vfio_pci'),
    moduleDir ? readHostFile(roots, `${moduleDir}/modules.builtin`) : Promise.resolve(null),
    moduleDir ? readHostFile(roots, `${moduleDir}/modules.dep`) : Promise.resolve(null),
    moduleDir ? listHostDir(roots, `${moduleDir}/kernel/drivers/vfio/pci`) : Promise.resolve(null),
    hostPathExists(roots, '/dev/vfio/vfio'),
    listHostDir(roots, '/dev/vfio'),
  ]);
  const isBuiltin = builtin?.split('\n').some((l) => l.trim().endsWith('/vfio-pci.ko')) ?? false;
  const depEntry = modulesDep?.split('\n').find((l) => /\/vfio-pci\.ko(\.(xz|zst|gz))?:/.test(l))?.split(':')[0] ?? null;
  const moduleFile = moduleFiles?.find((n) => /^vfio-pci\.ko(\.(xz|zst|gz))?$/.test(n)) ?? null;
  const modulePath = depEntry ?? (moduleFile ? `kernel/drivers/vfio/pci/${moduleFile}` : null);
  const available = driverBound || moduleLoaded || isBuiltin || modulePath !== null;
  const state = driverBound || moduleLoaded
    ? 'loaded'
    : isBuiltin
      ? 'built into the kernel'
      : modulePath
        ? 'available as a module, not loaded'
        : 'not found';
  return {
    available,
    state,
    devVfio,
    evidence: [
      `vfio-pci driver: ${state} (/sys/bus/pci/drivers/vfio-pci ${driverBound ? 'present' : 'absent'}, /sys/module/vfio_pci ${moduleLoaded ? 'present' : 'absent'})`,
      moduleDir
        ? `${moduleDir}: ${modulePath ?? (builtin === null && moduleFiles === null && modulesDep === null ? 'no module tree' : 'no vfio-pci module')}`
        : 'kernel release unknown: module tree not checked',
      `/dev/vfio: ${devVfioNodes === null ? 'absent' : devVfioNodes.join(', ') || 'empty'}`,
    ],
  };
}
