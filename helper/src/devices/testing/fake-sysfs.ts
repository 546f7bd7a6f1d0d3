// A fake host for device tests: a real temporary tree laid out as the kernel lays out
// /sys, /proc and /dev (VFIO.md 4.2), with real symlinks for `driver`, `iommu_group`,
// group `devices`, `physfn`/`virtfnN` and /proc/PID/fd, so the code under test reads
// it exactly as it reads the real host.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { HostRoots } from '../../host-check/host-probe-env.js';
import { formatUeventLine, type Uevent } from '../uevent-monitor.js';
import { usbNodePath } from '../usb-reader.js';

export interface FakePci {
  address: string;
  vendor: number;
  device: number;
  /** 24-bit class code, e.g. 0x030000 for VGA. */
  classCode: number;
  subVendor?: number;
  subDevice?: number;
  driver?: string | null;
  group?: number | null;
  /** `reset_method`'s content; null: neither reset_method nor reset. */
  reset?: string[] | null;
  /** Only VGA-class devices have boot_vga. */
  bootVga?: boolean;
  numaNode?: number;
  drm?: string[];
  rom?: boolean;
  /** The address of the bridge it sits behind (its folder nests in the bridge's). */
  parent?: string;
  /** vfDevice: the device ID the PF's virtual functions get when the kernel model makes them. */
  sriov?: { total: number; vfs: string[]; vfDevice?: number };
  physfn?: string;
  mdevTypes?: Array<{ id: string; name: string; available: number }>;
}

export interface FakeUsb {
  port: string;
  bus: number;
  address: number;
  vendor: number;
  product: number;
  productString?: string;
}

/** A small pci.ids/usb.ids in the real files' layout. */
export const FAKE_PCI_IDS = `# test ids
8086  Intel Corporation
\t15f3  Ethernet Controller I225-V
\t7a44  Raptor Lake PCI Express Root Port
\t2922  82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]
\t1521  I350 Gigabit Network Connection
\t1520  I350 Ethernet Controller Virtual Function
10de  NVIDIA Corporation
\t2684  AD102 [GeForce RTX 4090]
\t\t1043 889d  ROG Strix RTX 4090
\t22ba  AD102 High Definition Audio Controller
\t1b80  GP104 [GeForce GTX 1080]
1002  Advanced Micro Devices, Inc. [AMD/ATI]
\t73bf  Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]
C 01  Mass storage controller
\t06  SATA controller
C 02  Network controller
\t00  Ethernet controller
C 03  Display controller
\t00  VGA compatible controller
\t02  3D controller
C 04  Multimedia controller
\t03  Audio device
C 06  Bridge
\t04  PCI bridge
`;

export const FAKE_USB_IDS = `046d  Logitech, Inc.
\tc52b  Unifying Receiver
1d6b  Linux Foundation
\t0002  2.0 root hub
AT 0409  English
`;

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;

export class FakeSysfs {
  readonly root: string;
  private readonly dirs = new Map<string, string>();

