import { afterEach, describe, expect, it } from 'vitest';
import type { DevicePreflight, PreflightItem } from '../../../src-shared/device.js';
import { isNovaError } from '../../../src-shared/errors.js';
import { DeviceInventoryService } from './device-inventory.js';
import { FakeSysfs, GPU, GPU_AUDIO, ROOT_PORT, gpuWithAudio, hostGpu } from './testing/fake-sysfs.js';

let fs: FakeSysfs;
afterEach(() => fs?.cleanup());

function service(f: FakeSysfs, isRoot = true): DeviceInventoryService {
  return new DeviceInventoryService({ roots: f.roots(), isRoot, now: () => new Date('2026-01-01T00:00:00Z') });
}

function itemOf(pre: DevicePreflight, id: string): PreflightItem {
  const found = pre.items.find((i) => i.id === id);
  if (!found) throw new Error(`no item ${id} in ${pre.items.map((i) => i.id).join(', ')}`);
  return found;
}

/** A ready host: Intel CPU, IOMMU with interrupt remapping, vfio-pci module, OVMF. */
function readyHost(): FakeSysfs {
  return new FakeSysfs().withIommu().vfioModule().ovmf().file('dev/kvm', '');
}

describe('inventory', () => {
  it('lists a GPU with its audio function, names, driver, group and members, behind its root port', async () => {
    fs = hostGpu(gpuWithAudio(readyHost()));
    const inv = await service(fs).list(false);
    expect(inv.iommuActive).toBe(true);
    expect(inv.pci.map((d) => d.address)).toEqual([ROOT_PORT, GPU, GPU_AUDIO, '0000:03:00.0']);
    const gpu = inv.pci.find((d) => d.address === GPU)!;
    expect(gpu).toMatchObject({
      classCode: '030000',
      className: 'VGA compatible controller',
      vendorId: '10de',
      deviceId: '2684',
      vendorName: 'NVIDIA Corporation',
      deviceName: 'AD102 [GeForce RTX 4090]',
      subsystemName: 'ROG Strix RTX 4090',
      driver: 'nvidia',
      driverOverride: null,
      iommuGroup: 1,
      resetMethods: ['flr', 'bus'],
      bootVga: false,
      numaNode: null,
      sriov: null,
      physfn: null,
      nodes: ['/dev/dri/card1', '/dev/dri/renderD128'],
      users: [],
      readiness: 'ready',
    });
    expect(gpu.groupMembers.map((m) => [m.address, m.driver, m.bridge])).toEqual([
      [ROOT_PORT, 'pcieport', true],
      [GPU, 'nvidia', false],
      [GPU_AUDIO, 'snd_hda_intel', false],
    ]);
    expect(inv.pci.find((d) => d.address === ROOT_PORT)!.readiness).toBe('bridge');
    expect(inv.pci.find((d) => d.address === ROOT_PORT)).not.toHaveProperty('hasRom');
    expect(inv.pci.find((d) => d.address === GPU_AUDIO)!).toMatchObject({ className: 'Audio device', bootVga: null });
  });

  it('keeps its answer until asked to refresh', async () => {
    fs = gpuWithAudio(readyHost());
    const svc = service(fs);
    expect((await svc.list(false)).pci).toHaveLength(3);
    hostGpu(fs);
    expect((await svc.list(false)).pci).toHaveLength(3);
    expect((await svc.list(true)).pci).toHaveLength(4);
  });

  it('lists USB devices with usb.ids names, not their interfaces', async () => {
    fs = readyHost().usb({ port: '1-1', bus: 1, address: 3, vendor: 0x046d, product: 0xc52b, productString: 'USB Receiver' });
    const inv = await service(fs).list(false);
    expect(inv.usb).toEqual([
      { port: '1-1', bus: 1, address: 3, vendorId: '046d', productId: 'c52b', vendorName: 'Logitech, Inc.', productName: 'Unifying Receiver', manufacturer: null, product: 'USB Receiver' },
    ]);
  });

  it('shows an SR-IOV physical function with its VFs, each VF pointing back at it in a group of its own', async () => {
    fs = readyHost()
      .pci({ address: '0000:02:00.0', vendor: 0x8086, device: 0x1521, classCode: 0x020000, driver: 'igb', group: 5, sriov: { total: 7, vfs: ['0000:02:10.0', '0000:02:10.4'] } })
      .pci({ address: '0000:02:10.0', vendor: 0x8086, device: 0x1520, classCode: 0x020000, driver: null, group: 6, physfn: '0000:02:00.0' })
      .pci({ address: '0000:02:10.4', vendor: 0x8086, device: 0x1520, classCode: 0x020000, driver: null, group: 7, physfn: '0000:02:00.0' });
    const inv = await service(fs).list(false);
    const pf = inv.pci.find((d) => d.address === '0000:02:00.0')!;
    expect(pf.sriov).toEqual({ totalVfs: 7, numVfs: 2, vfs: ['0000:02:10.0', '0000:02:10.4'] });
    expect(inv.pci.find((d) => d.address === '0000:02:10.4')!).toMatchObject({ physfn: '0000:02:00.0', iommuGroup: 7, driver: null, deviceName: 'I350 Ethernet Controller Virtual Function' });
    const pre = await service(fs).check('0000:02:00.0');
    expect(itemOf(pre, 'kind')).toMatchObject({ verdict: 'pass', summary: expect.stringContaining('up to 7 virtual functions (2 enabled)') });
  });

  it('lists mediated device types', async () => {
    fs = readyHost().pci({ address: '0000:00:02.0', vendor: 0x8086, device: 0x15f3, classCode: 0x030000, driver: 'i915', group: 0, mdevTypes: [{ id: 'i915-GVTg_V5_4', name: 'GVTg_V5_4', available: 2 }] });
    const [d] = (await service(fs).list(false)).pci;
    expect(d!.mdevTypes).toEqual([{ id: 'i915-GVTg_V5_4', name: 'GVTg_V5_4', description: 'fake', availableInstances: 2 }]);
  });

  it('refuses an address that is on no device', async () => {
    fs = readyHost();
    const err = await service(fs).get('0000:09:00.0').catch((e: unknown) => e);
    expect(isNovaError(err, 'not_found')).toBe(true);
    expect((err as Error).message).toContain('No PCI device 0000:09:00.0');
  });
});

