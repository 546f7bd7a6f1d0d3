// VFIO.md 4.3 cases 1, 16, and the preflight side of 17 and 20, each asserting the
// preflight, what a bind (and its dry run) does, the final tree and the exact ordered
// write log. Cases 2-13 are vfio-binder.test.ts, 14, 15 and 18 device-reservations.test.ts,
// 19 vfio-argv.test.ts and show-command.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { DevicePreflight } from '../../../src-shared/device.js';
import { isNovaError } from '../../../src-shared/errors.js';
import { previewBind } from './bind-preview.js';
import { DeviceInventoryService } from './device-inventory.js';
import { BinderWorld, bindLog, restoreLog } from './testing/binder-fixture.js';
import { FakeSysfs, GPU, GPU_AUDIO, gpuWithAudio, hostGpu } from './testing/fake-sysfs.js';

let world: BinderWorld;
afterEach(() => world?.cleanup());

function boot(fs: FakeSysfs): { world: BinderWorld; inventory: DeviceInventoryService } {
  world = new BinderWorld(fs);
  world.boot();
  return { world, inventory: new DeviceInventoryService({ roots: fs.roots(), isRoot: true }) };
}

const item = (p: DevicePreflight, id: string) => p.items.find((i) => i.id === id);
const pciList = (inventory: DeviceInventoryService) => async () => (await inventory.list(true)).pci;

describe('VFIO.md 4.3', () => {
  it('#1 IOMMU off: the preflight blocks with the boot parameter; bind and its dry run refuse before any write', async () => {
    const { world: w, inventory } = boot(hostGpu(gpuWithAudio(new FakeSysfs({ prefix: 'nv10d-sysfs-' }).vfioModule(), { group: null }), null));
    const pre = await inventory.check(GPU);
    expect(item(pre, 'iommu')).toMatchObject({ verdict: 'block', summary: 'Not active: no device can be passed through', fix: expect.stringContaining('intel_iommu=on') as unknown as string });
    const err = await w.binder().bind({ address: GPU, policy: 'restore', holder: { kind: 'manual' } }).catch((e: unknown) => e);
    expect(isNovaError(err) && err.message).toContain(`${GPU} is in no IOMMU group: the IOMMU is off`);
    const dry = await previewBind(GPU, false, pciList(inventory)).catch((e: unknown) => e);
    expect(isNovaError(dry) && dry.message).toContain('the IOMMU is off');
    expect(w.kernel.log()).toEqual([]);
    expect([w.kernel.driverOf(GPU), w.kernel.driverOf(GPU_AUDIO)]).toEqual(['nvidia', 'snd_hda_intel']);
    expect(await w.journal.all()).toEqual({ bindings: [], broken: [] });
  });

  it('#16 no reset method: a warning ("once per boot") that does not block; the bind never writes reset, and restores exactly', async () => {
    const { world: w, inventory } = boot(hostGpu(gpuWithAudio(new FakeSysfs({ prefix: 'nv10d-sysfs-' }).withIommu().vfioModule(), { reset: null })));
    const pre = await inventory.check(GPU);
    expect(item(pre, 'reset')).toMatchObject({ verdict: 'warn', summary: expect.stringContaining('once per host boot') as unknown as string });
    expect(pre.verdict).not.toBe('block');
    await w.binder().bind({ address: GPU, policy: 'restore', holder: { kind: 'manual' } });
    await w.binder().restore(1);
    expect(w.kernel.log()).toEqual([...bindLog([GPU, GPU_AUDIO]), ...restoreLog([GPU, GPU_AUDIO])]);
    expect(w.kernel.log().some((l) => l.includes('/reset '))).toBe(false);
    expect([w.kernel.driverOf(GPU), w.kernel.overrideOf(GPU)]).toEqual(['nvidia', '(null)']);
  });

  it('#16 bus-only reset with an active sibling on the bus: a warning naming the sibling, and nothing written by checking', async () => {
    const fs = hostGpu(gpuWithAudio(new FakeSysfs({ prefix: 'nv10d-sysfs-' }).withIommu().vfioModule(), { reset: ['bus'] }))
      .pci({ address: '0000:01:01.0', parent: '0000:00:01.0', vendor: 0x8086, device: 0x15f3, classCode: 0x020000, driver: 'igc', group: 9 });
    const { world: w, inventory } = boot(fs);
    const reset = item(await inventory.check(GPU), 'reset');
    expect(reset).toMatchObject({ verdict: 'warn', evidence: expect.arrayContaining(['other devices on bus 0000:01: 0000:01:01.0']) as unknown as string[] });
    expect(w.kernel.log()).toEqual([]);
  });

  it('#17 and #20, preflight side: an SR-IOV PF and an mdev parent are offered as lighter alternatives, a used-up mdev type said so; checking writes nothing', async () => {
    const fs = new FakeSysfs({ prefix: 'nv10d-sysfs-' }).withIommu().vfioModule()
      .pci({ address: '0000:06:00.0', vendor: 0x8086, device: 0x1521, classCode: 0x020000, driver: 'igb', group: 6, sriov: { total: 8, vfs: [] } })
      .pci({ address: '0000:07:00.0', vendor: 0x10de, device: 0x2684, classCode: 0x030000, driver: 'nvidia', group: 7, mdevTypes: [{ id: 'nvidia-1', name: 'GRID A', available: 0 }, { id: 'nvidia-2', name: 'GRID B', available: 2 }] });
    const { world: w, inventory } = boot(fs);
    expect(item(await inventory.check('0000:06:00.0'), 'kind')).toMatchObject({ verdict: 'pass', summary: 'It can also be shared: SR-IOV: up to 8 virtual functions (0 enabled)' });
    expect(item(await inventory.check('0000:07:00.0'), 'kind')?.summary).toBe('It can also be shared: mediated devices: GRID A (none available), GRID B');
    expect(w.kernel.log()).toEqual([]);
  });
});
