import { describe, expect, it } from 'vitest';
import type { UsbDevice } from '../../../src-shared/device.js';
import type { VmDefinition, VmInfo } from '../../../src-shared/vm.js';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import type { QmpClient } from '../vm/qmp-client.js';
import { VmUsbDevices, type UsbVmPort } from './usb-hotplug.js';

const LOGITECH: UsbDevice = { port: '1-1.2', bus: 1, address: 5, vendorId: '046d', productId: 'c52b', vendorName: 'Logitech, Inc.', productName: 'Unifying Receiver', manufacturer: null, product: null };

/** A QEMU monitor that keeps /machine/peripheral as device_add and device_del change it, and logs each command. */
function fakeQmp(opts: { refuse?: string } = {}) {
  const log: Array<[string, unknown]> = [];
  const peripherals = new Set<string>();
  const qmp = {
    execute: async (command: string, args: Record<string, unknown> = {}) => {
      log.push([command, args]);
      if (command === 'device_add') {
        if (opts.refuse) throw new Error(opts.refuse);
        peripherals.add(String(args.id));
        return {};
      }
      if (command === 'device_del') {
        if (!peripherals.delete(String(args.id))) throw new Error(`Device '${String(args.id)}' not found`);
        return {};
      }
      if (command === 'qom-list') return [...peripherals].map((name) => ({ name, type: 'child<usb-host>' }));
      throw new Error(`unexpected ${command}`);
    },
  };
  return { qmp: qmp as unknown as QmpClient, log, peripherals };
}

function fakeVms(def: VmDefinition, qmp: QmpClient | null, opts: { saveFails?: boolean } = {}) {
  const saved: VmDefinition[] = [];
  let current = def;
  const info = (): VmInfo => ({ definition: current, state: qmp ? 'running' : 'stopped', stateReason: null, pid: null, accel: null, startedAt: null, health: null });
  const port: UsbVmPort = {
    changeWithMonitor: async (_name, _label, _req, change) => {
      const changed = await change(current, qmp);
      if (opts.saveFails) {
        await changed.undo();
        throw new Error('disk full');
      }
      current = changed.next;
      saved.push(current);
      return info();
    },
    monitorOf: () => qmp,
    get: async () => info(),
  };
  return { port, saved };
}

function service(vms: UsbVmPort, host: UsbDevice[] = [LOGITECH]) {
  return new VmUsbDevices({ vms, hostDevices: async () => host, sleep: async () => undefined });
}

describe('USB attach and detach', () => {
  it('hot-plugs a host device present on the host into a running VM with the id and properties a start gives it, and keeps it', async () => {
    const { qmp, log } = fakeQmp();
    const vms = fakeVms(sampleVmDefinition({ usb: [] }), qmp);
    const info = await service(vms.port).attach('web', 'usb:046d:c52b', null);
    expect(log[0]).toEqual(['device_add', { driver: 'usb-host', id: 'usb-046d-c52b', bus: 'usb-xhci.0', vendorid: 0x046d, productid: 0xc52b }]);
    expect(info.definition.usb).toEqual(['usb:046d:c52b']);
  });

  it('refuses a host device that is not plugged in before QEMU hears of it, leaving the VM as it was', async () => {
    const { qmp, log } = fakeQmp();
    const vms = fakeVms(sampleVmDefinition({ usb: [] }), qmp);
    await expect(service(vms.port, []).attach('web', 'usb:1-4', null)).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('No USB device 1-4 is plugged into this host') });
    expect(log).toEqual([]);
    expect(vms.saved).toEqual([]);
  });

  it('only records a device for a stopped VM, without asking the host for an emulated one', async () => {
    const vms = fakeVms(sampleVmDefinition({ usb: [] }), null);
    const info = await service(vms.port, []).attach('web', 'usb:tablet', null);
    expect(info.definition.usb).toEqual(['usb:tablet']);
  });

  it('refuses a second attach of the same device, and a running VM started without a controller', async () => {
    const { qmp } = fakeQmp();
    await expect(service(fakeVms(sampleVmDefinition({ usb: ['usb:tablet'] }), qmp).port).attach('web', 'usb:tablet', null)).rejects.toMatchObject({ code: 'already_exists' });
    await expect(service(fakeVms(sampleVmDefinition(), qmp).port).attach('web', 'usb:tablet', null)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('without a USB controller') });
  });

  it("reports QEMU's own refusal, and unplugs again when the definition cannot be saved", async () => {
    const refused = fakeQmp({ refuse: "Bus 'usb-xhci.0' not found" });
    await expect(service(fakeVms(sampleVmDefinition({ usb: [] }), refused.qmp).port).attach('web', 'usb:tablet', null)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining("Bus 'usb-xhci.0' not found") });
    const { qmp, peripherals, log } = fakeQmp();
    await expect(service(fakeVms(sampleVmDefinition({ usb: [] }), qmp, { saveFails: true }).port).attach('web', 'usb:tablet', null)).rejects.toThrow('disk full');
    expect(log.map(([c]) => c)).toEqual(['device_add', 'device_del', 'qom-list']);
    expect(peripherals.size).toBe(0);
  });

  it('unplugs and forgets a device; one QEMU no longer has is simply forgotten', async () => {
    const { qmp, log, peripherals } = fakeQmp();
    peripherals.add('usb-tablet');
    const vms = fakeVms(sampleVmDefinition({ usb: ['usb:tablet', 'usb:046d:c52b'] }), qmp);
    let info = await service(vms.port).detach('web', 'usb:tablet', null);
    expect(log[0]).toEqual(['device_del', { id: 'usb-tablet' }]);
    expect(info.definition.usb).toEqual(['usb:046d:c52b']);
    info = await service(vms.port).detach('web', 'usb:046d:c52b', null);
    expect(info.definition.usb).toEqual([]);
    await expect(service(vms.port).detach('web', 'usb:046d:c52b', null)).rejects.toMatchObject({ code: 'not_found' });
  });

  it("lists the VM's devices with where each is, and the host's others", async () => {
    const { qmp, peripherals } = fakeQmp();
    peripherals.add('usb-046d-c52b');
    const other: UsbDevice = { ...LOGITECH, port: '2-1', bus: 2, address: 3, vendorId: '0781', productId: '5583' };
    const vms = fakeVms(sampleVmDefinition({ usb: ['usb:046d:c52b', 'usb:tablet'] }), qmp);
    const list = await service(vms.port, [LOGITECH, other]).list('web');
    expect(list.controller).toBe(true);
    expect(list.devices).toEqual([
      { device: 'usb:046d:c52b', qemuId: 'usb-046d-c52b', host: LOGITECH, plugged: true },
      { device: 'usb:tablet', qemuId: 'usb-tablet', host: null, plugged: false },
    ]);
    expect(list.available).toEqual([other]);
  });
});
