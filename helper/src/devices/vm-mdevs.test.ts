// A VM's mediated devices over its runs on the fake kernel: made at start under UUIDs
// derived from the VM, removed at stop, found again after a crash, all or nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { BinderWorld } from './testing/binder-fixture.js';
import { createVmMdevs, removeVmMdevs, vmMdevUuid } from './vm-mdevs.js';

const PARENT = '0000:00:02.0';
const TYPES = `/sys/class/mdev_bus/${PARENT}/mdev_supported_types`;

let world: BinderWorld;
afterEach(() => world?.cleanup());

function igdWorld(): BinderWorld {
  world = new BinderWorld();
  world.fs.pci({
    address: PARENT,
    vendor: 0x8086,
    device: 0x3e92,
    classCode: 0x030000,
    driver: 'i915',
    group: 0,
    mdevTypes: [
      { id: 'i915-GVTg_V5_4', name: 'GVTg_V5_4', available: 2 },
      { id: 'i915-GVTg_V5_1', name: 'GVTg_V5_1', available: 0 },
    ],
  });
  return world.boot();
}

describe('a VM\'s mediated devices', () => {
  it('derives one stable UUID per VM and place', () => {
    expect(vmMdevUuid('win', 0)).toBe(vmMdevUuid('win', 0));
    expect(vmMdevUuid('win', 0)).not.toBe(vmMdevUuid('win', 1));
    expect(vmMdevUuid('win', 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('makes the instances at start for QEMU and removes them at stop', async () => {
    const w = igdWorld();
    const io = w.kernel.io();
    const uuid = vmMdevUuid('win', 0);
    const args = await createVmMdevs(io, { name: 'win', mdevs: [{ parent: PARENT, type: 'i915-GVTg_V5_4' }] });
    expect(args).toEqual(['-device', `vfio-pci,sysfsdev=/sys/bus/mdev/devices/${uuid},id=mdev0`]);
    expect(w.kernel.log()).toEqual([`${TYPES}/i915-GVTg_V5_4/create <- ${uuid}`]);
    await removeVmMdevs(io, 'win');
    expect(w.kernel.log()).toEqual([`${TYPES}/i915-GVTg_V5_4/create <- ${uuid}`, `/sys/bus/mdev/devices/${uuid}/remove <- 1`]);
    expect(await io.exists(`/sys/bus/mdev/devices/${uuid}`)).toBe(false);
  });

  it('removes what a crashed run left before making them again', async () => {
    const w = igdWorld();
    const io = w.kernel.io();
    const uuid = vmMdevUuid('win', 0);
    const vm = { name: 'win', mdevs: [{ parent: PARENT, type: 'i915-GVTg_V5_4' }] };
    await createVmMdevs(io, vm);
    await createVmMdevs(io, vm);
    expect(w.kernel.log()).toEqual([`${TYPES}/i915-GVTg_V5_4/create <- ${uuid}`, `/sys/bus/mdev/devices/${uuid}/remove <- 1`, `${TYPES}/i915-GVTg_V5_4/create <- ${uuid}`]);
  });

  it('gives back the instances already made when a later one is refused', async () => {
    const w = igdWorld();
    const io = w.kernel.io();
    const vm = { name: 'win', mdevs: [{ parent: PARENT, type: 'i915-GVTg_V5_4' }, { parent: PARENT, type: 'i915-GVTg_V5_1' }] };
    await expect(createVmMdevs(io, vm)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('available_instances is 0') });
    const uuid = vmMdevUuid('win', 0);
    expect(w.kernel.log()).toEqual([`${TYPES}/i915-GVTg_V5_4/create <- ${uuid}`, `/sys/bus/mdev/devices/${uuid}/remove <- 1`]);
    expect((await io.readText(`${TYPES}/i915-GVTg_V5_4/available_instances`))?.trim()).toBe('2');
  });
});
