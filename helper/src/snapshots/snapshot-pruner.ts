// Prunes one guest's snapshots by its policy's retention rules (retention.ts): for
// `KIND.snapshotPrune` (and `nova snapshot prune`, with --dry-run only the plan) and
// for the scheduler after each scheduled snapshot. Each deletion is the engine's own
// operation, so it holds the guest's lock and shows in the operation list.
import { NovaError } from '../../../src-shared/errors.js';
import type { PruneResult } from '../../../src-shared/snapshot-policy.js';
import type { Requester } from '../operations/operation-manager.js';
import type { GuestSnapshots } from './guest-snapshots.js';
import { planRetention } from './retention.js';
import type { GuestKind, SnapshotPolicyStore } from './snapshot-policy-store.js';

export class SnapshotPruner {
  constructor(
    private readonly policies: SnapshotPolicyStore,
    private readonly guests: GuestSnapshots,
  ) {}

  async prune(kind: GuestKind, name: string, dryRun: boolean, requester: Requester | null): Promise<PruneResult> {
    const record = await this.policies.get(kind, name);
    if (!record) {
      throw new NovaError('failed_precondition', `${kind === 'vm' ? 'VM' : 'Capsule'} ${name} has no snapshot policy, so nothing says which snapshots may go; set one first`);
    }
    const plan = planRetention(await this.guests.list(kind, name), record.policy.keep, record.policy.keepForever);
    const result: PruneResult = { name, dryRun, removed: [], kept: plan.keep, failed: [] };
    for (const entry of plan.remove) {
      if (dryRun) {
        result.removed.push(entry);
        continue;
      }
      try {
        await this.guests.remove(kind, name, entry.snapshot, requester);
        result.removed.push(entry);
      } catch (err) {
        result.failed.push({ snapshot: entry.snapshot, reason: (err as Error).message });
      }
    }
    return result;
  }
}
