// Pure views of a HostReport for the Host page: items in the contract's group order
// with their counts, and the item that explains which accelerator VMs get.
import {
  HostCheckGroupSchema,
  type CheckStatus,
  type HostCheckGroup,
  type HostCheckItem,
  type HostReport,
} from '../../../src-shared/index.js';

export type StatusCounts = Record<CheckStatus, number>;

export interface ReportGroup {
  readonly group: HostCheckGroup;
  readonly title: string;
  readonly items: readonly HostCheckItem[];
  readonly counts: StatusCounts;
}

export const GROUP_TITLES: Record<HostCheckGroup, string> = {
  hardware: 'Hardware',
  virtualization: 'Virtualization',
  devices: 'Devices',
  containers: 'Containers',
  networking: 'Networking',
  desktop: 'Desktop',
};

export const STATUS_TEXT: Record<CheckStatus, string> = { ok: 'OK', warn: 'Warning', fail: 'Failed' };

export function countStatuses(items: readonly HostCheckItem[]): StatusCounts {
  const counts: StatusCounts = { ok: 0, warn: 0, fail: 0 };
  for (const item of items) counts[item.status] += 1;
  return counts;
}

/** "3 OK · 1 warning · 2 failed", leaving out zeros (but never empty). */
export function describeCounts(counts: StatusCounts): string {
  const parts: string[] = [];
  if (counts.ok) parts.push(`${counts.ok} OK`);
  if (counts.warn) parts.push(`${counts.warn} warning${counts.warn === 1 ? '' : 's'}`);
  if (counts.fail) parts.push(`${counts.fail} failed`);
  return parts.length ? parts.join(' · ') : 'no checks';
}

/** Groups in the contract's order; empty groups are left out. */
export function groupReport(report: HostReport): ReportGroup[] {
  return HostCheckGroupSchema.options.flatMap((group) => {
    const items = report.items.filter((item) => item.group === group);
    return items.length ? [{ group, title: GROUP_TITLES[group], items, counts: countStatuses(items) }] : [];
  });
}

/** The check that decides KVM versus TCG, to explain the accelerator in the header. */
export function findKvmItem(report: HostReport): HostCheckItem | null {
  const candidates = report.items.filter((item) => /\bkvm\b/i.test(`${item.id.replace(/[.-]/g, ' ')} ${item.label}`));
  return candidates.find((item) => item.group === 'virtualization') ?? candidates[0] ?? null;
}
