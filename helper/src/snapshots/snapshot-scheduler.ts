// Runs every guest's snapshot schedule inside the helper, so snapshots are taken while
// Nova's app is closed. Each tick (a minute; the clock is injected) serves the latest slot
// a policy owes and has not served: one snapshot for it (missed slots while the helper was
// down are not made up one by one), marked scheduled, then a prune by the policy's rules.
// A failure is logged and sent as `snapshot.scheduleFailed`, and that slot is not retried:
// the next slot tries again, so a guest that cannot be snapshotted raises one event per slot.
import { valueOf } from '../../../src-shared/vocabulary/parsed.js';
import { parseSnapshotSchedule } from '../../../src-shared/vocabulary/snapshot-schedule.js';
import type { Logger } from '../util/logger.js';
import type { GuestSnapshots } from './guest-snapshots.js';
import { latestSlot, scheduledSnapshotName } from './schedule-slots.js';
import type { Clock } from './snapshot-clock.js';
import type { GuestKind, PolicyRecord, SnapshotPolicyStore } from './snapshot-policy-store.js';
import type { SnapshotPruner } from './snapshot-pruner.js';

export interface ScheduleFailure {
  kind: GuestKind;
  name: string;
  snapshot: string;
  message: string;
}

export interface SnapshotSchedulerOptions {
  policies: SnapshotPolicyStore;
  guests: GuestSnapshots;
  pruner: SnapshotPruner;
  clock: Clock;
  logger: Logger;
  onFailed: (failure: ScheduleFailure) => void;
}

const KINDS: readonly GuestKind[] = ['vm', 'capsule'];

export class SnapshotScheduler {
  private ticking: Promise<void> | null = null;

  constructor(private readonly o: SnapshotSchedulerOptions) {}

  /** Serves every policy once; a tick asked for while one runs waits for that one. */
  tick(): Promise<void> {
    this.ticking ??= this.serveAll().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /** Ticks every intervalMs until the returned function is called (it waits for a tick under way). */
  start(intervalMs: number): () => Promise<void> {
    const timer = setInterval(() => void this.tick(), intervalMs);
    timer.unref();
    void this.tick();
    return async () => {
      clearInterval(timer);
      await this.ticking;
    };
  }

  private async serveAll(): Promise<void> {
    for (const kind of KINDS) {
      for (const { name, record } of await this.o.policies.all(kind)) {
        await this.serve(kind, name, record).catch((err: unknown) => this.o.logger.error({ err, kind, name }, 'snapshot schedule step failed'));
      }
    }
  }

  private async serve(kind: GuestKind, name: string, record: PolicyRecord): Promise<void> {
    if (!record.policy.schedule) return;
    const now = this.o.clock.now();
    const slot = latestSlot(valueOf(parseSnapshotSchedule(record.policy.schedule)), now);
    const servedUpTo = Math.max(Date.parse(record.since), record.lastSlot ? Date.parse(record.lastSlot) : 0);
    if (slot.getTime() <= servedUpTo) return;
    if (!(await this.o.guests.exists(kind, name))) {
      this.o.logger.info({ kind, name }, 'guest is gone: its snapshot policy goes too');
      await this.o.policies.remove(kind, name);
      return;
    }
    // Marked first: a slot that fails is reported once, not retried every tick.
    await this.o.policies.markSlot(kind, name, slot);
    const snapshot = scheduledSnapshotName(slot);
    try {
      await this.o.guests.create(kind, name, snapshot, { scheduled: true, keepForever: record.policy.keepForever.includes(snapshot), at: now });
      this.o.logger.info({ kind, name, snapshot }, 'scheduled snapshot taken');
    } catch (err) {
      this.fail({ kind, name, snapshot, message: `the scheduled snapshot ${snapshot} of ${kind} ${name} failed: ${(err as Error).message}` });
      return;
    }
    const pruned = await this.o.pruner.prune(kind, name, false, null);
    if (pruned.removed.length > 0) this.o.logger.info({ kind, name, removed: pruned.removed }, 'pruned by the retention rules');
    for (const f of pruned.failed) {
      this.fail({ kind, name, snapshot: f.snapshot, message: `pruning snapshot ${f.snapshot} of ${kind} ${name} failed: ${f.reason}` });
    }
  }

  private fail(failure: ScheduleFailure): void {
    this.o.logger.warn(failure, failure.message);
    this.o.onFailed(failure);
  }
}
