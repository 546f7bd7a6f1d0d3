// VFIO.md 4.3 cases 2-13 on the fake kernel: final tree, journal and exact write log.
import { afterEach, describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { BinderWorld, bindLog, restoreLog } from './testing/binder-fixture.js';
import { FakeSysfs, GPU, GPU_AUDIO, ROOT_PORT, gpuWithAudio, hostGpu } from './testing/fake-sysfs.js';
import { StuckUnbindError } from './vfio-binder.js';

let world: BinderWorld | undefined;
afterEach(() => world?.cleanup());
afterEach(() => world?.cleanup());

const BIND_GPU_AND_AUDIO = bindLog([GPU, GPU_AUDIO]);
const RESTORE_GPU_AND_AUDIO = restoreLog([GPU, GPU_AUDIO]);

function gpuWorld(opts: Parameters<typeof gpuWithAudio>[1] = {}): BinderWorld {
  world = new BinderWorld();
  hostGpu(gpuWithAudio(world.fs, opts));
  return world.boot();
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!isNovaError(err)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err.message;
}

const bindGpu = (w: BinderWorld, extra: { singleGpu?: boolean } = {}) =>
  w.binder().bind({ address: GPU, policy: 'restore', holder: { kind: 'manual' }, ...extra });

describe('bind (VFIO.md 2.1)', () => {
  it('#2 moves the GPU and its audio function to vfio-pci, leaves the root port alone, journals the original drivers', async () => {
    const w = gpuWorld();
    const result = await bindGpu(w);
    expect(w.kernel.log()).toEqual(BIND_GPU_AND_AUDIO);
    expect(w.kernel.driverOf(GPU)).toBe('vfio-pci');
    expect(w.kernel.driverOf(GPU_AUDIO)).toBe('vfio-pci');
    expect(w.kernel.driverOf(ROOT_PORT)).toBe('pcieport');
    expect(w.kernel.ownerOf('/dev/vfio/1')).toEqual({ uid: 0, gid: 0 });
    expect(result.changed).toBe(true);
    const journal = await w.journal.load(1);
    expect(journal).toMatchObject({ group: 1, phase: 'bound', primary: GPU, stuck: [] });
    expect(journal!.functions).toEqual([
      { address: GPU, originalDriver: 'nvidia', originalOverride: null, step: 'bound' },
      { address: GPU_AUDIO, originalDriver: 'snd_hda_intel', originalOverride: null, step: 'bound' },
    ]);
  });

  it('#3 makes no write when the group is on vfio-pci already', async () => {
    world = new BinderWorld();
    world.fs.pci({ address: GPU, vendor: 0x10de, device: 0x2684, classCode: 0x030000, driver: 'vfio-pci', group: 7 });
    const w = world.boot();
    const first = await bindGpu(w);
    expect(first.changed).toBe(false);
    await bindGpu(w);
    await w.binder().restore(7);
    expect(w.kernel.log()).toEqual([]);
    expect(w.kernel.driverOf(GPU)).toBe('vfio-pci');
  });

  it('#4 restores both functions to their drivers, clears the overrides, removes /dev/vfio/N and the journal', async () => {
    const w = gpuWorld();
    await bindGpu(w);
    w.kernel.writeLog.length = 0;
    await w.binder().restore(1);
    expect(w.kernel.log()).toEqual(RESTORE_GPU_AND_AUDIO);
    expect(w.kernel.driverOf(GPU)).toBe('nvidia');
    expect(w.kernel.driverOf(GPU_AUDIO)).toBe('snd_hda_intel');
    expect(w.kernel.overrideOf(GPU)).toBe('(null)');
    expect(w.kernel.overrideOf(GPU_AUDIO)).toBe('(null)');
    expect(w.kernel.ownerOf('/dev/vfio/1')).toBeNull();
    expect(await w.journal.load(1)).toBeNull();
    expect((await w.journal.all()).bindings).toEqual([]);
  });

  it('#5 leaves an originally unbound function unbound after restore (no probe)', async () => {
    world = new BinderWorld();
    gpuWithAudio(world.fs);
    world.fs.unbind(GPU_AUDIO);
    const w = world.boot();
    await bindGpu(w);
    expect(w.kernel.log()).toEqual([...BIND_GPU_AND_AUDIO.slice(0, 4), `drivers_probe <- ${GPU_AUDIO}`]);
    expect(w.kernel.driverOf(GPU_AUDIO)).toBe('vfio-pci');
    w.kernel.writeLog.length = 0;
    await w.binder().restore(1);
    expect(w.kernel.log()).toEqual([`devices/${GPU_AUDIO}/driver_override <- ""`, `devices/${GPU_AUDIO}/driver/unbind <- ${GPU_AUDIO}`, ...RESTORE_GPU_AND_AUDIO.slice(3)]);
    expect(w.kernel.driverOf(GPU_AUDIO)).toBeNull();
    expect(w.kernel.driverOf(GPU)).toBe('nvidia');
  });

  it('#6 refuses a group with a foreign device before any write, naming it', async () => {
    world = new BinderWorld();
    gpuWithAudio(world.fs).pci({ address: '0000:00:17.0', vendor: 0x8086, device: 0x2922, classCode: 0x010601, driver: 'ahci', group: 1 });
    const w = world.boot();
    const message = await refusal(bindGpu(w));
    expect(message).toMatch(/group 1 is not viable/);
    expect(message).toContain('0000:00:17.0');
    expect(message).toContain('ahci');
    expect(w.kernel.log()).toEqual([]);
    expect(await w.journal.load(1)).toBeNull();
  });

  it('#7 binds a group with a pci-stub member and leaves that member alone', async () => {
    world = new BinderWorld();
    gpuWithAudio(world.fs).pci({ address: '0000:02:00.0', vendor: 0x8086, device: 0x1521, classCode: 0x020000, driver: 'pci-stub', group: 1 });
    const w = world.boot();
    await bindGpu(w);
    expect(w.kernel.log()).toEqual(BIND_GPU_AND_AUDIO);
    expect(w.kernel.driverOf('0000:02:00.0')).toBe('pci-stub');
    await w.binder().restore(1);
    expect(w.kernel.driverOf('0000:02:00.0')).toBe('pci-stub');
    expect(w.kernel.log().some((l) => l.includes('0000:02:00.0'))).toBe(false);
  });

  it('#8 refuses a device whose render node a process holds, naming it, with no unbind', async () => {
    world = new BinderWorld();
    gpuWithAudio(world.fs, { drm: ['card1', 'renderD129'] }).process(4242, 'blender', ['/dev/dri/renderD129']);
    const w = world.boot();
    const message = await refusal(bindGpu(w));
    expect(message).toContain('blender (pid 4242, /dev/dri/renderD129)');
    expect(w.kernel.log()).toEqual([]);
  });

  it('#9 refuses the boot GPU unless single-GPU mode is asked for, then binds and warns', async () => {
    const w = gpuWorld({ bootVga: true });
    expect(await refusal(bindGpu(w))).toMatch(/boot GPU \(boot_vga=1\)/);
    expect(w.kernel.log()).toEqual([]);
    const result = await bindGpu(w, { singleGpu: true });
    expect(result.warnings.join()).toMatch(/host display goes dark/);
    expect(w.kernel.driverOf(GPU)).toBe('vfio-pci');
  });

  it('#10 times out a hanging unbind, marks the device stuck and keeps serving other groups', async () => {
    world = new BinderWorld();
    gpuWithAudio(world.fs);
    world.fs.pci({ address: '0000:05:00.0', vendor: 0x8086, device: 0x15f3, classCode: 0x020000, driver: 'igc', group: 9 });
    const w = world.boot();
    w.kernel.setUnbind('nvidia', 'hang');
    const started = Date.now();
    const [gpu, nic] = await Promise.allSettled([bindGpu(w), w.binder().bind({ address: '0000:05:00.0', policy: 'restore', holder: null })]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(gpu.status === 'rejected' && gpu.reason instanceof StuckUnbindError).toBe(true);
    expect(nic.status).toBe('fulfilled');
    expect(w.kernel.driverOf('0000:05:00.0')).toBe('vfio-pci');
    const journal = await w.journal.load(1);
    expect(journal).toMatchObject({ phase: 'stuck', stuck: [GPU] });
    expect(await refusal(bindGpu(w))).toMatch(/stuck/);
    expect(await refusal(w.binder().restore(1))).toMatch(/reboot/);
  });

  it('#11 rolls the first function back when the second one\'s probe fails', async () => {
    const w = gpuWorld();
    w.kernel.fail({ path: /drivers_probe$/, errno: 'EIO', after: 1 });
    expect(await refusal(bindGpu(w))).toMatch(/EIO/);
    expect(w.kernel.log()).toEqual([
      ...BIND_GPU_AND_AUDIO.slice(0, 5),
      `drivers_probe <- ${GPU_AUDIO} !EIO`,
      // The audio function was unbound before the probe failed: back to its driver, then the GPU.
      `devices/${GPU_AUDIO}/driver_override <- ""`,
      `drivers_probe <- ${GPU_AUDIO}`,
      ...RESTORE_GPU_AND_AUDIO.slice(3),
    ]);
    expect(w.kernel.driverOf(GPU)).toBe('nvidia');
    expect(w.kernel.driverOf(GPU_AUDIO)).toBe('snd_hda_intel');
    expect([w.kernel.overrideOf(GPU), w.kernel.overrideOf(GPU_AUDIO)]).toEqual(['(null)', '(null)']);
    expect(await w.journal.load(1)).toBeNull();
  });

  it('#11 rolls back when an override write is refused (EACCES)', async () => {
    const w = gpuWorld();
    w.kernel.fail({ path: new RegExp(`${GPU_AUDIO}/driver_override$`), errno: 'EACCES' });
    await refusal(bindGpu(w));
    expect(w.kernel.driverOf(GPU)).toBe('nvidia');
    expect(w.kernel.driverOf(GPU_AUDIO)).toBe('snd_hda_intel');
    expect(w.kernel.overrideOf(GPU)).toBe('(null)');
  });

  it('#12 detects a probe that bound nothing (vfio-pci matches nothing) and rolls back', async () => {
    const w = gpuWorld();
    // The override names a driver that refuses the device: the probe succeeds, no link appears.
    w.kernel.fail({ path: /nothing/, errno: 'EIO' });
    w.kernel.drivers.delete('vfio-pci');
    const message = await refusal(bindGpu(w));
    expect(message).toMatch(/did not bind to vfio-pci \(driver now: none\)/);
    expect(w.kernel.log()).toEqual([...BIND_GPU_AND_AUDIO.slice(0, 3), `devices/${GPU}/driver_override <- ""`, `drivers_probe <- ${GPU}`]);
    expect(w.kernel.driverOf(GPU)).toBe('nvidia');
  });

  it('#12 refuses with the reason when vfio-pci is not loaded and cannot be', async () => {
    world = new BinderWorld();
    gpuWithAudio(world.fs);
    const w = world.boot({ vfio: false });
    const err = await w.binder({ loadModule: async () => { throw new Error('modprobe: not found'); } }).bind({ address: GPU, policy: 'restore', holder: null }).catch((e: unknown) => e);
    expect(isNovaError(err, 'unsupported')).toBe(true);
    expect(w.kernel.log()).toEqual([]);
  });

  it('#13 waits for a bind whose link appears after 3 polls', async () => {
    const w = gpuWorld();
    w.kernel.deferBind(GPU, 3);
    await bindGpu(w);
    expect(w.kernel.log()).toEqual(BIND_GPU_AND_AUDIO);
    expect(w.kernel.driverOf(GPU)).toBe('vfio-pci');
  });

  it('#13 gives up after the poll budget, then rolls back', async () => {
    const w = gpuWorld();
    w.kernel.deferBind(GPU, 50);
    const message = await refusal(bindGpu(w));
    expect(message).toMatch(/after 10 checks/);
    expect(w.kernel.driverOf(GPU)).toBe('nvidia');
    expect(w.kernel.overrideOf(GPU)).toBe('(null)');
    expect(await w.journal.load(1)).toBeNull();
  });

  it('refuses a device in no IOMMU group before any write', async () => {
    world = new BinderWorld(new FakeSysfs({ prefix: 'nv10b-sysfs-' }));
    gpuWithAudio(world.fs, { group: null });
    const w = world.boot();
    expect(await refusal(bindGpu(w))).toMatch(/no IOMMU group/);
    expect(w.kernel.log()).toEqual([]);
  });
});
