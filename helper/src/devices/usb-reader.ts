// USB devices from /sys/bus/usb/devices: the entries named like "1-1.2" (a device on a
// port; "1-1.2:1.0" are its interfaces and "usb1" the root hubs, which Nova does not
// pass). Names come from usb.ids, and beside them what the device calls itself.
import type { UsbDevice } from '../../../src-shared/device.js';
import { listHostDir } from '../host-check/host-fs.js';
import type { HostRoots } from '../host-check/host-probe-env.js';
import type { IdNames } from './id-names.js';
import { hexAttr, intAttr, readAttr } from './sysfs-read.js';

const USB_DEVICES = '/sys/bus/usb/devices';

/** The device's node as devtmpfs names it, /dev/bus/usb/BBB/DDD: what libusb (and so QEMU's usb-host) opens. */
export function usbNodePath(bus: number, address: number): string {
  return `/dev/bus/usb/${String(bus).padStart(3, '0')}/${String(address).padStart(3, '0')}`;
}

export async function readUsbDevices(roots: HostRoots, names: IdNames): Promise<UsbDevice[]> {
  const entries = ((await listHostDir(roots, USB_DEVICES)) ?? []).filter((e) => /^\d+-\d+(\.\d+)*$/.test(e));
  const devices = await Promise.all(entries.map((port) => readUsbDevice(roots, port, names)));
  return devices
    .filter((d): d is UsbDevice => d !== null)
    .sort((a, b) => a.bus - b.bus || a.address - b.address);
}

async function readUsbDevice(roots: HostRoots, port: string, names: IdNames): Promise<UsbDevice | null> {
  const attr = (name: string) => readAttr(roots, `${USB_DEVICES}/${port}/${name}`);
  const [bus, address, vendorId, productId, manufacturer, product] = await Promise.all([
    attr('busnum').then(intAttr),
    attr('devnum').then(intAttr),
    attr('idVendor').then(hexAttr),
    attr('idProduct').then(hexAttr),
    attr('manufacturer'),
    attr('product'),
  ]);
  if (bus === null || address === null || vendorId === null || productId === null) return null;
  return {
    port,
    bus,
    address,
    vendorId,
    productId,
    vendorName: names.vendor(vendorId),
    productName: names.device(vendorId, productId),
    manufacturer,
    product,
  };
}