describe('preflight', () => {
  it('passes a clean GPU+audio group on a ready host, with evidence on every item', async () => {
    fs = hostGpu(gpuWithAudio(readyHost()));
    const pre = await service(fs).check(GPU, 16384);
    expect(pre.verdict).toBe('pass');
    expect(pre.items.map((i) => [i.id, i.verdict])).toEqual([
      ['iommu', 'pass'], ['group', 'pass'], ['boot-vga', 'pass'], ['host-gpu', 'pass'], ['users', 'pass'], ['reset', 'pass'], ['rom', 'pass'],
      ['kvm', 'pass'], ['irq-remap', 'pass'], ['vfio', 'pass'], ['memory', 'pass'], ['firmware', 'pass'],
    ]);
    expect(itemOf(pre, 'group').summary).toBe('Viable: group 1 is this card alone (2 functions go together)');
    expect(itemOf(pre, 'group').evidence).toContain(`bridges and ports, left on the host: ${ROOT_PORT}`);
    expect(itemOf(pre, 'host-gpu').summary).toBe('The host keeps 0000:03:00.0');
    expect(itemOf(pre, 'vfio').evidence[1]).toBe('/lib/modules/6.1.0-nv10-amd64: kernel/drivers/vfio/pci/vfio-pci.ko');
    expect(pre.items.every((i) => i.evidence.length > 0 && (i.verdict === 'pass') === (i.fix === null))).toBe(true);
  });

  it('blocks a GPU whose group holds a foreign NIC, naming it', async () => {
    fs = hostGpu(gpuWithAudio(readyHost())).pci({ address: '0000:00:1f.6', vendor: 0x8086, device: 0x15f3, classCode: 0x020000, driver: 'igc', group: 1 });
    const pre = await service(fs).check(GPU);
    const group = itemOf(pre, 'group');
    expect(pre.verdict).toBe('block');
    expect(group.verdict).toBe('block');
    expect(group.summary).toBe('Group 1 also holds 0000:00:1f.6 (Ethernet Controller I225-V, Ethernet controller; driver igc): the whole group would leave the host');
    expect(group.fix).toContain('another slot');
    expect((await service(fs).get(GPU)).readiness).toBe('blocked');
  });

  it('lets a group mate on pci-stub through with a warning', async () => {
    fs = hostGpu(gpuWithAudio(readyHost())).pci({ address: '0000:00:1f.2', vendor: 0x8086, device: 0x2922, classCode: 0x010601, driver: 'pci-stub', group: 1 });
    expect(itemOf(await service(fs).check(GPU), 'group')).toMatchObject({ verdict: 'warn', summary: expect.stringContaining('0000:00:1f.2') });
  });

  it('blocks the boot VGA of a single-GPU host and warns that no GPU is left', async () => {
    fs = gpuWithAudio(readyHost(), { bootVga: true });
    const pre = await service(fs).check(GPU);
    expect(itemOf(pre, 'boot-vga')).toMatchObject({ verdict: 'block', evidence: [`${GPU}/boot_vga: 1`], fix: expect.stringContaining('single-GPU mode') });
    expect(itemOf(pre, 'host-gpu')).toMatchObject({ verdict: 'warn', summary: expect.stringContaining('No other GPU') });
  });

  it('without an IOMMU: blocks with the boot parameter for this CPU vendor', async () => {
    fs = gpuWithAudio(new FakeSysfs().cpu('AuthenticAMD').vfioModule(), { group: null });
    const inv = await service(fs).list(false);
    expect(inv.iommuActive).toBe(false);
    expect(inv.pci.every((d) => d.iommuGroup === null && d.groupMembers.length === 0)).toBe(true);
    const pre = await service(fs).check(GPU);
    expect(itemOf(pre, 'iommu')).toMatchObject({
      verdict: 'block',
      summary: 'Not active: no device can be passed through',
      fix: 'Enable AMD-Vi (IOMMU) and SVM in the firmware setup and boot with amd_iommu=on iommu=pt',
    });
    expect(itemOf(pre, 'iommu').evidence).toContain('/sys/kernel/iommu_groups: 0 groups');
    expect(itemOf(pre, 'irq-remap').verdict).toBe('warn');
  });

  it('names the command-line option that switched the IOMMU off (Intel)', async () => {
    fs = gpuWithAudio(new FakeSysfs().file('proc/cmdline', 'ro quiet intel_iommu=off\n'), { group: null });
    expect(itemOf(await service(fs).check(GPU), 'iommu')).toMatchObject({
      summary: 'Switched off on the kernel command line (intel_iommu=off)',
      fix: 'Remove intel_iommu=off; Enable VT-d in the firmware setup and boot with intel_iommu=on iommu=pt',
    });
  });

  it('blocks a GPU in use, naming the process holding its render node', async () => {
    fs = hostGpu(gpuWithAudio(readyHost())).process(4242, 'Xorg', ['/dev/dri/renderD128', '/dev/dri/card1']).process(77, 'bash', ['/dev/dri/renderD129']);
    const gpu = await service(fs).get(GPU);
    expect(gpu.users).toEqual([
      { pid: 4242, name: 'Xorg', node: '/dev/dri/card1' },
      { pid: 4242, name: 'Xorg', node: '/dev/dri/renderD128' },
    ]);
    const users = itemOf(await service(fs).check(GPU), 'users');
    expect(users).toMatchObject({ verdict: 'block', summary: 'In use by Xorg (pid 4242): unbinding it now would hang or freeze the host', fix: 'Close Xorg (pid 4242), or stop the desktop session that uses this GPU' });
  });

  it('counts a holder of /dev/nvidiaN as a user of a GPU on NVIDIA\'s driver', async () => {
    fs = hostGpu(gpuWithAudio(readyHost(), { drm: [] }))
      .file(`proc/driver/nvidia/gpus/${GPU}/information`, 'Model: \t\t NVIDIA GeForce RTX 4090\nDevice Minor: \t 0\n')
      .process(900, 'nvidia-persiste', ['/dev/nvidia0', '/dev/nvidiactl']);
    const gpu = await service(fs).get(GPU);
    expect(gpu.nodes).toEqual(['/dev/nvidia0']);
    expect(gpu.users).toEqual([{ pid: 900, name: 'nvidia-persiste', node: '/dev/nvidia0' }]);
    expect(itemOf(await service(fs).check(GPU), 'users')).toMatchObject({ verdict: 'block', evidence: ['device nodes: /dev/nvidia0', '/proc/*/fd: 900 nvidia-persiste (/dev/nvidia0)'] });
  });

  it('warns about a device without reset', async () => {
    fs = hostGpu(gpuWithAudio(readyHost(), { reset: null }));
    const pre = await service(fs).check(GPU);
    expect(itemOf(pre, 'reset')).toMatchObject({ verdict: 'warn', evidence: [`${GPU}/reset_method: absent (and no reset file)`], summary: expect.stringContaining('once per host boot') });
    expect(pre.verdict).toBe('warn');
  });

  it('warns when only a bus reset exists and the bus has other devices; passes it on a bus of its own', async () => {
    fs = hostGpu(gpuWithAudio(readyHost(), { reset: ['bus'] }));
    expect(itemOf(await service(fs).check(GPU), 'reset')).toMatchObject({ verdict: 'pass', summary: 'Resettable (bus)' });
    fs.pci({ address: '0000:01:01.0', parent: ROOT_PORT, vendor: 0x8086, device: 0x15f3, classCode: 0x020000, driver: 'igc', group: 9 });
    const reset = itemOf(await service(fs).check(GPU), 'reset');
    expect(reset).toMatchObject({ verdict: 'warn', summary: 'Only a bus reset, and the bus has other devices: it resets them too' });
    expect(reset.evidence).toContain('other devices on bus 0000:01: 0000:01:01.0');
  });

  it('warns that a 3D controller is usually a laptop GPU without outputs', async () => {
    fs = hostGpu(readyHost().pci({ address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, classCode: 0x030200, driver: 'nouveau', group: 1 }));
    const pre = await service(fs).check(GPU);
    expect(itemOf(pre, 'kind')).toMatchObject({ verdict: 'warn', label: 'Kind of device', evidence: ['0000:01:00.0/class: 0x030200 (3D controller)'] });
    expect(itemOf(pre, 'boot-vga').summary).toBe('Not a VGA device: cannot be the console GPU');
  });

  it('blocks without vfio-pci, and without interrupt remapping', async () => {
    fs = hostGpu(gpuWithAudio(new FakeSysfs().withIommu('dmar0', false)));
    const pre = await service(fs).check(GPU);
    expect(itemOf(pre, 'vfio')).toMatchObject({ verdict: 'block', evidence: expect.arrayContaining(['/lib/modules/6.1.0-nv10-amd64: no module tree']) });
    expect(itemOf(pre, 'irq-remap')).toMatchObject({ verdict: 'block', fix: expect.stringContaining('allow_unsafe_interrupts=1') });
    expect(itemOf(pre, 'firmware')).toMatchObject({ verdict: 'warn', fix: 'apt install ovmf' });
  });

  it('weighs memlock against the guest memory: too much for the host blocks; a non-root helper with a low limit warns', async () => {
    fs = hostGpu(gpuWithAudio(readyHost()));
    expect(itemOf(await service(fs).check(GPU, 40000), 'memory')).toMatchObject({ verdict: 'block', summary: 'The VM would pin 41024 MiB but the host has 32000 MiB' });
    const low = itemOf(await service(fs, false).check(GPU, 8192), 'memory');
    expect(low).toMatchObject({ verdict: 'warn', fix: expect.stringContaining('LimitMEMLOCK=infinity') });
    expect(low.evidence).toContain('/proc/self/limits Max locked memory: soft 8 MiB, hard 8 MiB');
    fs.file('etc/systemd/system/nova-helper.service', '[Service]\nLimitMEMLOCK=infinity\n');
    fs.file('proc/self/limits', 'Max locked memory         unlimited            unlimited            bytes\n');
    const unlimited = itemOf(await service(fs, false).check(GPU, 8192), 'memory');
    expect(unlimited).toMatchObject({ verdict: 'pass' });
    expect(unlimited.evidence).toContain('nova-helper.service LimitMEMLOCK: infinity');
  });
});
