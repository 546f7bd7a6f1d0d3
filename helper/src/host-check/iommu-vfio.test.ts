import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkIommuVfio, iommuCmdlineHints } from './iommu-vfio.js';
import { FakeHost } from './testing/fake-host.js';
import { CPUINFO_AMD_PVM_GUEST, CPUINFO_INTEL_VMX } from './testing/host-fixtures.js';

let host: FakeHost;
beforeEach(async () => {
  host = await FakeHost.create();
  await host.file('/proc/sys/kernel/osrelease', '6.1.0-28-amd64\n');
});
afterEach(async () => host.dispose());

async function items() {
  const [iommu, vfio] = await checkIommuVfio(host.env());
  if (!iommu || !vfio) throw new Error('missing items');
  return { iommu, vfio };
}

describe('IOMMU', () => {
  it('counts the IOMMU groups and quotes the kernel command line', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_INTEL_VMX);
    await host.file('/proc/cmdline', 'BOOT_IMAGE=/vmlinuz-6.1.0-28-amd64 root=UUID=abcd ro quiet intel_iommu=on iommu=pt\n');
    for (const g of ['0', '1', '2', '10', '11']) await host.dir(`/sys/kernel/iommu_groups/${g}/devices`);
    await host.dir('/sys/class/iommu/dmar0');
    await host.dir('/sys/class/iommu/dmar1');
    const { iommu } = await items();
    expect(iommu.status).toBe('ok');
    expect(iommu.summary).toBe('Enabled: 5 IOMMU groups');
    expect(iommu.evidence).toEqual([
      '/sys/kernel/iommu_groups: 5 groups',
      '/sys/class/iommu: dmar0, dmar1',
      'kernel command line: intel_iommu=on iommu=pt',
    ]);
  });

  it('warns without groups and suggests the boot parameter for the CPU vendor', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_AMD_PVM_GUEST);
    await host.file('/proc/cmdline', 'console=ttyS0 quiet\n');
    await host.dir('/sys/kernel/iommu_groups');
    const { iommu } = await items();
    expect(iommu.status).toBe('warn');
    expect(iommu.summary).toMatch(/PCI passthrough unavailable/);
    expect(iommu.evidence[0]).toBe('/sys/kernel/iommu_groups: 0 groups');
    expect(iommu.remedy).toMatch(/amd_iommu=on/);
  });

  it('points at an explicit intel_iommu=off', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_INTEL_VMX);
    await host.file('/proc/cmdline', 'ro intel_iommu=off\n');
    const { iommu } = await items();
    expect(iommu.summary).toMatch(/Disabled on the kernel command line \(intel_iommu=off\)/);
  });

  it('extracts only the IOMMU-related boot options', () => {
    expect(iommuCmdlineHints('ro quiet amd_iommu=on iommu=pt vfio-pci.ids=10de:1b80 splash')).toEqual([
      'amd_iommu=on',
      'iommu=pt',
      'vfio-pci.ids=10de:1b80',
    ]);
  });
});

describe('vfio-pci', () => {
  it('is ok when the driver is loaded and /dev/vfio/vfio exists', async () => {
    await host.dir('/sys/bus/pci/drivers/vfio-pci');
    await host.dir('/sys/module/vfio_pci');
    await host.file('/dev/vfio/vfio');
    await host.file('/dev/vfio/14');
    const { vfio } = await items();
    expect(vfio.status).toBe('ok');
    expect(vfio.summary).toBe('vfio-pci loaded, /dev/vfio present');
    expect(vfio.evidence).toContain('/dev/vfio: 14, vfio');
  });

  it('finds the module in /lib/modules when it is not loaded', async () => {
    await host.file('/lib/modules/6.1.0-28-amd64/kernel/drivers/vfio/pci/vfio-pci.ko.xz');
    await host.file('/lib/modules/6.1.0-28-amd64/modules.builtin', 'kernel/drivers/vfio/vfio.ko\n');
    const { vfio } = await items();
    expect(vfio.status).toBe('warn');
    expect(vfio.summary).toMatch(/available as a module, not loaded, but \/dev\/vfio\/vfio is missing/);
    expect(vfio.remedy).toMatch(/modprobe vfio-pci/);
  });

  it('knows a built-in vfio-pci', async () => {
    await host.file('/lib/modules/6.1.0-28-amd64/modules.builtin', 'kernel/drivers/vfio/vfio.ko\nkernel/drivers/vfio/pci/vfio-pci.ko\n');
    await host.file('/dev/vfio/vfio');
    const { vfio } = await items();
    expect(vfio.status).toBe('ok');
    expect(vfio.summary).toMatch(/built into the kernel/);
  });

  it('warns when vfio-pci is nowhere', async () => {
    const { vfio } = await items();
    expect(vfio.status).toBe('warn');
    expect(vfio.evidence.join('\n')).toMatch(/no module tree/);
  });
});
