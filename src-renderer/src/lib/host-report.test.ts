import { describe, expect, it } from 'vitest';
import { countStatuses, describeCounts, findKvmItem, groupReport } from './host-report.js';
import { sampleReport } from './sample-report.js';

describe('host report views', () => {
  it('groups items in the contract order and leaves out empty groups', () => {
    const groups = groupReport(sampleReport());
    expect(groups.map((g) => g.group)).toEqual(['hardware', 'virtualization', 'devices', 'desktop']);
    expect(groups[1]?.items.map((i) => i.id)).toEqual(['qemu', 'kvm.usable']);
    expect(groups[1]?.counts).toEqual({ ok: 1, warn: 1, fail: 0 });
  });

  it('describes counts without zeros', () => {
    expect(describeCounts(countStatuses(sampleReport().items))).toBe('2 OK · 2 warnings · 1 failed');
    expect(describeCounts({ ok: 0, warn: 1, fail: 0 })).toBe('1 warning');
    expect(describeCounts({ ok: 0, warn: 0, fail: 0 })).toBe('no checks');
  });

  it('finds the KVM item by id or label', () => {
    expect(findKvmItem(sampleReport())?.id).toBe('kvm.usable');
    expect(findKvmItem(sampleReport({ items: [] }))).toBeNull();
  });
});
