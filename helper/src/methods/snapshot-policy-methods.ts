// `vm.*` and `capsule.*` snapshot policy verbs (set, get, list, prune): one implementation
// for both kinds over the helper's snapshots folder; the contract gives each kind its own
// polkit actions.
import { NovaError } from '../../../src-shared/errors.js';
import type { SnapshotPolicyState } from '../../../src-shared/snapshot-policy.js';
import { valueOf } from '../../../src-shared/vocabulary/parsed.js';
import { parseSnapshotSchedule } from '../../../src-shared/vocabulary/snapshot-schedule.js';
import type { GuestSnapshots } from '../snapshots/guest-snapshots.js';
import { nextSlot } from '../snapshots/schedule-slots.js';
import type { Clock } from '../snapshots/snapshot-clock.js';
import type { GuestKind, PolicyRecord, SnapshotPolicyStore } from '../snapshots/snapshot-policy-store.js';
import type { SnapshotPruner } from '../snapshots/snapshot-pruner.js';
import type { HelperHandler } from './handler-table.js';

export interface SnapshotPolicyDeps {
  policies: SnapshotPolicyStore;
  pruner: SnapshotPruner;
  guests: GuestSnapshots;
  clock: Clock;
}

export type SnapshotPolicyMethodName = `${GuestKind}.${'snapshotPolicySet' | 'snapshotPolicyGet' | 'snapshotPolicyList' | 'snapshotPrune'}`;

export function snapshotPolicyHandlers(d: SnapshotPolicyDeps): { [M in SnapshotPolicyMethodName]: HelperHandler<M> } {
  const state = (name: string, r: PolicyRecord): SnapshotPolicyState => ({
    name,
    policy: r.policy,
    since: r.since,
    lastSlot: r.lastSlot,
    nextRun: r.policy.schedule ? nextSlot(valueOf(parseSnapshotSchedule(r.policy.schedule)), d.clock.now()).toISOString() : null,
  });
  const verbs = (kind: GuestKind) => ({
    set: async ({ name, policy }: { name: string; policy: PolicyRecord['policy'] | null }) => {
      if (!(await d.guests.exists(kind, name))) throw new NovaError('not_found', `there is no ${kind === 'vm' ? 'VM' : 'capsule'} named ${name}`);
      if (policy === null) {
        await d.policies.remove(kind, name);
        return null;
      }
      return state(name, await d.policies.set(kind, name, policy, d.clock.now()));
    },
    get: async ({ name }: { name: string }) => {
      const r = await d.policies.get(kind, name);
      return r ? state(name, r) : null;
    },
    list: async () => (await d.policies.all(kind)).map(({ name, record }) => state(name, record)),
  });
  const vm = verbs('vm');
  const capsule = verbs('capsule');
  return {
    'vm.snapshotPolicySet': vm.set,
    'vm.snapshotPolicyGet': vm.get,
    'vm.snapshotPolicyList': vm.list,
    'vm.snapshotPrune': ({ name, dryRun }, ctx) => d.pruner.prune('vm', name, dryRun, ctx),
    'capsule.snapshotPolicySet': capsule.set,
    'capsule.snapshotPolicyGet': capsule.get,
    'capsule.snapshotPolicyList': capsule.list,
    'capsule.snapshotPrune': ({ name, dryRun }, ctx) => d.pruner.prune('capsule', name, dryRun, ctx),
  };
}
