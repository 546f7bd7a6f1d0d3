// A VM with a passed-through PCI device, on a fake device host (NOVA_TEST_DEVICE_ROOT,
// a FakeSysfs tree the helper writes through the FakeKernel model): the helper binds
// the GPU's group, real QEMU really starts with the vfio-pci device and fails to open
// the group's /dev/vfio node (the group exists only in the fake tree), the start fails
// saying so, and the fake kernel ends with the original drivers back, the write log
// exactly bind-then-restore, and no reservation left.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { TEST_WRITE_LOG } from '../src/devices/test-device-host.js';
import { bindLog, restoreLog } from '../src/devices/testing/binder-fixture.js';
import { FakeSysfs, GPU, GPU_AUDIO, ROOT_PORT, gpuWithAudio, hostGpu } from '../src/devices/testing/fake-sysfs.js';
import { makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const isRoot = process.getuid?.() === 0;
const VM = 'nv10b-gpuvm';
let dir = '';
let fs: FakeSysfs | null = null;
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;

describe.skipIf(!isRoot)('a VM with a passed-through device on a fake host', () => {
  beforeAll(async () => {
    dir = await makeTestDir('nv10b-vfio');
    fs = hostGpu(gpuWithAudio(new FakeSysfs({ prefix: 'nv10b-sysfs-' }).withIommu().vfioModule())).driver('vfio-pci');
    helper = await startHelper(dir, { extraArgs: ['--allowed-root', dir], env: { NOVA_TEST_HOOKS: '1', NOVA_TEST_DEVICE_ROOT: fs.root } });
    client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
    client.start();
    await client.waitForConnection();
  });

  afterAll(async () => {
    client?.close();
    await helper?.stop();
    if (dir) await removeTestDir(dir);
    fs?.cleanup();
  });

  it('binds the group, runs QEMU, which cannot open the fake group, and gives the devices back', async () => {
    const c = client!;
    await c.call('vm.create', { name: VM, diskSize: '16Mi', accel: 'tcg', display: 'none', devices: [{ address: GPU }] });
    const err = await c.call('vm.start', { name: VM }).then(() => null, (e: unknown) => e as { code: string; message: string });
    expect(err?.message).toMatch(/did not start/);
    // QEMU's own words: it realized the vfio-pci device and reached for the group's node.
    expect(err?.message).toContain(`vfio ${GPU}: failed to open /dev/vfio/1`);
    const log = JSON.parse(readFileSync(join(fs!.root, TEST_WRITE_LOG), 'utf8')) as string[];
    expect(log).toEqual([...bindLog([GPU, GPU_AUDIO]), ...restoreLog([GPU, GPU_AUDIO])]);
    const tree = new FakeSysfs({ existing: fs!.root });
    expect([tree.driverOf(GPU), tree.driverOf(GPU_AUDIO), tree.driverOf(ROOT_PORT)]).toEqual(['nvidia', 'snd_hda_intel', 'pcieport']);
    expect(await c.call('device.bindingList', {})).toEqual({ bindings: [], broken: [] });
    expect((await c.call('vm.get', { name: VM })).state).toBe('stopped');
  });

  it('vm.showCommand prints the command line a start runs, with the group and memlock, changing nothing; vm.update adds and removes devices', async () => {
    const c = client!;
    const shown = await c.call('vm.showCommand', { name: VM });
    const def = (await c.call('vm.get', { name: VM })).definition;
    const sysfs = join(fs!.root, 'sys', 'bus', 'pci', 'devices');
    const memlock = (def.memoryMiB + 1024) * 1024 * 1024;
    expect(shown.argv.slice(0, 3)).toEqual(['prlimit', `--memlock=${memlock}:${memlock}`, '--']);
    expect(shown.argv.filter((a) => a.startsWith('vfio-pci,'))).toEqual([
      `vfio-pci,sysfsdev=${sysfs}/${GPU},id=hostpci0f0,bus=vfio-rp0,addr=00.0,multifunction=on${def.firmware === 'bios' ? ',x-vga=on' : ''}`,
      `vfio-pci,sysfsdev=${sysfs}/${GPU_AUDIO},id=hostpci0f1,bus=vfio-rp0,addr=00.1`,
    ]);
    expect(shown.argv).toContain(`guest=${VM},process=nova-vm-${VM},debug-threads=on`);
    const log = JSON.parse(readFileSync(join(fs!.root, TEST_WRITE_LOG), 'utf8')) as string[];
    expect(log).toEqual([...bindLog([GPU, GPU_AUDIO]), ...restoreLog([GPU, GPU_AUDIO])]);
    const removed = await c.call('vm.update', { name: VM, devices: [{ op: 'pci.remove', address: GPU }] });
    expect(removed.definition.devices).toBeUndefined();
    expect((await c.call('vm.showCommand', { name: VM })).argv.some((a) => a.startsWith('vfio-pci'))).toBe(false);
    const added = await c.call('vm.update', { name: VM, devices: [{ op: 'pci.add', device: { address: GPU, policy: 'keep' } }] });
    expect(added.definition.devices).toEqual([{ address: GPU, policy: 'keep' }]);
  });
});
