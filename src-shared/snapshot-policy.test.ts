// The helper's policy methods refuse what a NovaFile refuses at its line: a schedule that
// does not parse and a retention count below zero; and a contract policy goes over the
// wire as text that reads back as the same policy.
import { describe, expect, it } from 'vitest';
import { novaApi } from './api/nova-api.js';
import { snapshotPolicySpec } from './snapshot-policy.js';
import { parseSnapshotSchedule } from './vocabulary/snapshot-schedule.js';

const setParams = (policy: unknown) => novaApi['vm.snapshotPolicySet'].params.safeParse({ name: 'db', policy });
const messages = (r: ReturnType<typeof setParams>) => (r.success ? [] : r.error.issues.map((i) => i.message));

describe('snapshot policies on the wire', () => {
  it('refuses a schedule that does not parse, with the vocabulary\'s message', () => {
    expect(messages(setParams({ schedule: 'every day' }))).toEqual([expect.stringMatching(/"every day" is not a snapshot schedule; use "hourly"/)]);
    expect(messages(setParams({ schedule: 'daily 25:00' }))).toEqual([expect.stringMatching(/"25:00" is not a time of day/)]);
    expect(novaApi['capsule.snapshotPolicySet'].params.safeParse({ name: 'web', policy: { schedule: 'weekly funday' } }).success).toBe(false);
  });

  it('refuses a retention count below zero, a max_total below one, and unknown keys', () => {
    expect(messages(setParams({ keep: { daily: -1 } }))).toEqual(['a retention count is a whole number of snapshots, 0 or more']);
    expect(messages(setParams({ keep: { maxTotal: 0 } }))).toEqual(['max_total is a whole number of snapshots, 1 or more']);
    expect(setParams({ keep: { dayly: 3 } }).success).toBe(false);
    expect(setParams({ keepForever: ['a/b'] }).success).toBe(false);
  });

  it('takes a good policy, and null to remove it', () => {
    expect(setParams({ schedule: 'daily 02:00', keep: { hourly: 24, daily: 7 }, keepForever: ['baseline'] }).data).toEqual({
      name: 'db',
      policy: { schedule: 'daily 02:00', keep: { hourly: 24, daily: 7 }, keepForever: ['baseline'] },
    });
    expect(setParams(null).success).toBe(true);
  });

  it.each(['hourly', 'daily', 'daily 02:00', 'weekly', 'weekly sun 03:30', 'weekly 04:00'])('writes the schedule %j back as text that parses to the same schedule', (text) => {
    const schedule = parseSnapshotSchedule(text);
    if (!schedule.ok) throw new Error(schedule.message);
    const spec = snapshotPolicySpec({ schedule: schedule.value, keep: {}, keepForever: [] });
    expect(parseSnapshotSchedule(spec.schedule ?? '')).toEqual(schedule);
  });
});
