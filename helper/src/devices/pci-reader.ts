// Reads one PCI function's sysfs directory (VFIO.md 1.1) into what Nova shows of it.
// Always through /sys/bus/pci/devices/<bdf>, whose link points wherever the device
// sits behind its bridges; never a fixed depth.
import type { PciDevice } from '../../../src-shared/device.js';
import { hostPathExists, listHostDir } from '../host-check/host-fs.js';
import type { HostRoots } from '../host-check/host-probe-env.js';
import type { IdNames } from './id-names.js';
import { hexAttr, intAttr, readAttr, readLinkName } from './sysfs-read.js';

/** What the inventory knows of a function before it looks at its group mates. */
export type PciFacts = Omit<PciDevice, 'groupMembers' | 'readiness'> & {
  /** A bridge or port: class 0x0604 or a pci_bus folder below it (Proxmox's test). */
  bridge: boolean;
  /** The `rom` attribute exists: the device exposes an option ROM BAR. */
  hasRom: boolean;
};

export const PCI_DEVICES = '/sys/bus/pci/devices';

/** `users` stays empty here: the inventory fills it from one /proc scan for all devices. */
export async function readPciFacts(roots: HostRoots, address: string, names: IdNames): Promise<PciFacts | null> {
  const dir = `${PCI_DEVICES}/${address}`;
  const attr = (name: string) => readAttr(roots, `${dir}/${name}`);
  const vendorId = hexAttr(await attr('vendor'));
  const deviceId = hexAttr(await attr('device'));
  const classCode = hexAttr(await attr('class'));
  if (vendorId === null || deviceId === null || classCode === null) return null;
  const [subVendor, subDevice, driver, override, group, resetMethod, hasReset, bootVga, numa] = await Promise.all([
    attr('subsystem_vendor').then(hexAttr),
    attr('subsystem_device').then(hexAttr),
    readLinkName(roots, `${dir}/driver`),
    attr('driver_override'),
    readLinkName(roots, `${dir}/iommu_group`),
    attr('reset_method'),
    hostPathExists(roots, `${dir}/reset`),
    attr('boot_vga'),
    attr('numa_node').then(intAttr),
  ]);
  const entries = (await listHostDir(roots, dir)) ?? [];
  const drm = ((await listHostDir(roots, `${dir}/drm`)) ?? []).filter((n) => /^(card|renderD)\d+$/.test(n));
  const nvidia = driver === 'nvidia' ? await nvidiaNode(roots, address) : null;
  return {
    address,
    classCode,
    className: names.pciClass(classCode),
    vendorId,
    deviceId,
    vendorName: names.vendor(vendorId),
    deviceName: names.device(vendorId, deviceId),
    subsystemVendorId: subVendor,
    subsystemDeviceId: subDevice,
    subsystemName: subVendor && subDevice ? names.subsystem(vendorId, deviceId, subVendor, subDevice) : null,
    driver,
    driverOverride: override === null || override === '(null)' || override === '' ? null : override,
    iommuGroup: group !== null && /^\d+$/.test(group) ? Number(group) : null,
    resetMethods: resetMethod !== null ? resetMethod.split(/\s+/).filter(Boolean) : hasReset ? ['reset'] : [],
    bootVga: bootVga === null ? null : bootVga === '1',
    numaNode: numa === null || numa < 0 ? null : numa,
    sriov: await readSriov(roots, dir, entries),
    physfn: await readLinkName(roots, `${dir}/physfn`),
    nodes: [...drm.map((n) => `/dev/dri/${n}`), ...(nvidia ? [nvidia] : [])],
    users: [],
    mdevTypes: await readMdevTypes(roots, dir),
    bridge: classCode.startsWith('0604') || entries.includes('pci_bus'),
    hasRom: entries.includes('rom'),
  };
}

async function readSriov(roots: HostRoots, dir: string, entries: string[]): Promise<PciFacts['sriov']> {
  const total = intAttr(await readAttr(roots, `${dir}/sriov_totalvfs`));
  if (total === null) return null;
  const vfLinks = entries.filter((e) => /^virtfn\d+$/.test(e)).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  const vfs = await Promise.all(vfLinks.map((l) => readLinkName(roots, `${dir}/${l}`)));
  return {
    totalVfs: total,
    numVfs: intAttr(await readAttr(roots, `${dir}/sriov_numvfs`)) ?? 0,
    vfs: vfs.filter((v): v is string => v !== null),
  };
}

async function readMdevTypes(roots: HostRoots, dir: string): Promise<PciFacts['mdevTypes']> {
  const types = (await listHostDir(roots, `${dir}/mdev_supported_types`)) ?? [];
  return Promise.all(
    types.map(async (id) => {
      const t = `${dir}/mdev_supported_types/${id}`;
      return {
        id,
        name: await readAttr(roots, `${t}/name`),
        description: await readAttr(roots, `${t}/description`),
        availableInstances: intAttr(await readAttr(roots, `${t}/available_instances`)),
      };
    }),
  );
}

/** NVIDIA's driver makes no DRM nodes without nvidia-drm; its own /dev/nvidiaN minor is in /proc. */
async function nvidiaNode(roots: HostRoots, address: string): Promise<string | null> {
  const info = await readAttr(roots, `/proc/driver/nvidia/gpus/${address}/information`);
  const minor = /^Device Minor:\s*(\d+)/m.exec(info ?? '')?.[1];
  return minor === undefined ? null : `/dev/nvidia${minor}`;
}
