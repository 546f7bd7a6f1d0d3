import { describe, expect, it } from 'vitest';
import type { PciDevice } from '../../../src-shared/device.js';
import { chooseGpu } from './gpu-choice.js';

function pci(address: string, over: Partial<PciDevice> = {}): PciDevice {
  return {
    address, classCode: '030000', className: 'VGA compatible controller', vendorId: '10de', deviceId: '2684',
    vendorName: 'NVIDIA Corporation', deviceName: 'AD102 [GeForce RTX 4090]', subsystemVendorId: null, subsystemDeviceId: null,
    subsystemName: null, driver: 'nvidia', driverOverride: null, iommuGroup: 1,
    groupMembers: [{ address, classCode: '030000', className: null, name: null, driver: 'nvidia', bridge: false }],
    resetMethods: ['flr'], bootVga: false, numaNode: null, sriov: null, physfn: null, nodes: [], users: [], mdevTypes: [], readiness: 'ready', ...over,
  };
}

const bootGpu = pci('0000:03:00.0', { vendorName: 'Advanced Micro Devices, Inc. [AMD/ATI]', deviceName: 'Navi 21', bootVga: true, iommuGroup: 2, driver: 'amdgpu' });
const sata = { address: '0000:02:00.0', classCode: '010601', className: 'SATA controller', name: null, driver: 'ahci', bridge: false };
const rootPort = { address: '0000:00:01.0', classCode: '060400', className: 'PCI bridge', name: null, driver: 'pcieport', bridge: true };

describe('gpu_passthrough = true', () => {
  it('picks the spare GPU, never the boot GPU, whatever the order; its own audio function and root port do not count against it', () => {
    const gpu = pci('0000:01:00.0', {
      groupMembers: [rootPort, { address: '0000:01:00.0', classCode: '030000', className: null, name: null, driver: 'nvidia', bridge: false }, { address: '0000:01:00.1', classCode: '040300', className: null, name: null, driver: 'snd_hda_intel', bridge: false }],
    });
    const audio = pci('0000:01:00.1', { classCode: '040300' });
    expect(chooseGpu([bootGpu, gpu, audio])).toEqual({ ok: true, address: '0000:01:00.0' });
    expect(chooseGpu([gpu, bootGpu])).toEqual({ ok: true, address: '0000:01:00.0' });
  });

  it('takes the boot GPU only in single-GPU mode', () => {
    expect(chooseGpu([bootGpu], { singleGpu: true })).toEqual({ ok: true, address: '0000:03:00.0' });
    const refused = chooseGpu([bootGpu]);
    expect(refused).toEqual({
      ok: false,
      reason: 'no GPU can be passed through: 0000:03:00.0 (Advanced Micro Devices, Inc. [AMD/ATI] Navi 21): it is the boot GPU the host display runs on',
      remedy: expect.stringContaining('add a second GPU for the guest') as unknown as string,
    });
  });

  it('names every candidate when several qualify, and how to choose', () => {
    const a = pci('0000:01:00.0');
    const b = pci('0000:05:00.0', { deviceName: 'GP104 [GeForce GTX 1080]', iommuGroup: 5 });
    expect(chooseGpu([a, b, bootGpu])).toEqual({
      ok: false,
      reason: '2 GPUs could be passed through: 0000:01:00.0 (NVIDIA Corporation AD102 [GeForce RTX 4090]), 0000:05:00.0 (NVIDIA Corporation GP104 [GeForce GTX 1080])',
      remedy: 'name the one to pass: gpu_passthrough = ["0000:01:00.0"]',
    });
  });

  it('explains a GPU whose group holds a foreign device, or that is in no group, and a host with no GPU', () => {
    const shared = pci('0000:01:00.0', { groupMembers: [sata, { address: '0000:01:00.0', classCode: '030000', className: null, name: null, driver: 'nvidia', bridge: false }] });
    const r = chooseGpu([shared, bootGpu]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain('0000:01:00.0 (NVIDIA Corporation AD102 [GeForce RTX 4090]): its IOMMU group 1 also holds 0000:02:00.0');
      expect(r.reason).toContain('0000:03:00.0 (Advanced Micro Devices, Inc. [AMD/ATI] Navi 21): it is the boot GPU');
      expect(r.remedy).toContain('nova device check ADDR');
    }
    const ungrouped = chooseGpu([pci('0000:01:00.0', { iommuGroup: null, groupMembers: [] })]);
    expect(!ungrouped.ok && ungrouped.reason).toContain('it is in no IOMMU group');
    expect(chooseGpu([pci('0000:00:1f.3', { classCode: '040300' })])).toMatchObject({ ok: false, reason: 'this host has no GPU (no display-class PCI device)' });
  });

  it('never picks a virtual function', () => {
    expect(chooseGpu([pci('0000:06:10.0', { physfn: '0000:06:00.0' })])).toMatchObject({ ok: false, reason: expect.stringContaining('no GPU') as unknown as string });
  });
});
