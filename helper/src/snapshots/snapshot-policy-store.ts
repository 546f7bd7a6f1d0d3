// Each guest's snapshot policy, kept by the helper (snapshot-policies/vm/NAME.json and
// snapshot-policies/capsule/NAME.json) so the schedule runs while no Nova client is open:
// the policy as set, when it was set, and the last slot the schedule served.
import { join } from 'node:path';
import { z } from 'zod';
import { SnapshotPolicySpecSchema, type SnapshotPolicySpec } from '../../../src-shared/snapshot-policy.js';
import { RecordStore, type RecordFormat } from '../state/record-store.js';

export type GuestKind = 'vm' | 'capsule';

export const PolicyRecordSchema = z.strictObject({
  policy: SnapshotPolicySpecSchema,
  since: z.string(),
  lastSlot: z.string().nullable(),
});
export type PolicyRecord = z.infer<typeof PolicyRecordSchema>;

export const POLICY_RECORD: RecordFormat<PolicyRecord> = { what: 'snapshot policy', version: 1, schema: PolicyRecordSchema };

export class SnapshotPolicyStore {
  private readonly stores: Record<GuestKind, RecordStore<PolicyRecord>>;

  constructor(stateDir: string) {
    const dir = join(stateDir, 'snapshot-policies');
    this.stores = { vm: new RecordStore(POLICY_RECORD, join(dir, 'vm')), capsule: new RecordStore(POLICY_RECORD, join(dir, 'capsule')) };
  }

  get(kind: GuestKind, name: string): Promise<PolicyRecord | null> {
    return this.stores[kind].load(name);
  }

  /** Setting a policy again keeps its place in the schedule, so no slot is served twice. */
  async set(kind: GuestKind, name: string, policy: SnapshotPolicySpec, now: Date): Promise<PolicyRecord> {
    const old = await this.get(kind, name);
    const record: PolicyRecord = { policy, since: old?.since ?? now.toISOString(), lastSlot: old?.lastSlot ?? null };
    await this.stores[kind].save(name, record);
    return record;
  }

  async markSlot(kind: GuestKind, name: string, slot: Date): Promise<void> {
    const old = await this.get(kind, name);
    if (old) await this.stores[kind].save(name, { ...old, lastSlot: slot.toISOString() });
  }

  remove(kind: GuestKind, name: string): Promise<void> {
    return this.stores[kind].remove(name);
  }

  /** Every readable policy of a kind; a damaged record is left out (and named by loadAll). */
  async all(kind: GuestKind): Promise<Array<{ name: string; record: PolicyRecord }>> {
    const { records } = await this.stores[kind].loadAll();
    return [...records].map(([name, record]) => ({ name, record }));
  }
}
