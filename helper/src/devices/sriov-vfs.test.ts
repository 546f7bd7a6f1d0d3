// VFIO.md 4.3 case 17 on the fake kernel: SR-IOV virtual functions made with autoprobe off,
// a VF passed like any device, and the kernel's refusals, each with the final tree and
// the exact ordered write log.
import { realpathSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelError } from './testing/fake-kernel.js';
import { BinderWorld } from './testing/binder-fixture.js';
import { disableVfs, enableVfs, freeVf, readSriov } from './sriov-vfs.js';

const PF = '0000:05:00.0';
const VF0 = '0000:05:10.0';
const VF1 = '0000:05:10.1';

let world: BinderWorld;
afterEach(() => world?.cleanup());

/** An I350 NIC on igb that can make 8 VFs (igbvf would take them), in its own group. */
function sriovWorld(opts: { pfDriver?: string | null } = {}): BinderWorld {
  world = new BinderWorld();
  world.fs.pci({ address: PF, vendor: 0x8086, device: 0x1521, classCode: 0x020000, driver: opts.pfDriver === undefined ? 'igb' : opts.pfDriver, group: 5, sriov: { total: 8, vfs: [], vfDevice: 0x1520 } });
  world.boot();
  world.kernel.loadDriver('igbvf', ['8086:1520']);
  return world;
}

const groupOf = (w: BinderWorld, address: string) => w.fs.at(`sys/bus/pci/devices/${address}/iommu_group`);

describe('SR-IOV (VFIO.md 1.5, case 17)', () => {
  it('makes 2 VFs with autoprobe off first: each unbound, in its own group, linked to its PF', async () => {
    const w = sriovWorld();
    const io = w.kernel.io();
    expect(await enableVfs(io, PF, 2)).toEqual([VF0, VF1]);
    expect(w.kernel.log()).toEqual([`devices/${PF}/sriov_drivers_autoprobe <- 0`, `devices/${PF}/sriov_numvfs <- 2`]);
    expect(await readSriov(io, PF)).toEqual({ totalVfs: 8, numVfs: 2, autoprobe: false, vfs: [VF0, VF1] });
    expect([w.kernel.driverOf(VF0), w.kernel.driverOf(VF1)]).toEqual([null, null]);
    const groups = [PF, VF0, VF1].map((a) => realpathSync(groupOf(w, a)));
    expect(new Set(groups).size).toBe(3);
    expect(realpathSync(w.fs.at(`sys/bus/pci/devices/${VF0}/physfn`))).toBe(realpathSync(w.fs.at(`sys/bus/pci/devices/${PF}`)));
    // Asking again for what is there writes nothing.
    expect(await enableVfs(io, PF, 2)).toEqual([VF0, VF1]);
    expect(w.kernel.log()).toHaveLength(2);
  });

  it('passes VF0 like any device: bound to vfio-pci alone (override, probe), VF1 left free', async () => {
    const w = sriovWorld();
    await enableVfs(w.kernel.io(), PF, 2);
    const before = w.kernel.log().length;
    const bound = await w.binder().bind({ address: VF0, policy: 'restore', holder: { kind: 'manual' } });
    expect(w.kernel.log().slice(before)).toEqual([`devices/${VF0}/driver_override <- vfio-pci`, `drivers_probe <- ${VF0}`]);
    expect(w.kernel.driverOf(VF0)).toBe('vfio-pci');
    expect(bound.binding.functions.map((f) => [f.address, f.originalDriver])).toEqual([[VF0, null]]);
    expect(await freeVf(w.kernel.io(), PF)).toBe(VF1);
    expect(await freeVf(w.kernel.io(), PF, new Set([VF1]))).toBeNull();
  });

  it('without autoprobe off, the host driver takes every new VF at once: why Nova writes 0 first', async () => {
    const w = sriovWorld();
    await w.kernel.io().writeAttr(`/sys/bus/pci/devices/${PF}/sriov_numvfs`, '2\n');
    expect([w.kernel.driverOf(VF0), w.kernel.driverOf(VF1)]).toEqual(['igbvf', 'igbvf']);
  });

  it('refuses above sriov_totalvfs and a change between two non-zero counts before any write; the kernel says ERANGE and EBUSY', async () => {
    const w = sriovWorld();
    const io = w.kernel.io();
    await expect(enableVfs(io, PF, 9)).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('at most 8 virtual functions') });
    expect(w.kernel.log()).toEqual([]);
    await expect(io.writeAttr(`/sys/bus/pci/devices/${PF}/sriov_numvfs`, '9\n')).rejects.toEqual(new KernelError('ERANGE', `/sys/bus/pci/devices/${PF}/sriov_numvfs`));

    await enableVfs(io, PF, 2);
    const before = w.kernel.log().length;
    await expect(enableVfs(io, PF, 4)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('has 2 virtual functions already') });
    expect(w.kernel.log().length).toBe(before);
    await expect(io.writeAttr(`/sys/bus/pci/devices/${PF}/sriov_numvfs`, '4\n')).rejects.toMatchObject({ code: 'EBUSY' });
    expect((await readSriov(io, PF))?.vfs).toEqual([VF0, VF1]);
  });

  it('surfaces ENOENT when the PF has no driver to make VFs', async () => {
    const w = sriovWorld({ pfDriver: null });
    await expect(enableVfs(w.kernel.io(), PF, 2)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('has no driver') });
    expect(w.kernel.log()).toEqual([`devices/${PF}/sriov_drivers_autoprobe <- 0`, `devices/${PF}/sriov_numvfs <- 2 !ENOENT`]);
    expect((await readSriov(w.kernel.io(), PF))?.vfs).toEqual([]);
  });

  it('disables them: the VFs and their groups gone, autoprobe back on', async () => {
    const w = sriovWorld();
    const io = w.kernel.io();
    await enableVfs(io, PF, 2);
    const before = w.kernel.log().length;
    await disableVfs(io, PF);
    expect(w.kernel.log().slice(before)).toEqual([`devices/${PF}/sriov_numvfs <- 0`, `devices/${PF}/sriov_drivers_autoprobe <- 1`]);
    expect(await readSriov(io, PF)).toEqual({ totalVfs: 8, numVfs: 0, autoprobe: true, vfs: [] });
    expect(await io.exists(`/sys/bus/pci/devices/${VF0}`)).toBe(false);
    expect(w.fs.addresses()).toEqual([PF]);
  });

  it('refuses a device without SR-IOV', async () => {
    const w = sriovWorld();
    w.fs.pci({ address: '0000:06:00.0', vendor: 0x8086, device: 0x15f3, classCode: 0x020000, driver: 'igc', group: 6 });
    await expect(enableVfs(w.kernel.io(), '0000:06:00.0', 1)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('no SR-IOV') });
  });
});