  /** A fresh tree in a temp dir named `prefix`..., or (given `existing`) the tree another process built there. */
  constructor(opts: { existing?: string; prefix?: string } = {}) {
    const existing = opts.existing;
    this.root = existing ?? mkdtempSync(join(tmpdir(), opts.prefix ?? 'nv10-sysfs-'));
    if (existing) {
      for (const address of readdirSync(this.at('sys/bus/pci/devices')).sort()) {
        this.dirs.set(address, relative(this.root, realpathSync(this.at(`sys/bus/pci/devices/${address}`))));
      }
      return;
    }
    for (const d of ['sys/bus/pci/devices', 'sys/bus/pci/drivers', 'sys/kernel/iommu_groups', 'sys/class/iommu', 'sys/bus/usb/devices', 'dev/dri', 'proc/self']) this.mkdir(d);
    this.file('sys/bus/pci/drivers_probe', '').file('sys/bus/pci/rescan', '');
    this.file('usr/share/misc/pci.ids', FAKE_PCI_IDS);
    this.file('usr/share/misc/usb.ids', FAKE_USB_IDS);
    this.file('proc/cpuinfo', 'processor\t: 0\nvendor_id\t: GenuineIntel\n');
    this.file('proc/cmdline', 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n');
    this.file('proc/meminfo', 'MemTotal:       32768000 kB\nMemFree:        16000000 kB\n');
    this.file('proc/self/limits', 'Limit                     Soft Limit           Hard Limit           Units\nMax locked memory         8388608              8388608              bytes\n');
    this.file('proc/interrupts', '           CPU0\n  0:         10   IO-APIC   2-edge      timer\n');
    this.file('proc/sys/kernel/osrelease', '6.1.0-nv10-amd64\n');
  }

  roots(): HostRoots {
    return { rootDir: this.root, procRoot: this.at('proc'), sysRoot: this.at('sys'), devRoot: this.at('dev'), etcRoot: this.at('etc') };
  }

  at(path: string): string {
    return join(this.root, path);
  }

  file(path: string, content: string): this {
    this.mkdir(dirname(path));
    writeFileSync(this.at(path), content);
    return this;
  }

  mkdir(path: string): this {
    mkdirSync(this.at(path), { recursive: true });
    return this;
  }

  /** A relative link, as sysfs makes them: `from` points at `to` (both tree paths). */
  link(from: string, to: string): this {
    this.mkdir(dirname(from));
    symlinkSync(relative(dirname(this.at(from)), this.at(to)), this.at(from));
    return this;
  }

  /** An IOMMU that is on: a unit in /sys/class/iommu (groups appear with the devices). */
  withIommu(unit = 'dmar0', interruptRemapping = true): this {
    this.mkdir(`sys/devices/virtual/iommu/${unit}`).link(`sys/class/iommu/${unit}`, `sys/devices/virtual/iommu/${unit}`);
    if (interruptRemapping) this.file('proc/interrupts', '           CPU0\n 24:         10  IR-PCI-MSI 327680-edge      xhci_hcd\n');
    return this;
  }

  cpu(vendor: 'GenuineIntel' | 'AuthenticAMD'): this {
    return this.file('proc/cpuinfo', `processor\t: 0\nvendor_id\t: ${vendor}\n`);
  }

  vfioModule(): this {
    return this.file('lib/modules/6.1.0-nv10-amd64/modules.dep', 'kernel/drivers/vfio/pci/vfio-pci.ko: kernel/drivers/vfio/vfio.ko\n');
  }

  ovmf(): this {
    return this.file('usr/share/OVMF/OVMF_CODE_4M.fd', '');
  }

  /** The folder the device's /sys/bus/pci/devices link resolves to. */
  deviceDir(address: string): string {
    const dir = this.dirs.get(address);
    if (!dir) throw new Error(`no fake device ${address}`);
    return dir;
  }

  pci(d: FakePci): this {
    const domain = d.address.slice(0, 7);
    const dir = d.parent ? `${this.deviceDir(d.parent)}/${d.address}` : `sys/devices/pci${domain}/${d.address}`;
    this.dirs.set(d.address, dir);
    this.file(`${dir}/vendor`, `${hex(d.vendor, 4)}\n`)
      .file(`${dir}/device`, `${hex(d.device, 4)}\n`)
      .file(`${dir}/class`, `${hex(d.classCode, 6)}\n`)
      .file(`${dir}/subsystem_vendor`, `${hex(d.subVendor ?? 0, 4)}\n`)
      .file(`${dir}/subsystem_device`, `${hex(d.subDevice ?? 0, 4)}\n`)
      .file(`${dir}/driver_override`, '(null)\n')
      .file(`${dir}/numa_node`, `${d.numaNode ?? -1}\n`)
      .file(`${dir}/config`, '')
      .file(`${dir}/uevent`, '')
      .link(`sys/bus/pci/devices/${d.address}`, dir);
    if ((d.classCode >> 8) === 0x0604) this.mkdir(`${dir}/pci_bus`);
    const reset = d.reset === undefined ? ['flr', 'bus'] : d.reset;
    if (reset !== null) this.file(`${dir}/reset_method`, `${reset.join(' ')}\n`).file(`${dir}/reset`, '');
    if ((d.classCode >> 8) === 0x0300) this.file(`${dir}/boot_vga`, d.bootVga ? '1\n' : '0\n');
    if (d.rom) this.file(`${dir}/rom`, '');
    if (d.driver) this.bind(d.address, d.driver);
    if (d.group !== undefined && d.group !== null) this.joinGroup(d.address, d.group);
    for (const node of d.drm ?? []) this.mkdir(`${dir}/drm/${node}`).file(`dev/dri/${node}`, '');
    if (d.sriov) {
      this.file(`${dir}/sriov_totalvfs`, `${d.sriov.total}\n`).file(`${dir}/sriov_numvfs`, `${d.sriov.vfs.length}\n`).file(`${dir}/sriov_drivers_autoprobe`, '1\n');
      if (d.sriov.vfDevice !== undefined) this.file(`${dir}/sriov_vf_device`, `${d.sriov.vfDevice.toString(16).padStart(4, '0')}\n`);
    }
    if (d.physfn) {
      const pf = this.deviceDir(d.physfn);
      this.link(`${dir}/physfn`, pf);
      const index = this.listVfs(d.physfn);
      this.link(`${pf}/virtfn${index}`, dir);
    }
    if ((d.mdevTypes ?? []).length > 0) this.link(`sys/class/mdev_bus/${d.address}`, dir);
    for (const t of d.mdevTypes ?? []) {
      const td = `${dir}/mdev_supported_types/${t.id}`;
      this.file(`${td}/name`, `${t.name}\n`).file(`${td}/available_instances`, `${t.available}\n`).file(`${td}/description`, 'fake\n').file(`${td}/create`, '');
    }
    return this;
  }

  /** The device gone, with every link to it (what the kernel does when VFs are disabled). */
  removePci(address: string): this {
    const dir = this.deviceDir(address);
    if (this.driverOf(address) !== null) this.unbind(address);
    const group = existsSync(this.at(`${dir}/iommu_group`)) ? realpathSync(this.at(`${dir}/iommu_group`)) : null;
    if (group) rmSync(group, { recursive: true, force: true });
    const physfn = existsSync(this.at(`${dir}/physfn`)) ? relative(this.root, realpathSync(this.at(`${dir}/physfn`))) : null;
    if (physfn) {
      for (const e of readdirSync(this.at(physfn)).filter((n) => n.startsWith('virtfn'))) {
        if (realpathSync(this.at(`${physfn}/${e}`)) === this.at(dir)) unlinkSync(this.at(`${physfn}/${e}`));
      }
      const pf = [...this.dirs].find(([, d]) => d === physfn)?.[0];
      if (pf) this.vfCounts.set(pf, Math.max(0, (this.vfCounts.get(pf) ?? 1) - 1));
    }
    unlinkSync(this.at(`sys/bus/pci/devices/${address}`));
    rmSync(this.at(dir), { recursive: true, force: true });
    this.dirs.delete(address);
    return this;
  }

  private vfCounts = new Map<string, number>();
  private listVfs(pf: string): number {
    const n = this.vfCounts.get(pf) ?? 0;
    this.vfCounts.set(pf, n + 1);
    return n;
  }

  /** A loaded driver: its folder with the write-only attributes every PCI driver has. */
  driver(name: string): this {
    const drv = `sys/bus/pci/drivers/${name}`;
    if (!existsSync(this.at(`${drv}/bind`))) for (const f of ['bind', 'unbind', 'new_id', 'remove_id', 'uevent']) this.file(`${drv}/${f}`, '');
    if (name === 'vfio-pci' && !existsSync(this.at('dev/vfio/vfio'))) this.file('dev/vfio/vfio', '');
    return this;
  }

  bind(address: string, driver: string): this {
    const drv = `sys/bus/pci/drivers/${driver}`;
    const dir = this.deviceDir(address);
    this.driver(driver).link(`${dir}/driver`, drv).link(`${drv}/${address}`, dir);
    return this.file(`${dir}/uevent`, `DRIVER=${driver}\nPCI_SLOT_NAME=${address}\n`);
  }

  /** The links a bind made, gone again (what the kernel does on unbind). */
  unbind(address: string): this {
    const dir = this.deviceDir(address);
    const driver = this.driverOf(address);
    if (driver === null) return this;
    unlinkSync(this.at(`${dir}/driver`));
    unlinkSync(this.at(`sys/bus/pci/drivers/${driver}/${address}`));
    return this.file(`${dir}/uevent`, `PCI_SLOT_NAME=${address}\n`);
  }

  driverOf(address: string): string | null {
    const uevent = readFileSync(this.at(`${this.deviceDir(address)}/uevent`), 'utf8');
    return /^DRIVER=(.+)$/m.exec(uevent)?.[1] ?? null;
  }

  /** Every fake device's address, in the order they were made. */
  addresses(): string[] {
    return [...this.dirs.keys()];
  }

  joinGroup(address: string, group: number): this {
    const g = `sys/kernel/iommu_groups/${group}`;
    this.file(`${g}/type`, 'DMA\n').link(`${this.deviceDir(address)}/iommu_group`, g).link(`${g}/devices/${address}`, this.deviceDir(address));
    return this;
  }

  /** A process holding `nodes` (/dev/dri/renderD128...) open, as /proc/PID/fd shows it. */
  process(pid: number, name: string, nodes: string[]): this {
    this.file(`proc/${pid}/comm`, `${name}\n`).mkdir(`proc/${pid}/fd`);
    symlinkSync('/dev/null', this.at(`proc/${pid}/fd/0`));
    nodes.forEach((node, i) => symlinkSync(node, this.at(`proc/${pid}/fd/${i + 3}`)));
    return this;
  }

  usb(u: FakeUsb): this {
    const dir = `sys/devices/pci0000:00/0000:00:14.0/usb${u.bus}/${u.port}`;
    this.file(`${dir}/busnum`, `${u.bus}\n`)
      .file(`${dir}/devnum`, `${u.address}\n`)
      .file(`${dir}/idVendor`, `${u.vendor.toString(16).padStart(4, '0')}\n`)
      .file(`${dir}/idProduct`, `${u.product.toString(16).padStart(4, '0')}\n`)
      .mkdir(`${dir}/${u.port}:1.0`)
      .link(`sys/bus/usb/devices/${u.port}`, dir)
      .link(`sys/bus/usb/devices/${u.port}:1.0`, `${dir}/${u.port}:1.0`);
    if (u.productString) this.file(`${dir}/product`, `${u.productString}\n`);
    // Its node, as devtmpfs names it: what a VM run as a user is handed.
    this.file(usbNodePath(u.bus, u.address).slice(1), '');
    return this;
  }

  /** A kernel uevent, as a helper on this tree reads them (test-device-host.ts): appended to <root>/uevents. */
  uevent(e: Uevent): this {
    appendFileSync(this.at('uevents'), `${formatUeventLine(e)}\n`);
    return this;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Scenario pieces from VFIO.md 4.3, on a fresh tree. */
export const GPU = '0000:01:00.0';
export const GPU_AUDIO = '0000:01:00.1';
export const ROOT_PORT = '0000:00:01.0';

/** A root port with a GPU and its audio function behind it, GPU on nvidia, all in `group`. */
export function gpuWithAudio(fs: FakeSysfs, opts: { group?: number | null; bootVga?: boolean; reset?: string[] | null; drm?: string[] } = {}): FakeSysfs {
  const group = opts.group === undefined ? 1 : opts.group;
  return fs
    .pci({ address: ROOT_PORT, vendor: 0x8086, device: 0x7a44, classCode: 0x060400, driver: 'pcieport', group })
    .pci({ address: GPU, parent: ROOT_PORT, vendor: 0x10de, device: 0x2684, subVendor: 0x1043, subDevice: 0x889d, classCode: 0x030000, driver: 'nvidia', group, bootVga: opts.bootVga ?? false, reset: opts.reset, drm: opts.drm ?? ['card1', 'renderD128'], rom: true })
    .pci({ address: GPU_AUDIO, parent: ROOT_PORT, vendor: 0x10de, device: 0x22ba, classCode: 0x040300, driver: 'snd_hda_intel', group });
}

/** The GPU the host keeps: an AMD card on amdgpu, the boot VGA, in its own group. */
export function hostGpu(fs: FakeSysfs, group: number | null = 2): FakeSysfs {
  return fs.pci({ address: '0000:03:00.0', vendor: 0x1002, device: 0x73bf, classCode: 0x030000, driver: 'amdgpu', group, bootVga: true, drm: ['card0', 'renderD129'] });
}
