// A VM's start and end as the devices see them, on the fake kernel: the group bound and
// handed to QEMU's user, the vfio-pci arguments and memlock, then everything given back.
import { afterEach, describe, expect, it } from 'vitest';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { OperationManager } from '../operations/operation-manager.js';
import { silentLogger } from '../util/logger.js';
import { DeviceInventoryService } from './device-inventory.js';
import { DevicePassthrough } from './device-passthrough.js';
import { DeviceReservations } from './device-reservations.js';
import { BinderWorld, restoreLog } from './testing/binder-fixture.js';
import { GPU, GPU_AUDIO, gpuWithAudio, hostGpu } from './testing/fake-sysfs.js';
import { parseMemlockHard, VmDevices } from './vm-devices.js';

let world: BinderWorld;
afterEach(() => world?.cleanup());

const DEF = { name: 'nv10b-win', memoryMiB: 2048, firmware: 'uefi', devices: [{ address: GPU, policy: 'restore' }] } as VmDefinition;

function setup(hardLimit = Infinity, prlimitExit = 0, withBootGpu = false) {
  world = new BinderWorld();
  gpuWithAudio(world.fs);
  if (withBootGpu) hostGpu(world.fs).driver('amdgpu');
  const w = world.boot();
  const binder = w.binder();
  const operations = new OperationManager({ logger: silentLogger(), emit: () => undefined });
  const reservations = new DeviceReservations({ journal: w.journal, binder, isAlive: async () => true, self: { pid: 1, startTime: '1' } });
  const passthrough = new DevicePassthrough({ io: w.kernel.io(), journal: w.journal, binder, reservations, operations });
  const ran: string[][] = [];
  const runner = { run: async (spec: { argv: readonly string[] }) => (ran.push([...spec.argv]), { exitCode: prlimitExit, signal: null, stdout: '', stderr: prlimitExit ? 'prlimit: failed to set the MEMLOCK resource limit: Operation not permitted' : '' }) } as unknown as ProcessRunner;
  const devices = new VmDevices({
    io: w.kernel.io(),
    inventory: new DeviceInventoryService({ roots: w.fs.roots(), isRoot: true }),
    passthrough,
    runner,
    logger: silentLogger(),
    sysfsRoot: '/sys',
    helperMemlockHard: async () => hardLimit,
  });
  return { w, devices, ran };
}

describe('VM devices', () => {
  it('binds the group, hands /dev/vfio/N to the QEMU user, builds the arguments, and gives it all back at the end', async () => {
    const { w, devices, ran } = setup(8 * 1024 * 1024);
    const prepared = await devices.prepare(DEF, { uid: 1000, gid: 1000 }, () => undefined);
    expect(prepared?.prefix).toEqual(['prlimit', `--memlock=${3 * 1024 ** 3}:${3 * 1024 ** 3}`, '--']);
    expect(prepared?.args.filter((_, i) => i % 2 === 1)).toEqual([
      'pcie-root-port,id=vfio-rp0,bus=pcie.0,chassis=128,slot=0',
      `vfio-pci,host=${GPU},id=hostpci0f0,bus=vfio-rp0,addr=00.0,multifunction=on`,
      `vfio-pci,host=${GPU_AUDIO},id=hostpci0f1,bus=vfio-rp0,addr=00.1`,
    ]);
    // The helper's own hard limit was below what QEMU needs: raised first.
    expect(ran).toEqual([['prlimit', `--pid=${process.pid}`, `--memlock=:${3 * 1024 ** 3}`]]);
    expect(w.kernel.ownerOf('/dev/vfio/1')).toEqual({ uid: 1000, gid: 1000 });
    await devices.attached(DEF.name, { pid: 4321, startTime: '99' });
    expect((await w.journal.load(1))?.holder).toMatchObject({ vm: DEF.name, pid: 4321 });
    await devices.release(DEF.name);
    expect(w.kernel.log().slice(-7)).toEqual(['/dev/vfio/1 chown 0:0', ...restoreLog([GPU, GPU_AUDIO])]);
    expect([w.kernel.driverOf(GPU), w.kernel.driverOf(GPU_AUDIO)]).toEqual(['nvidia', 'snd_hda_intel']);
    expect((await w.journal.all()).bindings).toEqual([]);
  });

  it('gives the group back when handing /dev/vfio/N over fails', async () => {
    const { w, devices } = setup();
    w.kernel.fail({ path: /^\/dev\/vfio\/1$/, errno: 'EPERM' });
    await expect(devices.prepare(DEF, { uid: 1000, gid: 1000 }, () => undefined)).rejects.toThrow(/EPERM/);
    expect([w.kernel.driverOf(GPU), w.kernel.driverOf(GPU_AUDIO)]).toEqual(['nvidia', 'snd_hda_intel']);
    expect((await w.journal.all()).bindings).toEqual([]);
  });

  it('refuses the start, saying why, when the helper cannot raise its memlock limit, and gives the group back', async () => {
    const { w, devices } = setup(8 * 1024 * 1024, 1);
    await expect(devices.prepare(DEF, null, () => undefined)).rejects.toThrow(/locked-memory limit of 3221225472 bytes .* CAP_SYS_RESOURCE/);
    expect(w.kernel.driverOf(GPU)).toBe('nvidia');
    expect((await w.journal.all()).bindings).toEqual([]);
  });

  it('refuses the boot GPU before any write, even listed after a device it could bind, unless the VM is in single-GPU mode', async () => {
    const { w, devices } = setup(Infinity, 0, true);
    const BOOT = '0000:03:00.0';
    const both = { ...DEF, devices: [{ address: GPU, policy: 'restore' as const }, { address: BOOT, policy: 'restore' as const }] };
    await expect(devices.prepare(both, null, () => undefined)).rejects.toThrow(/passes 0000:03:00.0, and it is the boot GPU .* Nothing was changed. .*--single-gpu, or single_gpu = true/);
    expect(w.kernel.log()).toEqual([]);
    expect(w.kernel.driverOf(BOOT)).toBe('amdgpu');
    const prepared = await devices.prepare({ ...both, singleGpu: true }, null, () => undefined);
    expect(prepared?.args).toContain(`vfio-pci,host=${BOOT},id=hostpci1f0,bus=vfio-rp1,addr=00.0`);
    expect(w.kernel.driverOf(BOOT)).toBe('vfio-pci');
    await devices.release(DEF.name);
    expect(w.kernel.driverOf(BOOT)).toBe('amdgpu');
  });

  it('does nothing for a VM without devices', async () => {
    const { w, devices } = setup();
    expect(await devices.prepare({ ...DEF, devices: [] }, null, () => undefined)).toBeNull();
    await devices.release(DEF.name);
    expect(w.kernel.log()).toEqual([]);
  });

  it('reads the hard memlock limit from /proc/self/limits', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax locked memory         8388608              16777216             bytes\n';
    expect(parseMemlockHard(limits)).toBe(16777216);
    expect(parseMemlockHard(limits.replace('16777216', 'unlimited'))).toBe(Infinity);
  });
});
