// [snapshots] in a NovaFile, project-wide, and the same keys in a guest's own
// `snapshots` table to override them: the schedule (the vocabulary's), retention counts,
// before_up, and names kept forever. Turned into the contract's SnapshotPolicy.
import { z } from 'zod';
import type { SnapshotPolicy, SnapshotRetention } from '../../../src-shared/snapshot-policy.js';
import { nameSchema, parseSnapshotSchedule } from '../../../src-shared/vocabulary/index.js';
import { expected, layered, list, parsedString, table } from './novafile-schema-kit.js';

const count = layered(z.number().int().min(0), 'a whole number of snapshots, 0 or more');

export const snapshotShape = {
  schedule: parsedString('a schedule such as "daily 02:00"', parseSnapshotSchedule).optional(),
  keep_hourly: count.optional(),
  keep_daily: count.optional(),
  keep_weekly: count.optional(),
  keep_monthly: count.optional(),
  max_total: layered(z.number().int().min(1), 'a whole number of snapshots, 1 or more').optional(),
  before_up: z.boolean({ error: expected('true or false') }).optional(),
  /** Snapshot names never pruned. */
  keep_forever: list(layered(nameSchema('vm-snapshot'), 'a snapshot name such as "baseline"'), 'snapshot names').optional(),
};

type SnapshotTable = z.output<ReturnType<typeof table<typeof snapshotShape>>>;

function policy(t: SnapshotTable): SnapshotPolicy {
  const keep: SnapshotRetention = {};
  if (t.keep_hourly !== undefined) keep.hourly = t.keep_hourly;
  if (t.keep_daily !== undefined) keep.daily = t.keep_daily;
  if (t.keep_weekly !== undefined) keep.weekly = t.keep_weekly;
  if (t.keep_monthly !== undefined) keep.monthly = t.keep_monthly;
  if (t.max_total !== undefined) keep.maxTotal = t.max_total;
  return {
    ...(t.schedule ? { schedule: t.schedule } : {}),
    keep,
    ...(t.before_up !== undefined ? { beforeUp: t.before_up } : {}),
    keepForever: t.keep_forever ?? [],
  };
}

export const SnapshotTableSchema = table(snapshotShape, 'a table of snapshot settings, e.g. [snapshots] with schedule = "daily"').transform(policy);
