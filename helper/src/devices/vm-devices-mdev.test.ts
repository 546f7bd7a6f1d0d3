// A VM with a mediated device and no PCI one, as its start and end see the devices: the
// instance made, its group handed to QEMU's user, memlock raised (VFIO pins guest RAM for
// an mdev too); at the end the instance removed.
import { afterEach, describe, expect, it } from 'vitest';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { silentLogger } from '../util/logger.js';
import type { DeviceInventoryService } from './device-inventory.js';
import type { DevicePassthrough } from './device-passthrough.js';
import { BinderWorld } from './testing/binder-fixture.js';
import { memlockBytes } from './vfio-argv.js';
import { VmDevices } from './vm-devices.js';
import { vmMdevUuid } from './vm-mdevs.js';

const PARENT = '0000:00:02.0';
const TYPE = 'i915-GVTg_V5_4';
const DEF = { name: 'nv10u-gvt', memoryMiB: 1024, firmware: 'uefi', mdevs: [{ parent: PARENT, type: TYPE }] } as VmDefinition;

let world: BinderWorld;
afterEach(() => world?.cleanup());

describe('a VM with a mediated device', () => {
  it('gets the instance at start, its group handed to its user, and loses it at the end', async () => {
    world = new BinderWorld();
    world.fs.pci({ address: PARENT, vendor: 0x8086, device: 0x3e92, classCode: 0x030000, driver: 'i915', group: 0, mdevTypes: [{ id: TYPE, name: 'GVTg_V5_4', available: 1 }] });
    const w = world.boot();
    const io = w.kernel.io();
    const devices = new VmDevices({
      io,
      inventory: {} as DeviceInventoryService,
      passthrough: { heldBy: async () => [] } as unknown as DevicePassthrough,
      runner: {} as ProcessRunner,
      logger: silentLogger(),
      sysfsRoot: '/sys',
      helperMemlockHard: async () => Infinity,
    });
    const uuid = vmMdevUuid(DEF.name, 0);
    const prepared = await devices.prepare(DEF, { uid: 1000, gid: 1000 }, () => undefined);
    expect(prepared).toEqual({
      prefix: ['prlimit', `--memlock=${memlockBytes(1024)}:${memlockBytes(1024)}`, '--'],
      args: ['-device', `vfio-pci,sysfsdev=/sys/bus/mdev/devices/${uuid},id=mdev0`],
    });
    const group = (await io.readLink(`/sys/bus/mdev/devices/${uuid}/iommu_group`))!.split('/').pop();
    expect(w.kernel.ownerOf(`/dev/vfio/${group}`)).toEqual({ uid: 1000, gid: 1000 });

    await devices.release(DEF.name);
    expect(await io.exists(`/sys/bus/mdev/devices/${uuid}`)).toBe(false);
    expect(w.kernel.log()).toEqual([
      `/sys/class/mdev_bus/${PARENT}/mdev_supported_types/${TYPE}/create <- ${uuid}`,
      `/dev/vfio/${group} chown 1000:1000`,
      `/sys/bus/mdev/devices/${uuid}/remove <- 1`,
    ]);
  });
});
