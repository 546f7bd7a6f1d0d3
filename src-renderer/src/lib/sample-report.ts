// A small but complete HostReport for unit tests of the stores and report views.
import type { HostCheckItem, HostReport } from '../../../src-shared/index.js';

function item(partial: Partial<HostCheckItem> & Pick<HostCheckItem, 'id' | 'group' | 'status'>): HostCheckItem {
  return { label: partial.id, summary: `${partial.id} summary`, evidence: [], remedy: null, ...partial };
}

export function sampleReport(overrides: Partial<HostReport> = {}): HostReport {
  return {
    hostname: 'testhost',
    generatedAt: '2025-01-01T10:00:00.000Z',
    durationMs: 2500,
    cached: false,
    accelerator: 'tcg',
    ociRuntime: 'runc',
    items: [
      item({ id: 'desktop.session', group: 'desktop', status: 'warn' }),
      item({ id: 'cpu.flags', group: 'hardware', status: 'ok', label: 'CPU flags' }),
      item({ id: 'qemu', group: 'virtualization', status: 'ok', label: 'QEMU' }),
      item({
        id: 'kvm.usable',
        group: 'virtualization',
        status: 'warn',
        label: 'KVM',
        summary: 'nested KVM hangs stock kernels; using TCG',
        evidence: ['/dev/kvm present'],
        remedy: 'Run on bare metal',
      }),
      item({ id: 'iommu', group: 'devices', status: 'fail' }),
    ],
    ...overrides,
  };
}
