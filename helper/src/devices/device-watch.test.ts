import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { DeviceWatch, deviceTreeFingerprint, type DeviceChange } from './device-watch.js';
import { FakeSysfs } from './testing/fake-sysfs.js';
import { fileUevents, formatUeventLine, parseUeventLine, type UeventSource } from './uevent-monitor.js';

const logger = pino({ level: 'silent' });
const trees: FakeSysfs[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.cleanup();
});

const until = async (what: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('uevent lines', () => {
  it('reads what udevadm monitor --kernel prints, for the watched subsystems only', () => {
    expect(parseUeventLine('KERNEL[59136.549962] change   /devices/pci0000:00/0000:00:05.0 (pci)')).toEqual({ action: 'change', devpath: '/devices/pci0000:00/0000:00:05.0', subsystem: 'pci' });
    expect(parseUeventLine('KERNEL[12.5] add      /devices/pci0000:00/0000:00:14.0/usb1/1-2 (usb)')?.subsystem).toBe('usb');
    expect(parseUeventLine('KERNEL[12.5] add      /devices/virtual/net/nv6h0 (net)')).toBeNull();
    expect(parseUeventLine('monitor will print the received events for:')).toBeNull();
    expect(parseUeventLine('KERNEL - the kernel uevent')).toBeNull();
    const e = { action: 'bind', devpath: '/devices/pci0000:00/0000:01:00.0', subsystem: 'pci' as const };
    expect(parseUeventLine(formatUeventLine(e))).toEqual(e);
  });
});

describe('DeviceWatch', () => {
  it('gathers a burst of uevents into one change naming their subsystems', async () => {
    const fs = new FakeSysfs({ prefix: 'nv6h-watch-' });
    trees.push(fs);
    const changes: DeviceChange[] = [];
    const watch = new DeviceWatch({ source: fileUevents(fs.at('uevents')), fingerprint: () => deviceTreeFingerprint(fs.roots()), onChanged: (c) => changes.push(c), logger, debounceMs: 100 });
    await watch.start();
    expect(watch.mode()).toBe('uevents');
    fs.uevent({ action: 'unbind', devpath: '/devices/pci0000:00/0000:01:00.0', subsystem: 'pci' })
      .uevent({ action: 'bind', devpath: '/devices/pci0000:00/0000:01:00.0', subsystem: 'pci' })
      .uevent({ action: 'add', devpath: '/devices/pci0000:00/0000:00:14.0/usb1/1-2', subsystem: 'usb' });
    await until(() => changes.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(changes).toEqual([{ subsystems: ['pci', 'usb'], via: 'uevent' }]);
    await watch.stop();
    fs.uevent({ action: 'remove', devpath: '/devices/pci0000:00/0000:00:14.0/usb1/1-2', subsystem: 'usb' });
    await new Promise((r) => setTimeout(r, 300));
    expect(changes).toHaveLength(1);
  });

  it('rescans when uevents cannot be read, and tells only a real difference', async () => {
    const fs = new FakeSysfs({ prefix: 'nv6h-watch-' });
    trees.push(fs);
    const broken: UeventSource = { name: 'refused', start: async () => { throw new Error('netlink: permission denied'); }, stop: async () => undefined };
    const changes: DeviceChange[] = [];
    const watch = new DeviceWatch({ source: broken, fingerprint: () => deviceTreeFingerprint(fs.roots()), onChanged: (c) => changes.push(c), logger, rescanMs: 50 });
    await watch.start();
    expect(watch.mode()).toBe('rescans');
    await new Promise((r) => setTimeout(r, 200));
    expect(changes).toEqual([]);
    fs.usb({ port: '1-2', bus: 1, address: 4, vendor: 0x046d, product: 0xc52b });
    await until(() => changes.length > 0);
    expect(changes[0]).toEqual({ subsystems: ['usb'], via: 'rescan' });
    fs.pci({ address: '0000:03:00.0', vendor: 0x8086, device: 0x1533, classCode: 0x020000, driver: 'igb' });
    await until(() => changes.length > 1);
    expect(changes[1]).toEqual({ subsystems: ['pci'], via: 'rescan' });
    await watch.stop();
  });

  it('falls back to rescans when the uevent source ends', async () => {
    const fs = new FakeSysfs({ prefix: 'nv6h-watch-' });
    trees.push(fs);
    let end: (reason: string) => void = () => undefined;
    const ending: UeventSource = { name: 'ends', start: async (_on, onEnd) => { end = onEnd; }, stop: async () => undefined };
    const changes: DeviceChange[] = [];
    const watch = new DeviceWatch({ source: ending, fingerprint: () => deviceTreeFingerprint(fs.roots()), onChanged: (c) => changes.push(c), logger, rescanMs: 50 });
    await watch.start();
    expect(watch.mode()).toBe('uevents');
    end('udevadm monitor ended (exit 1)');
    await until(() => watch.mode() === 'rescans');
    await new Promise((r) => setTimeout(r, 100));
    fs.pci({ address: '0000:03:00.0', vendor: 0x8086, device: 0x1533, classCode: 0x020000, driver: 'igb' });
    await until(() => changes.length > 0);
    expect(changes[0]!.via).toBe('rescan');
    await watch.stop();
  });
});
