// VFIO.md 4.3 case 20 on the fake kernel: a mediated device made from a type by its UUID,
// refused when the type has no instance left, handed to QEMU by sysfsdev, and removed at
// VM stop, each with the final tree and the exact ordered write log.
import { afterEach, describe, expect, it } from 'vitest';
import { BinderWorld } from './testing/binder-fixture.js';
import { createMdev, mdevDeviceArgs, removeMdev } from './mdev-instances.js';

const PARENT = '0000:01:00.0';
const TYPE = 'nvidia-63';
const UUID = '6a2b3c4d-1111-4222-8333-944455566677';
const TYPE_DIR = `/sys/class/mdev_bus/${PARENT}/mdev_supported_types/${TYPE}`;

let world: BinderWorld;
afterEach(() => world?.cleanup());

function mdevWorld(available: number): BinderWorld {
  world = new BinderWorld();
  world.fs.pci({ address: PARENT, vendor: 0x10de, device: 0x1eb8, classCode: 0x030200, driver: 'nvidia', group: 1, mdevTypes: [{ id: TYPE, name: 'GRID T4-1Q', available }] });
  return world.boot();
}

describe('mdev (VFIO.md 1.6, case 20)', () => {
  it('creates an instance by writing its UUID to the type, leaving the parent on its driver', async () => {
    const w = mdevWorld(1);
    const io = w.kernel.io();
    const mdev = await createMdev(io, PARENT, TYPE, UUID);
    expect(mdev).toEqual({ uuid: UUID, parent: PARENT, type: TYPE, sysfsdev: `/sys/bus/mdev/devices/${UUID}` });
    expect(w.kernel.log()).toEqual([`${TYPE_DIR}/create <- ${UUID}`]);
    expect((await io.readLink(`/sys/bus/mdev/devices/${UUID}/mdev_type`))?.endsWith(`mdev_supported_types/${TYPE}`)).toBe(true);
    expect(await io.exists(`/sys/bus/mdev/devices/${UUID}/iommu_group`)).toBe(true);
    expect((await io.readText(`${TYPE_DIR}/available_instances`))?.trim()).toBe('0');
    expect(w.kernel.driverOf(PARENT)).toBe('nvidia');
    expect(mdevDeviceArgs(mdev, 0)).toEqual(['-device', `vfio-pci,sysfsdev=/sys/bus/mdev/devices/${UUID},id=mdev0`]);
  });

  it('refuses a type with no available instance before any write; the kernel itself says EUSERS', async () => {
    const w = mdevWorld(0);
    const io = w.kernel.io();
    await expect(createMdev(io, PARENT, TYPE, UUID)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('available_instances is 0') });
    expect(w.kernel.log()).toEqual([]);
    await expect(io.writeAttr(`${TYPE_DIR}/create`, `${UUID}\n`)).rejects.toMatchObject({ code: 'EUSERS' });
    expect(await io.exists(`/sys/bus/mdev/devices/${UUID}`)).toBe(false);
    await expect(createMdev(io, PARENT, 'nvidia-99', UUID)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('removes the instance at VM stop: gone, its room given back; a second removal writes nothing', async () => {
    const w = mdevWorld(1);
    const io = w.kernel.io();
    await createMdev(io, PARENT, TYPE, UUID);
    await removeMdev(io, UUID);
    expect(w.kernel.log()).toEqual([`${TYPE_DIR}/create <- ${UUID}`, `/sys/bus/mdev/devices/${UUID}/remove <- 1`]);
    expect(await io.exists(`/sys/bus/mdev/devices/${UUID}`)).toBe(false);
    expect((await io.readText(`${TYPE_DIR}/available_instances`))?.trim()).toBe('1');
    await removeMdev(io, UUID);
    expect(w.kernel.log()).toHaveLength(2);
  });
});
