import { describe, expect, it } from 'vitest';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import type { UsbDevice } from '../../../src-shared/device.js';
import { VmDeviceChangeSchema, type VmDeviceChangeIn } from '../../../src-shared/vm-devices.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { QmpClient } from './qmp-client.js';
import { applyPassthroughChange, isPassthroughChange, withSingleGpu, type PassthroughChange } from './vm-passthrough-update.js';

const IGPU = '0000:00:02.0';
const base = sampleVmDefinition({ name: 'nv6d-lg', usb: [] });
const logitech = { bus: 1, address: 4, port: '1-2', vendorId: '046d', productId: 'c52b' } as unknown as UsbDevice;

/** Each node hand-over asked for, as "VM selector", before the plug that needs it. */
const handedOver: string[] = [];

async function change(def: VmDefinition, input: VmDeviceChangeIn, live: QmpClient | null = null, undo: Array<() => Promise<void>> = []): Promise<VmDefinition> {
  const parsed = VmDeviceChangeSchema.parse(input);
  if (!isPassthroughChange(parsed)) throw new Error(`not a passthrough change: ${parsed.op}`);
  const handOverUsb = async (vm: string, selector: string) => void handedOver.push(`${vm} ${selector}`);
  return applyPassthroughChange(def, parsed as PassthroughChange, live, { usb: async () => [logitech], handOverUsb }, undo);
}

/** A monitor that keeps what was plugged, as QEMU's /machine/peripheral does. */
function fakeMonitor() {
  const plugged = new Set<string>();
  const calls: string[] = [];
  const qmp = {
    execute: async (cmd: string, args?: Record<string, unknown>) => {
      calls.push(`${cmd} ${String(args?.id ?? '')}`.trim());
      if (cmd === 'device_add') plugged.add(String(args!.id));
      if (cmd === 'device_del') plugged.delete(String(args!.id));
      if (cmd === 'qom-list') return [...plugged].map((name) => ({ name, type: 'child<usb-host>' }));
      return {};
    },
  } as unknown as QmpClient;
  return { qmp, calls, plugged };
}

describe('vm.update of passed devices', () => {
  it('adds and removes mediated devices, the last of a parent and type first', async () => {
    const m = { parent: IGPU, type: 'i915-GVTg_V5_4' };
    let def = await change(base, { op: 'mdev.add', mdev: { parent: '00:02.0', type: m.type } });
    def = await change(def, { op: 'mdev.add', mdev: { parent: IGPU, type: 'i915-GVTg_V5_8' } });
    def = await change(def, { op: 'mdev.add', mdev: m });
    expect(def.mdevs).toEqual([m, { parent: IGPU, type: 'i915-GVTg_V5_8' }, m]);
    def = await change(def, { op: 'mdev.remove', mdev: m });
    expect(def.mdevs).toEqual([m, { parent: IGPU, type: 'i915-GVTg_V5_8' }]);
    await expect(change(def, { op: 'mdev.remove', mdev: { parent: IGPU, type: 'nvidia-63' } })).rejects.toThrow(/has no mdev:0000:00:02.0:nvidia-63; it has mdev:0000:00:02.0:i915-GVTg_V5_4/);
    def = await change(await change(def, { op: 'mdev.remove', mdev: m }), { op: 'mdev.remove', mdev: { parent: IGPU, type: 'i915-GVTg_V5_8' } });
    expect('mdevs' in def).toBe(false);
  });

  it('sets Looking Glass to a resolution and back off; a microvm refuses it', async () => {
    const on = await change(base, { op: 'lookingGlass.set', resolution: ' 2560x1440 ' });
    expect(on.lookingGlass).toEqual({ resolution: '2560x1440' });
    expect('lookingGlass' in (await change(on, { op: 'lookingGlass.set', resolution: null }))).toBe(false);
    await expect(change({ ...base, machine: 'microvm' }, { op: 'lookingGlass.set', resolution: '1920x1080' })).rejects.toThrow(/microvm/);
    expect(() => VmDeviceChangeSchema.parse({ op: 'lookingGlass.set', resolution: '2560' })).toThrow(/WIDTHxHEIGHT/);
  });

  it('adds USB to a stopped VM in the definition only; refuses a device that is not plugged in', async () => {
    const def = await change(base, { op: 'usb.add', device: 'usb:046D:C52B' });
    expect(def.usb).toEqual(['usb:046d:c52b']);
    await expect(change(def, { op: 'usb.add', device: 'usb:046d:c52b' })).rejects.toThrow(/already has/);
    await expect(change(base, { op: 'usb.add', device: 'usb:1234:5678' })).rejects.toThrow(/No USB device 1234:5678 is plugged/);
  });

  it("hands a host device's node to a user's running QEMU before plugging it in; a stopped VM's waits for its start", async () => {
    handedOver.length = 0;
    await change(base, { op: 'usb.add', device: 'usb:046d:c52b' });
    expect(handedOver).toEqual([]);
    const { qmp, plugged } = fakeMonitor();
    await change(base, { op: 'usb.add', device: 'usb:046d:c52b' }, qmp);
    expect(handedOver).toEqual(['nv6d-lg usb:046d:c52b']);
    expect(plugged.size).toBe(1);
  });

  it('hot-plugs USB into a running VM and unplugs it again as the undo', async () => {
    const { qmp, calls, plugged } = fakeMonitor();
    const undo: Array<() => Promise<void>> = [];
    const def = await change(base, { op: 'usb.add', device: 'usb:tablet' }, qmp, undo);
    expect(def.usb).toEqual(['usb:tablet']);
    expect([...plugged]).toEqual(['usb-tablet']);
    for (const step of undo) await step();
    expect(plugged.size).toBe(0);
    plugged.add('usb-tablet');
    const removed = await change(def, { op: 'usb.remove', device: 'usb:tablet' }, qmp);
    expect(removed.usb).toEqual([]);
    expect(calls.filter((c) => c.startsWith('device_'))).toEqual(['device_add usb-tablet', 'device_del usb-tablet', 'device_del usb-tablet']);
  });

  it('turns single-GPU mode on and off, leaving a VM that never had it unchanged', () => {
    expect(withSingleGpu(base, true).singleGpu).toBe(true);
    expect('singleGpu' in withSingleGpu({ ...base, singleGpu: true }, false)).toBe(false);
    expect(withSingleGpu(base, undefined)).toBe(base);
  });
});
