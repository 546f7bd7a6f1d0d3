// Snapshot schedules and retention, one shape for VMs and capsules: each kind serves
// `KIND.snapshotPolicySet|snapshotPolicyGet|snapshotPolicyList|snapshotPrune` under its own
// polkit actions (a policy is a change to the guest; reading it is a view), so the
// helper's per-kind authorization stays as it is. The helper runs the schedules itself,
// while no Nova client is open, and says so with an event when a scheduled snapshot fails.
import { z } from 'zod';
import type { ServedBy } from './define.js';
import { defineMethod } from './define.js';
import { PruneResultSchema, SnapshotPolicySpecSchema, SnapshotPolicyStateSchema } from '../snapshot-policy.js';

/** A prune deletes snapshots one by one, each a job of its own. */
const PRUNE_TIMEOUT_MS = 30 * 60_000;

export function snapshotPolicyMethods<N extends z.ZodType<string>, V extends ServedBy, M extends ServedBy>(name: N, view: V, manage: M) {
  return {
    policySet: defineMethod({
      summary: "Set the guest's snapshot schedule and retention (null removes it); the helper runs it from then on",
      params: z.strictObject({ name, policy: SnapshotPolicySpecSchema.nullable() }),
      result: SnapshotPolicyStateSchema.nullable(),
      served: manage,
    }),
    policyGet: defineMethod({
      summary: "The guest's snapshot policy with its last and next scheduled run; null when it has none",
      params: z.strictObject({ name }),
      result: SnapshotPolicyStateSchema.nullable(),
      served: view,
    }),
    policyList: defineMethod({
      summary: 'Every snapshot policy of this kind of guest',
      params: z.strictObject({}),
      result: z.array(SnapshotPolicyStateSchema),
      served: view,
    }),
    prune: defineMethod({
      summary: "Remove the scheduled snapshots the guest's retention rules no longer keep (dryRun: only say which, and why)",
      params: z.strictObject({ name, dryRun: z.boolean().default(false) }),
      result: PruneResultSchema,
      served: manage,
      timeoutMs: PRUNE_TIMEOUT_MS,
    }),
  };
}

export const snapshotPolicyEvents = {
  /** A scheduled snapshot, or the prune after it, failed; the desktop notifies. */
  'snapshot.scheduleFailed': z.strictObject({
    kind: z.enum(['vm', 'capsule']),
    name: z.string(),
    snapshot: z.string(),
    message: z.string(),
  }),
} as const;
