// A guest's snapshot policy as a NovaFile's [snapshots] declares it (project-wide, with
// per-guest overrides): when to take them, how many of each age to keep, whether `nova up`
// takes one before it restarts or replaces a guest, and names never pruned.
import { z } from 'zod';
import { nameSchema } from './vocabulary/resource-name.js';
import { formatSnapshotSchedule, parseSnapshotSchedule, type SnapshotSchedule } from './vocabulary/snapshot-schedule.js';

export interface SnapshotRetention {
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  /** At most this many scheduled snapshots in all. */
  maxTotal?: number;
}

export interface SnapshotPolicy {
  schedule?: SnapshotSchedule;
  keep: SnapshotRetention;
  /** Take a snapshot of every guest `nova up` would restart or replace. */
  beforeUp?: boolean;
  /** Snapshots by these names are never pruned (nor are the parents of kept ones). */
  keepForever: string[];
}

/** The guest's own keys over the project's. */
export function mergeSnapshotPolicy(project: SnapshotPolicy | undefined, guest: SnapshotPolicy | undefined): SnapshotPolicy | undefined {
  if (!project || !guest) return guest ?? project;
  const schedule = guest.schedule ?? project.schedule;
  const beforeUp = guest.beforeUp ?? project.beforeUp;
  return {
    ...(schedule ? { schedule } : {}),
    keep: { ...project.keep, ...guest.keep },
    ...(beforeUp !== undefined ? { beforeUp } : {}),
    keepForever: [...new Set([...project.keepForever, ...guest.keepForever])],
  };
}

/** What a snapshot record says of how retention treats it; both absent on older records. */
export interface SnapshotMarks {
  keepForever?: boolean;
  scheduled?: boolean;
}

/** How a snapshot is taken: its marks, and for a scheduled one the scheduler's time (its slot's tick). */
export interface SnapshotTaking extends SnapshotMarks {
  at?: Date;
}

/** Only the marks that are set, so records of snapshots taken by hand look as before. */
export function setMarks(marks: SnapshotMarks): SnapshotMarks {
  return { ...(marks.keepForever ? { keepForever: true } : {}), ...(marks.scheduled ? { scheduled: true } : {}) };
}

// ---- on the wire ------------------------------------------------------------------
// The helper keeps each guest's policy with the schedule as text ("daily 02:00"), so a
// stored record, a method's params and a NovaFile all read the same; the one parser
// refuses what does not parse, and counts below zero are refused here as at a NovaFile line.

const count = z.number().int().min(0, { error: 'a retention count is a whole number of snapshots, 0 or more' });

export const SnapshotScheduleTextSchema = z
  .string()
  .max(64)
  .superRefine((text, ctx) => {
    const parsed = parseSnapshotSchedule(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  });

export const SnapshotPolicySpecSchema = z.strictObject({
  schedule: SnapshotScheduleTextSchema.optional(),
  keep: z
    .strictObject({
      hourly: count.optional(),
      daily: count.optional(),
      weekly: count.optional(),
      monthly: count.optional(),
      maxTotal: z.number().int().min(1, { error: 'max_total is a whole number of snapshots, 1 or more' }).optional(),
    })
    .default({}),
  beforeUp: z.boolean().optional(),
  keepForever: z.array(nameSchema('vm-snapshot')).max(256).default([]),
});
export type SnapshotPolicySpec = z.infer<typeof SnapshotPolicySpecSchema>;
export type SnapshotPolicySpecIn = z.input<typeof SnapshotPolicySpecSchema>;

/** The contract's policy as the helper's methods take it. */
export function snapshotPolicySpec(policy: SnapshotPolicy): SnapshotPolicySpec {
  return {
    ...(policy.schedule ? { schedule: formatSnapshotSchedule(policy.schedule) } : {}),
    keep: { ...policy.keep },
    ...(policy.beforeUp !== undefined ? { beforeUp: policy.beforeUp } : {}),
    keepForever: [...policy.keepForever],
  };
}

/** A policy the helper holds, with what its scheduler did and will do. */
export const SnapshotPolicyStateSchema = z.strictObject({
  name: z.string(),
  policy: SnapshotPolicySpecSchema,
  /** When the policy was set: no slot before this is owed a snapshot. */
  since: z.string(),
  /** The last slot the schedule took (or tried to take) a snapshot for. */
  lastSlot: z.string().nullable(),
  /** The next slot, or null without a schedule. */
  nextRun: z.string().nullable(),
});
export type SnapshotPolicyState = z.infer<typeof SnapshotPolicyStateSchema>;

/** One snapshot a prune removes, or would remove with dryRun, and the rule that decides it. */
export const PruneEntrySchema = z.strictObject({ snapshot: z.string(), reason: z.string() });
export const PruneResultSchema = z.strictObject({
  name: z.string(),
  dryRun: z.boolean(),
  removed: z.array(PruneEntrySchema),
  kept: z.array(PruneEntrySchema),
  /** Snapshots the prune meant to remove but could not, each with the error. */
  failed: z.array(PruneEntrySchema),
});
export type PruneResult = z.infer<typeof PruneResultSchema>;
