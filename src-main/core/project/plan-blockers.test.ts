// GPU passthrough in a plan: named devices pass once the IOMMU is on, `true` passes when
// the host has one spare GPU and names the candidates when it has several, and without an
// IOMMU both say how to turn it on.
import { describe, expect, it } from 'vitest';
import type { PciDevice } from '../../../src-shared/device.js';
import type { HostReport } from '../../../src-shared/host.js';
import type { NovaFileConfig } from '../novafile/novafile-config.js';
import { findBlockers } from './plan-blockers.js';

function config(gpuPassthrough: NovaFileConfig['vms'][number]['gpuPassthrough']): NovaFileConfig {
  return { vms: [{ name: 'nv10b-win', gpuPassthrough, dependsOn: [] }], networks: [] } as unknown as NovaFileConfig;
}

function host(iommu: 'ok' | 'fail'): HostReport {
  const item = { id: 'iommu', status: iommu, summary: iommu === 'ok' ? 'active' : 'no IOMMU groups', remedy: iommu === 'ok' ? null : 'enable VT-d' };
  return { items: [item], accelerator: 'tcg' } as unknown as HostReport;
}

const facts = (report: HostReport, pci: PciDevice[] = []) => ({ report, pci, exists: async () => true });

const gpu = (address: string, group: number): PciDevice =>
  ({ address, classCode: '030000', vendorName: 'NVIDIA Corporation', deviceName: null, physfn: null, bootVga: false, iommuGroup: group, groupMembers: [] }) as unknown as PciDevice;

describe('GPU passthrough blockers', () => {
  it('lets named devices through when the IOMMU is on', async () => {
    expect(await findBlockers(config({ kind: 'devices', addresses: ['0000:01:00.0'] }), facts(host('ok')))).toEqual([]);
  });

  it('lets gpu_passthrough = true through when one spare GPU qualifies', async () => {
    expect(await findBlockers(config({ kind: 'auto' }), facts(host('ok'), [gpu('0000:01:00.0', 1)]))).toEqual([]);
  });

  it('asks to name the GPU for gpu_passthrough = true when several qualify, naming them', async () => {
    const [b] = await findBlockers(config({ kind: 'auto' }), facts(host('ok'), [gpu('0000:01:00.0', 1), gpu('0000:05:00.0', 5)]));
    expect(b).toMatchObject({
      key: 'vm.nv10b-win.gpu_passthrough',
      reason: '2 GPUs could be passed through: 0000:01:00.0 (NVIDIA Corporation), 0000:05:00.0 (NVIDIA Corporation)',
      remedy: 'name the one to pass: gpu_passthrough = ["0000:01:00.0"]',
    });
  });

  it('says how to turn the IOMMU on when it is off', async () => {
    const [b] = await findBlockers(config({ kind: 'devices', addresses: ['0000:01:00.0'] }), facts(host('fail')));
    expect(b).toMatchObject({ reason: 'GPU passthrough needs an IOMMU: no IOMMU groups', remedy: 'enable VT-d' });
  });
});
