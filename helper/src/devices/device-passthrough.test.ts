// device.bind / device.restore as operations on the fake kernel: they show in the
// operation list with their kind, and a group a living VM holds is not taken from it.
import { afterEach, describe, expect, it } from 'vitest';
import { OperationManager } from '../operations/operation-manager.js';
import { silentLogger } from '../util/logger.js';
import { DevicePassthrough } from './device-passthrough.js';
import { DeviceReservations } from './device-reservations.js';
import { BinderWorld } from './testing/binder-fixture.js';
import { GPU, GPU_AUDIO, gpuWithAudio } from './testing/fake-sysfs.js';

let world: BinderWorld;
afterEach(() => world?.cleanup());

function setup(living: Set<string>) {
  world = new BinderWorld();
  gpuWithAudio(world.fs);
  const w = world.boot();
  const binder = w.binder();
  const operations = new OperationManager({ logger: silentLogger(), emit: () => undefined });
  const reservations = new DeviceReservations({ journal: w.journal, binder, isAlive: async (p, s) => living.has(`${p}:${s}`), self: { pid: 1, startTime: '1' } });
  const passthrough = new DevicePassthrough({ io: w.kernel.io(), journal: w.journal, binder, reservations, operations });
  return { w, operations, passthrough };
}

describe('device passthrough service', () => {
  it('binds and restores as operations, by any member of the group', async () => {
    const { w, operations, passthrough } = setup(new Set());
    const bound = await passthrough.bind({ address: GPU_AUDIO, policy: 'keep', singleGpu: false }, null);
    expect(bound.binding.holder).toEqual({ kind: 'manual' });
    expect(w.kernel.driverOf(GPU)).toBe('vfio-pci');
    expect(await passthrough.restore(GPU, null)).toEqual({ group: 1, restored: [GPU, GPU_AUDIO] });
    expect(w.kernel.driverOf(GPU)).toBe('nvidia');
    expect(operations.list({ state: 'all' }).map((o) => [o.kind, o.resource.name, o.state])).toEqual(
      expect.arrayContaining([['device.bind', GPU_AUDIO, 'succeeded'], ['device.restore', GPU, 'succeeded']]),
    );
  });

  it('refuses to restore a group a running VM holds, and releases it when the VM stops', async () => {
    const living = new Set(['1:1', '42:4']);
    const { w, passthrough } = setup(living);
    await passthrough.acquireForVm('nv10b-win', [{ address: GPU, policy: 'restore' }], null);
    await passthrough.attachProcess('nv10b-win', { pid: 42, startTime: '4' });
    await expect(passthrough.restore(GPU, null)).rejects.toThrow(/held by VM nv10b-win; stop the VM first/);
    expect(w.kernel.driverOf(GPU)).toBe('vfio-pci');
    await passthrough.releaseForVm('nv10b-win');
    expect(w.kernel.driverOf(GPU)).toBe('nvidia');
    expect((await passthrough.bindings()).bindings).toEqual([]);
  });

  it('says which device is missing, and refuses one in no group before taking any lock', async () => {
    const { passthrough } = setup(new Set());
    await expect(passthrough.bind({ address: '0000:09:00.0', policy: 'keep', singleGpu: false }, null)).rejects.toThrow(/No PCI device 0000:09:00.0/);
  });
});
