// Vendor, device and class names from the system's pci.ids and usb.ids (the files
// lspci and lsusb read). Each file is parsed once, on first use, and kept: the
// inventory is refreshed far more often than the files change.
import { readFile } from 'node:fs/promises';

interface Vendor {
  name: string;
  devices: Map<string, string>;
  /** "vendor:device" of the parent -> "subvendor:subdevice" -> name */
  subsystems: Map<string, Map<string, string>>;
}

export interface IdNames {
  vendor(vendorId: string): string | null;
  device(vendorId: string, deviceId: string): string | null;
  subsystem(vendorId: string, deviceId: string, subVendorId: string, subDeviceId: string): string | null;
  /** A PCI class code ("030000") named as lspci does: the subclass's name, else the class's. */
  pciClass(classCode: string): string | null;
}

/** Parses the shared layout of pci.ids and usb.ids: vendors, tab-indented devices and subsystems, `C` class blocks. */
export function parseIds(text: string): IdNames {
  const vendors = new Map<string, Vendor>();
  const classes = new Map<string, string>();
  let vendor: Vendor | null = null;
  let deviceKey: string | null = null;
  let classId: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([0-9a-f]{4}) {2}(.*)$/.exec(line))) {
      vendor = { name: m[2]!, devices: new Map(), subsystems: new Map() };
      vendors.set(m[1]!, vendor);
      classId = null;
    } else if ((m = /^C ([0-9a-f]{2}) {2}(.*)$/.exec(line))) {
      classId = m[1]!;
      classes.set(classId, m[2]!);
      vendor = null;
    } else if (!line.startsWith('\t')) {
      // Another section of usb.ids (HID usages, languages...): nothing we name.
      vendor = null;
      classId = null;
    } else if (vendor && (m = /^\t([0-9a-f]{4}) {2}(.*)$/.exec(line))) {
      vendor.devices.set(m[1]!, m[2]!);
      deviceKey = m[1]!;
    } else if (vendor && deviceKey && (m = /^\t\t([0-9a-f]{4}) ([0-9a-f]{4}) {2}(.*)$/.exec(line))) {
      const subs = vendor.subsystems.get(deviceKey) ?? new Map<string, string>();
      subs.set(`${m[1]}:${m[2]}`, m[3]!);
      vendor.subsystems.set(deviceKey, subs);
    } else if (classId && (m = /^\t([0-9a-f]{2}) {2}(.*)$/.exec(line))) {
      classes.set(classId + m[1], m[2]!);
    }
  }
  const hex = (id: string) => id.toLowerCase().replace(/^0x/, '');
  return {
    vendor: (v) => vendors.get(hex(v))?.name ?? null,
    device: (v, d) => vendors.get(hex(v))?.devices.get(hex(d)) ?? null,
    subsystem: (v, d, sv, sd) => vendors.get(hex(v))?.subsystems.get(hex(d))?.get(`${hex(sv)}:${hex(sd)}`) ?? null,
    pciClass: (code) => {
      const c = hex(code);
      return classes.get(c.slice(0, 4)) ?? classes.get(c.slice(0, 2)) ?? null;
    },
  };
}

const NONE: IdNames = { vendor: () => null, device: () => null, subsystem: () => null, pciClass: () => null };

/** Loads the first readable file of `paths` once; a host without one gets no names, not an error. */
export function lazyIdNames(paths: readonly string[]): () => Promise<IdNames> {
  let loading: Promise<IdNames> | null = null;
  return () => {
    loading ??= (async () => {
      for (const path of paths) {
        try {
          return parseIds(await readFile(path, 'utf8'));
        } catch {
          // try the next place
        }
      }
      return NONE;
    })();
    return loading;
  };
}
