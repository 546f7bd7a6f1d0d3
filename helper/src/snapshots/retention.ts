// Which snapshots a guest's retention rules keep, as a pure function of the snapshots and
// the policy: the scheduler prunes with it after each scheduled snapshot, and
// `nova snapshot prune` shows its reasons. Only scheduled snapshots are ever candidates.
// The keep_* counts work as restic's and zfs-auto-snapshot's do: keep_hourly N keeps the
// newest snapshot of each of the N most recent hours that have one, and so on per day,
// week (Monday first) and month, in local time, as schedules are written; max_total then
// drops the oldest of those beyond it.
import type { SnapshotRetention } from '../../../src-shared/snapshot-policy.js';

export interface SnapshotFacts {
  name: string;
  createdAt: Date;
  scheduled: boolean;
  keepForever: boolean;
  /** VM snapshot trees: the snapshot this one was taken on top of; capsules have none. */
  parent: string | null;
}

export interface RetentionDecision {
  snapshot: string;
  reason: string;
}

export interface RetentionPlan {
  keep: RetentionDecision[];
  remove: RetentionDecision[];
}

type Period = 'hourly' | 'daily' | 'weekly' | 'monthly';
const PERIODS: readonly Period[] = ['hourly', 'daily', 'weekly', 'monthly'];

const pad = (n: number) => String(n).padStart(2, '0');
const dayKey = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** The period a snapshot falls in, as a readable key ("2026-12-06 14:00", "week of 2026-11-30"). */
export function periodKey(period: Period, d: Date): string {
  switch (period) {
    case 'hourly':
      return `${dayKey(d)} ${pad(d.getHours())}:00`;
    case 'daily':
      return dayKey(d);
    case 'weekly': {
      const monday = new Date(d.getFullYear(), d.getMonth(), d.getDate() - ((d.getDay() + 6) % 7));
      return `week of ${dayKey(monday)}`;
    }
    case 'monthly':
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
  }
}

export function planRetention(snapshots: readonly SnapshotFacts[], keep: SnapshotRetention, keepForeverNames: readonly string[] = []): RetentionPlan {
  const kept = new Map<string, string>();
  const forever = new Set(keepForeverNames);
  const candidates: SnapshotFacts[] = [];
  for (const s of snapshots) {
    if (s.keepForever || forever.has(s.name)) kept.set(s.name, 'keep forever');
    else if (!s.scheduled) kept.set(s.name, 'taken by hand (only scheduled snapshots are pruned)');
    else candidates.push(s);
  }
  const newestFirst = [...candidates].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.name.localeCompare(a.name));

  const byRule = new Map<string, string[]>();
  const counted = PERIODS.filter((p) => keep[p] !== undefined);
  if (counted.length === 0) {
    // Without counts nothing says a snapshot may go: only max_total (if set) limits them.
    for (const s of newestFirst) byRule.set(s.name, ['no keep_* count is set']);
  }
  for (const period of counted) {
    const limit = keep[period] ?? 0;
    const seen = new Set<string>();
    for (const s of newestFirst) {
      if (seen.size >= limit) break;
      const key = periodKey(period, s.createdAt);
      if (seen.has(key)) continue;
      seen.add(key);
      byRule.set(s.name, [...(byRule.get(s.name) ?? []), `keep_${period} ${limit} (${key})`]);
    }
  }

  const remove = new Map<string, string>();
  let total = 0;
  for (const s of newestFirst) {
    const reasons = byRule.get(s.name);
    if (!reasons) {
      remove.set(s.name, `not kept by ${counted.map((p) => `keep_${p} ${keep[p]}`).join(', ')}`);
    } else if (keep.maxTotal !== undefined && total >= keep.maxTotal) {
      remove.set(s.name, `max_total ${keep.maxTotal}: ${keep.maxTotal} newer scheduled snapshots are kept`);
    } else {
      total += 1;
      kept.set(s.name, reasons.join('; '));
    }
  }

  // A snapshot another kept one was taken on top of stays (VM trees); one level, so a chain
  // of scheduled snapshots, each the parent of the next, can still be pruned.
  const keptOnOwn = new Set(kept.keys());
  for (const s of snapshots) {
    if (!keptOnOwn.has(s.name) || s.parent === null || !remove.has(s.parent)) continue;
    remove.delete(s.parent);
    kept.set(s.parent, `parent of kept snapshot ${s.name}`);
  }

  const order = (names: Map<string, string>) =>
    snapshots.filter((s) => names.has(s.name)).map((s) => ({ snapshot: s.name, reason: names.get(s.name) ?? '' }));
  return { keep: order(kept), remove: order(remove) };
}
