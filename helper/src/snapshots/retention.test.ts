// Retention on a simulated clock: a week of hourly snapshots pruned to exactly what the
// rules keep, max_total, and the snapshots never pruned (by hand, keep forever, parents).
import { describe, expect, it } from 'vitest';
import { planRetention, type SnapshotFacts } from './retention.js';

/** Local time, as schedules and retention periods are. */
const at = (day: number, hour: number) => new Date(2026, 10, 30 + day, hour, 0);
const nameOf = (d: Date) => `auto-${d.getMonth() + 1}-${d.getDate()}-${String(d.getHours()).padStart(2, '0')}`;

/** Monday 2026-11-30 00:00 to Sunday 2026-12-06 23:00, one an hour: 168 snapshots. */
function weekOfHourly(): SnapshotFacts[] {
  const out: SnapshotFacts[] = [];
  for (let day = 0; day < 7; day++) {
    for (let hour = 0; hour < 24; hour++) out.push({ name: nameOf(at(day, hour)), createdAt: at(day, hour), scheduled: true, keepForever: false, parent: null });
  }
  return out;
}

describe('planRetention', () => {
  it('prunes a week of hourly snapshots to the last 24 hours and the last of each of 7 days', () => {
    const week = weekOfHourly();
    const plan = planRetention(week, { hourly: 24, daily: 7 });
    const expected = [
      // The last snapshot of each earlier day (keep_daily 7)...
      'auto-11-30-23', 'auto-12-1-23', 'auto-12-2-23', 'auto-12-3-23', 'auto-12-4-23', 'auto-12-5-23',
      // ...and every hour of Sunday (keep_hourly 24; its 23:00 is Sunday's daily too).
      ...Array.from({ length: 24 }, (_, h) => `auto-12-6-${String(h).padStart(2, '0')}`),
    ];
    expect(plan.keep.map((k) => k.snapshot)).toEqual(expected);
    expect(plan.remove).toHaveLength(168 - 30);
    expect(plan.keep.find((k) => k.snapshot === 'auto-12-6-23')?.reason).toBe('keep_hourly 24 (2026-12-06 23:00); keep_daily 7 (2026-12-06)');
    expect(plan.keep.find((k) => k.snapshot === 'auto-12-2-23')?.reason).toBe('keep_daily 7 (2026-12-02)');
    expect(plan.remove.find((r) => r.snapshot === 'auto-12-5-22')?.reason).toBe('not kept by keep_hourly 24, keep_daily 7');
  });

  it('keeps weekly and monthly by the newest of each week (Monday first) and month', () => {
    const snaps: SnapshotFacts[] = [at(-1, 12), at(0, 1), at(0, 2), at(6, 5)].map((d) => ({ name: nameOf(d), createdAt: d, scheduled: true, keepForever: false, parent: null }));
    expect(planRetention(snaps, { weekly: 2 }).keep.map((k) => k.snapshot)).toEqual(['auto-11-29-12', 'auto-12-6-05']);
    expect(planRetention(snaps, { monthly: 1 }).keep.map((k) => k.snapshot)).toEqual(['auto-12-6-05']);
  });

  it('caps the scheduled snapshots it keeps at max_total, dropping the oldest', () => {
    const plan = planRetention(weekOfHourly(), { hourly: 24, daily: 7, maxTotal: 10 });
    expect(plan.keep.map((k) => k.snapshot)).toEqual(Array.from({ length: 10 }, (_, i) => `auto-12-6-${String(14 + i).padStart(2, '0')}`));
    expect(plan.remove.find((r) => r.snapshot === 'auto-12-6-13')?.reason).toBe('max_total 10: 10 newer scheduled snapshots are kept');
  });

  it('with max_total alone keeps the newest that many; with no rule at all, every one', () => {
    expect(planRetention(weekOfHourly(), { maxTotal: 3 }).keep.map((k) => k.snapshot)).toEqual(['auto-12-6-21', 'auto-12-6-22', 'auto-12-6-23']);
    expect(planRetention(weekOfHourly(), {}).remove).toEqual([]);
  });

  it('never prunes a snapshot taken by hand, a keep-forever one (flag or policy name), or the parent of a kept one', () => {
    const s = (name: string, hour: number, extra: Partial<SnapshotFacts> = {}): SnapshotFacts => ({ name, createdAt: at(0, hour), scheduled: true, keepForever: false, parent: null, ...extra });
    const tree = [
      s('auto-a', 1),
      s('auto-b', 2, { parent: 'auto-a' }),
      s('by-hand', 3, { scheduled: false, parent: 'auto-b' }),
      s('auto-c', 4, { parent: 'by-hand' }),
      s('pinned', 5, { keepForever: true, parent: 'auto-c' }),
      s('auto-d', 6, { parent: 'pinned' }),
      s('baseline', 7, { parent: 'auto-d' }),
      s('auto-e', 8, { parent: 'baseline' }),
      s('auto-f', 9, { parent: 'auto-e' }),
    ];
    const plan = planRetention(tree, { hourly: 1 }, ['baseline']);
    expect(plan.keep).toEqual([
      { snapshot: 'auto-b', reason: 'parent of kept snapshot by-hand' },
      { snapshot: 'by-hand', reason: 'taken by hand (only scheduled snapshots are pruned)' },
      { snapshot: 'auto-c', reason: 'parent of kept snapshot pinned' },
      { snapshot: 'pinned', reason: 'keep forever' },
      { snapshot: 'auto-d', reason: 'parent of kept snapshot baseline' },
      { snapshot: 'baseline', reason: 'keep forever' },
      { snapshot: 'auto-e', reason: 'parent of kept snapshot auto-f' },
      { snapshot: 'auto-f', reason: 'keep_hourly 1 (2026-11-30 09:00)' },
    ]);
    expect(plan.remove.map((r) => r.snapshot)).toEqual(['auto-a']);
  });
});
