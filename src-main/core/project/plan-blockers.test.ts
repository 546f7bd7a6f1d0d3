// GPU passthrough in a plan: named devices pass once the IOMMU is on, `true` is refused
// with the way to name one, and without an IOMMU both say how to turn it on.
import { describe, expect, it } from 'vitest';
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

const facts = (report: HostReport) => ({ report, exists: async () => true });

describe('GPU passthrough blockers', () => {
  it('lets named devices through when the IOMMU is on', async () => {
    expect(await findBlockers(config({ kind: 'devices', addresses: ['0000:01:00.0'] }), facts(host('ok')))).toEqual([]);
  });

  it('asks to name the GPU for gpu_passthrough = true', async () => {
    const [b] = await findBlockers(config({ kind: 'auto' }), facts(host('ok')));
    expect(b).toMatchObject({ key: 'vm.nv10b-win.gpu_passthrough', remedy: expect.stringContaining('gpu_passthrough = ["0000:01:00.0"]') });
  });

  it('says how to turn the IOMMU on when it is off', async () => {
    const [b] = await findBlockers(config({ kind: 'devices', addresses: ['0000:01:00.0'] }), facts(host('fail')));
    expect(b).toMatchObject({ reason: 'GPU passthrough needs an IOMMU: no IOMMU groups', remedy: 'enable VT-d' });
  });
});
