// VFIO.md 5.2 item 17: the dry run lists the exact writes Apply and Release make, with
// the real refusals, and leaves the host it read exactly as it was.
import { afterEach, describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { DeviceInventoryService } from './device-inventory.js';
import { previewBind } from './bind-preview.js';
import { BinderWorld, bindLog, restoreLog } from './testing/binder-fixture.js';
import { GPU, GPU_AUDIO, ROOT_PORT, gpuWithAudio, hostGpu } from './testing/fake-sysfs.js';

let world: BinderWorld;
afterEach(() => world?.cleanup());

function host(opts: Parameters<typeof gpuWithAudio>[1] = {}) {
  world = new BinderWorld();
  hostGpu(gpuWithAudio(world.fs, opts));
  world.boot();
  const inventory = new DeviceInventoryService({ roots: world.fs.roots(), isRoot: true });
  return async () => (await inventory.list(true)).pci;
}

const asLog = (writes: Array<{ path: string; data: string }>) =>
  writes.map((w) => `${w.path.replace('/sys/bus/pci/', '')} <- ${w.data.endsWith('\n') ? w.data.slice(0, -1) || '""' : w.data}`);

describe('bind preview', () => {
  it('lists the very writes a real bind and restore make, in order, and writes nothing to the host', async () => {
    const preview = await previewBind(GPU, false, host());
    expect(preview.group).toBe(1);
    expect(preview.functions).toEqual([
      { address: GPU, from: 'nvidia', to: 'vfio-pci' },
      { address: GPU_AUDIO, from: 'snd_hda_intel', to: 'vfio-pci' },
    ]);
    expect(asLog(preview.bindWrites)).toEqual(bindLog([GPU, GPU_AUDIO]));
    expect(asLog(preview.restoreWrites)).toEqual(restoreLog([GPU, GPU_AUDIO]));
    expect(world.kernel.log()).toEqual([]);
    expect(world.kernel.driverOf(GPU)).toBe('nvidia');
    expect(world.kernel.driverOf(ROOT_PORT)).toBe('pcieport');
    expect(await world.journal.all()).toEqual({ bindings: [], broken: [] });
    // The real binder then makes exactly what the preview listed.
    await world.binder().bind({ address: GPU, policy: 'restore', holder: { kind: 'manual' } });
    expect(world.kernel.log()).toEqual(asLog(preview.bindWrites));
  });

  it('refuses as a bind refuses, naming the reason, before building anything', async () => {
    const devices = host({ drm: ['card1', 'renderD128'] });
    world.fs.process(4242, 'Xorg', ['/dev/dri/card1']);
    const err = await previewBind(GPU, false, devices).then(() => null, (e: unknown) => e);
    expect(isNovaError(err) && err.message).toMatch(/in use by Xorg \(pid 4242/);
    const boot = await previewBind('0000:03:00.0', false, devices).then(() => null, (e: unknown) => e);
    expect(isNovaError(boot) && boot.message).toMatch(/boot GPU/);
    const none = await previewBind('0000:09:00.0', false, devices).then(() => null, (e: unknown) => e);
    expect(isNovaError(none) && none.code).toBe('not_found');
    expect(world.kernel.log()).toEqual([]);
  });

  it('shows no writes for a group already on vfio-pci', async () => {
    world = new BinderWorld();
    world.fs.pci({ address: GPU, vendor: 0x10de, device: 0x2684, classCode: 0x030000, driver: 'vfio-pci', group: 7 });
    world.boot();
    const inventory = new DeviceInventoryService({ roots: world.fs.roots(), isRoot: true });
    const preview = await previewBind(GPU, false, async () => (await inventory.list(true)).pci);
    expect(preview).toMatchObject({ group: 7, bindWrites: [], restoreWrites: [] });
  });
});
