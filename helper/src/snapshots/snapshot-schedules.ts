// Builds the helper's snapshot schedules from its engines (the composition root calls
// this once): the policy store, the pruner, the clock (moved only under NOVA_TEST_HOOKS=1)
// and the scheduler, ticking each minute, or each half second for tests.
import type { NovaEvent } from '../../../src-shared/api/events.js';
import type { CapsuleManager } from '../capsule/capsule-manager.js';
import type { Logger } from '../util/logger.js';
import type { VmManager } from '../vm/vm-manager.js';
import { engineGuestSnapshots, type GuestSnapshots } from './guest-snapshots.js';
import { helperClock, type Clock } from './snapshot-clock.js';
import { SnapshotPolicyStore } from './snapshot-policy-store.js';
import { SnapshotPruner } from './snapshot-pruner.js';
import { SnapshotScheduler } from './snapshot-scheduler.js';

export interface SnapshotSchedules {
  policies: SnapshotPolicyStore;
  pruner: SnapshotPruner;
  guests: GuestSnapshots;
  clock: Clock;
  stop(): Promise<void>;
}

export function startSnapshotSchedules(o: { stateDir: string; vms: VmManager; capsules: CapsuleManager; logger: Logger; emit: (event: NovaEvent) => void }): SnapshotSchedules {
  const testing = process.env.NOVA_TEST_HOOKS === '1';
  const clock = helperClock(o.stateDir, process.env);
  const policies = new SnapshotPolicyStore(o.stateDir);
  const guests = engineGuestSnapshots(o.vms, o.capsules);
  const pruner = new SnapshotPruner(policies, guests);
  const scheduler = new SnapshotScheduler({
    policies,
    guests,
    pruner,
    clock,
    logger: o.logger,
    onFailed: (failure) => o.emit({ name: 'snapshot.scheduleFailed', payload: failure }),
  });
  const stop = scheduler.start(testing ? 500 : 60_000);
  return { policies, pruner, guests, clock, stop };
}
