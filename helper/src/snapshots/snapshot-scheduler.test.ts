// The scheduler on a test clock, against a fake snapshot engine: two days of an hourly
// schedule take 48 snapshots and prune them by the rules as they go; a failed snapshot is
// reported once and the next slot is served; a deleted guest's policy goes with it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import type { SnapshotTaking } from '../../../src-shared/snapshot-policy.js';
import { silentLogger } from '../util/logger.js';
import type { GuestSnapshots } from './guest-snapshots.js';
import type { SnapshotFacts } from './retention.js';
import { SnapshotPolicyStore } from './snapshot-policy-store.js';
import { SnapshotPruner } from './snapshot-pruner.js';
import { SnapshotScheduler, type ScheduleFailure } from './snapshot-scheduler.js';

class FakeGuests implements GuestSnapshots {
  readonly snapshots = new Map<string, SnapshotFacts[]>();
  readonly taken: string[] = [];
  readonly removed: string[] = [];
  failNext = false;

  constructor(private readonly clock: { now(): Date }) {}

  async exists(_kind: string, name: string) {
    return this.snapshots.has(name);
  }
  async list(_kind: string, name: string) {
    return [...(this.snapshots.get(name) ?? [])];
  }
  async create(_kind: string, name: string, snapshot: string, taking: SnapshotTaking) {
    if (this.failNext) {
      this.failNext = false;
      throw new NovaError('locked', 'vm db is locked by a start');
    }
    this.taken.push(snapshot);
    this.snapshots.get(name)?.push({ name: snapshot, createdAt: taking.at ?? new Date(0), scheduled: taking.scheduled === true, keepForever: taking.keepForever === true, parent: null });
  }
  async remove(_kind: string, name: string, snapshot: string) {
    this.removed.push(snapshot);
    this.snapshots.set(name, (this.snapshots.get(name) ?? []).filter((s) => s.name !== snapshot));
  }
}

let dir = '';
let now = new Date(2026, 11, 5, 0, 30);
const clock = { now: () => now };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv9k-scheduler-'));
  now = new Date(2026, 11, 5, 0, 30);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function build() {
  const policies = new SnapshotPolicyStore(dir);
  const guests = new FakeGuests(clock);
  const failures: ScheduleFailure[] = [];
  const scheduler = new SnapshotScheduler({ policies, guests, pruner: new SnapshotPruner(policies, guests), clock, logger: silentLogger(), onFailed: (f) => failures.push(f) });
  return { policies, guests, failures, scheduler };
}

async function advance(scheduler: SnapshotScheduler, until: Date, stepMinutes = 10): Promise<void> {
  while (now < until) {
    now = new Date(now.getTime() + stepMinutes * 60_000);
    await scheduler.tick();
  }
}

describe('SnapshotScheduler', () => {
  it('takes an hourly snapshot for two days and prunes to what keep_hourly 3, keep_daily 3 and keep_forever keep', async () => {
    const { policies, guests, failures, scheduler } = build();
    guests.snapshots.set('db', [{ name: 'by-hand', createdAt: new Date(2026, 11, 1), scheduled: false, keepForever: false, parent: null }]);
    await policies.set('vm', 'db', { schedule: 'hourly', keep: { hourly: 3, daily: 3 }, keepForever: ['auto-2026-12-05-1200'] }, now);

    await scheduler.tick();
    expect(guests.taken).toEqual([]); // 00:00 came before the policy was set

    await advance(scheduler, new Date(2026, 11, 7, 0, 30));
    expect(guests.taken).toHaveLength(48);
    expect(guests.taken[0]).toBe('auto-2026-12-05-0100');
    expect(guests.taken.at(-1)).toBe('auto-2026-12-07-0000');
    expect((await guests.list('vm', 'db')).map((s) => s.name)).toEqual([
      'by-hand',
      'auto-2026-12-05-1200',
      'auto-2026-12-05-2300',
      'auto-2026-12-06-2200',
      'auto-2026-12-06-2300',
      'auto-2026-12-07-0000',
    ]);
    expect(guests.removed).toHaveLength(48 - 5);
    expect(failures).toEqual([]);
    expect((await policies.get('vm', 'db'))?.lastSlot).toBe(new Date(2026, 11, 7, 0, 0).toISOString());
  });

  it('"daily 02:00" takes one a day at 02:00, and makes up a missed slot once, not one per missed day', async () => {
    const { policies, guests, scheduler } = build();
    guests.snapshots.set('web', []);
    await policies.set('capsule', 'web', { schedule: 'daily 02:00', keep: {}, keepForever: [] }, now);
    await advance(scheduler, new Date(2026, 11, 6, 12, 0), 30);
    expect(guests.taken).toEqual(['auto-2026-12-05-0200', 'auto-2026-12-06-0200']);
    // The helper was down for three days: one snapshot for the latest slot.
    now = new Date(2026, 11, 9, 9, 0);
    await scheduler.tick();
    expect(guests.taken.at(-1)).toBe('auto-2026-12-09-0200');
    expect(guests.taken).toHaveLength(3);
  });

  it('reports a failed scheduled snapshot once and serves the next slot', async () => {
    const { policies, guests, failures, scheduler } = build();
    guests.snapshots.set('db', []);
    await policies.set('vm', 'db', { schedule: 'hourly', keep: { hourly: 5 }, keepForever: [] }, now);
    guests.failNext = true;
    await advance(scheduler, new Date(2026, 11, 5, 2, 30));
    expect(failures).toEqual([{ kind: 'vm', name: 'db', snapshot: 'auto-2026-12-05-0100', message: 'the scheduled snapshot auto-2026-12-05-0100 of vm db failed: vm db is locked by a start' }]);
    expect(guests.taken).toEqual(['auto-2026-12-05-0200']);
  });

  it("drops a deleted guest's policy", async () => {
    const { policies, scheduler } = build();
    await policies.set('capsule', 'gone', { schedule: 'hourly', keep: {}, keepForever: [] }, now);
    await advance(scheduler, new Date(2026, 11, 5, 1, 10));
    expect(await policies.get('capsule', 'gone')).toBeNull();
  });
});
