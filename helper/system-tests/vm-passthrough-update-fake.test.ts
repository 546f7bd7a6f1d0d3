// vm.update of a VM's passed devices through a real helper on a fake device host
// (NOVA_TEST_DEVICE_ROOT): on a running VM (real QEMU under TCG) a PCI device, a mediated
// device, Looking Glass and single-GPU mode wait for the next start, said as pending
// changes, while a USB device is hot-plugged at once; vm.showCommand shows the command
// line that next start runs. Passing the boot GPU without single-GPU mode is refused at
// start before any sysfs write, and the VM stays stopped.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { TEST_WRITE_LOG } from '../src/devices/test-device-host.js';
import { vmMdevUuid } from '../src/devices/vm-mdevs.js';
import { FakeSysfs, GPU, gpuWithAudio, hostGpu } from '../src/devices/testing/fake-sysfs.js';
import { makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const isRoot = process.getuid?.() === 0;
const VM = 'nv6d-passvm';
const BOOT_GPU = '0000:03:00.0';
const IGPU = '0000:00:02.0';
let dir = '';
let fs: FakeSysfs | null = null;
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;

const writes = () => (existsSync(join(fs!.root, TEST_WRITE_LOG)) ? (JSON.parse(readFileSync(join(fs!.root, TEST_WRITE_LOG), 'utf8')) as string[]) : []);

describe.skipIf(!isRoot)('vm.update of passed devices on a fake device host', () => {
  beforeAll(async () => {
    dir = await makeTestDir('nv6d-vfio');
    fs = hostGpu(gpuWithAudio(new FakeSysfs({ prefix: 'nv6d-sysfs-' }).withIommu().vfioModule())).driver('vfio-pci').driver('amdgpu');
    helper = await startHelper(dir, { extraArgs: ['--allowed-root', dir], env: { NOVA_TEST_HOOKS: '1', NOVA_TEST_DEVICE_ROOT: fs.root } });
    client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
    client.start();
    await client.waitForConnection();
  });

  afterAll(async () => {
    await client?.call('vm.stop', { name: VM, force: true }).catch(() => undefined);
    client?.close();
    await helper?.stop();
    if (dir) await removeTestDir(dir);
    fs?.cleanup();
  });

  it('keeps PCI, mdev, Looking Glass and single-GPU changes of a running VM for its next start, and hot-plugs USB now', async () => {
    const c = client!;
    await c.call('vm.create', { name: VM, diskSize: '16Mi', memory: '256Mi', accel: 'tcg', display: 'none' });
    expect((await c.call('vm.start', { name: VM })).state).toBe('running');
    const updated = await c.call('vm.update', {
      name: VM,
      singleGpu: true,
      devices: [
        { op: 'pci.add', device: { address: GPU } },
        { op: 'mdev.add', mdev: { parent: IGPU, type: 'i915-GVTg_V5_4' } },
        { op: 'lookingGlass.set', resolution: '1920x1080' },
        { op: 'usb.add', device: 'usb:tablet' },
      ],
    });
    expect(updated.pendingChanges).toEqual([
      `PCI devices none -> ${GPU}`,
      `mediated devices none -> mdev:${IGPU}:i915-GVTg_V5_4`,
      'Looking Glass off -> 1920x1080',
      'single-GPU mode off -> on',
    ]);
    // USB went to QEMU now: its monitor has the device.
    expect((await c.call('vm.usbList', { name: VM })).devices).toMatchObject([{ device: 'usb:tablet', qemuId: 'usb-tablet', plugged: true }]);
    // Nothing touched the host's devices: they are bound only at a start.
    expect(writes()).toEqual([]);

    const argv = (await c.call('vm.showCommand', { name: VM })).argv;
    const sys = join(fs!.root, 'sys');
    expect(argv.filter((a) => a.startsWith('vfio-pci,'))).toEqual([
      `vfio-pci,sysfsdev=${sys}/bus/pci/devices/${GPU},id=hostpci0f0,bus=vfio-rp0,addr=00.0,multifunction=on,x-vga=on`,
      `vfio-pci,sysfsdev=${sys}/bus/pci/devices/${GPU.replace(/0$/, '1')},id=hostpci0f1,bus=vfio-rp0,addr=00.1`,
      `vfio-pci,sysfsdev=${sys}/bus/mdev/devices/${vmMdevUuid(VM, 0)},id=mdev0`,
    ]);
    expect(argv).toContain(`memory-backend-file,id=looking-glass,share=on,mem-path=/dev/shm/nova-looking-glass-${VM},size=32M`);
    expect(argv).toContain('usb-tablet,id=usb-tablet,bus=usb-xhci.0');

    // Taken back while it runs: USB leaves QEMU at once, the rest is no longer pending.
    const back = await c.call('vm.update', {
      name: VM,
      singleGpu: false,
      devices: [
        { op: 'pci.remove', address: GPU },
        { op: 'mdev.remove', mdev: { parent: '00:02.0', type: 'i915-GVTg_V5_4' } },
        { op: 'lookingGlass.set', resolution: null },
        { op: 'usb.remove', device: 'usb:tablet' },
      ],
    });
    expect(back.pendingChanges).toEqual([]);
    expect((await c.call('vm.usbList', { name: VM })).devices).toEqual([]);
    await c.call('vm.stop', { name: VM, force: true });
  });

  it('refuses to start with the boot GPU before any write unless the VM is in single-GPU mode', async () => {
    const c = client!;
    await c.call('vm.update', { name: VM, devices: [{ op: 'pci.add', device: { address: BOOT_GPU } }] });
    const err = await c.call('vm.start', { name: VM }).then(() => null, (e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'failed_precondition' });
    expect(err?.message).toContain(`VM ${VM} passes ${BOOT_GPU}, and it is the boot GPU the host display runs on`);
    expect(err?.message).toContain(`nova vm set ${VM} --single-gpu`);
    expect(writes()).toEqual([]);
    expect(new FakeSysfs({ existing: fs!.root }).driverOf(BOOT_GPU)).toBe('amdgpu');
    expect((await c.call('vm.get', { name: VM })).state).toBe('stopped');
    expect(await c.call('device.bindingList', {})).toEqual({ bindings: [], broken: [] });
  });
});
