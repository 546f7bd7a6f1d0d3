// VFIO.md 4.3 #19: the QEMU arguments for passed PCI functions, as golden lines.
import { describe, expect, it } from 'vitest';
import { memlockBytes, memlockPrefix, vfioDeviceArgs, type PassedPciFunction } from './vfio-argv.js';

const gpu: PassedPciFunction = { address: '0000:01:00.0', classCode: '030000', isVf: false };
const audio: PassedPciFunction = { address: '0000:01:00.1', classCode: '040300', isVf: false };
const usb: PassedPciFunction = { address: '0000:01:00.2', classCode: '0c0330', isVf: false };
const nic: PassedPciFunction = { address: '0000:05:00.0', classCode: '020000', isVf: false };
const vf: PassedPciFunction = { address: '0000:06:10.0', classCode: '030000', isVf: true };

const lines = (args: string[]) => args.filter((_, i) => i % 2 === 1);

describe('vfio-pci arguments', () => {
  it('puts a GPU and its audio function behind one root port, in one guest slot, multifunction on function 0, x-vga under BIOS', () => {
    expect(lines(vfioDeviceArgs([audio, gpu], { firmware: 'bios' }))).toEqual([
      'pcie-root-port,id=vfio-rp0,bus=pcie.0,chassis=128,slot=0',
      'vfio-pci,host=0000:01:00.0,id=hostpci0f0,bus=vfio-rp0,addr=00.0,multifunction=on,x-vga=on',
      'vfio-pci,host=0000:01:00.1,id=hostpci0f1,bus=vfio-rp0,addr=00.1',
    ]);
  });

  it('leaves x-vga off under UEFI, and keeps every function number of a Turing card', () => {
    expect(lines(vfioDeviceArgs([gpu, audio, usb], { firmware: 'uefi' }))).toEqual([
      'pcie-root-port,id=vfio-rp0,bus=pcie.0,chassis=128,slot=0',
      'vfio-pci,host=0000:01:00.0,id=hostpci0f0,bus=vfio-rp0,addr=00.0,multifunction=on',
      'vfio-pci,host=0000:01:00.1,id=hostpci0f1,bus=vfio-rp0,addr=00.1',
      'vfio-pci,host=0000:01:00.2,id=hostpci0f2,bus=vfio-rp0,addr=00.2',
    ]);
  });

  it('gives a single-function device no multifunction, and each slot its own root port', () => {
    expect(lines(vfioDeviceArgs([nic, gpu], { firmware: 'uefi' }))).toEqual([
      'pcie-root-port,id=vfio-rp0,bus=pcie.0,chassis=128,slot=0',
      'vfio-pci,host=0000:01:00.0,id=hostpci0f0,bus=vfio-rp0,addr=00.0',
      'pcie-root-port,id=vfio-rp1,bus=pcie.0,chassis=129,slot=1',
      'vfio-pci,host=0000:05:00.0,id=hostpci1f0,bus=vfio-rp1,addr=00.0',
    ]);
  });

  it('never sets x-vga on a virtual function, even a VGA-class one under BIOS', () => {
    expect(lines(vfioDeviceArgs([vf], { firmware: 'bios' }))[1]).toBe('vfio-pci,host=0000:06:10.0,id=hostpci0f0,bus=vfio-rp0,addr=00.0');
  });

  it('names the device by its sysfs folder when the host root is a test tree', () => {
    expect(lines(vfioDeviceArgs([nic], { firmware: 'uefi', sysfsRoot: '/tmp/nv10b-x/sys' }))[1]).toBe(
      'vfio-pci,sysfsdev=/tmp/nv10b-x/sys/bus/pci/devices/0000:05:00.0,id=hostpci0f0,bus=vfio-rp0,addr=00.0',
    );
  });

  it('raises memlock to guest RAM + 1 GiB, soft and hard alike', () => {
    expect(memlockBytes(16 * 1024)).toBe(17 * 1024 ** 3);
    expect(memlockBytes(512)).toBeGreaterThanOrEqual(512 * 1024 ** 2 + 1024 ** 3);
    expect(memlockPrefix(memlockBytes(2048))).toEqual(['prlimit', '--memlock=3221225472:3221225472', '--']);
  });
});
