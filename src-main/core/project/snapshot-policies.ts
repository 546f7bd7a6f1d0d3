// Hands each guest of a project its snapshot policy ([snapshots] with the guest's own
// keys over it) for the helper to run: `nova up` calls this after creating or updating
// the guests. A guest whose policy the file no longer declares has it removed; one whose
// policy is unchanged is not touched, so its place in the schedule stays.
import type { HelperMethodName, ParamsIn, ResultOf } from '../../../src-shared/api/nova-api.js';
import { snapshotPolicySpec, SnapshotPolicySpecSchema, type SnapshotPolicy, type SnapshotPolicySpec } from '../../../src-shared/snapshot-policy.js';
import { desiredOn, type DesiredState } from './desired-state.js';

export interface PolicyClient {
  call<M extends HelperMethodName>(method: M, params: ParamsIn<M>): Promise<ResultOf<M>>;
}

type Guest = { kind: 'vm' | 'capsule'; name: string; policy: SnapshotPolicy | undefined };

/** Keys in one order, so two equal policies compare equal as text. */
function canonical(spec: SnapshotPolicySpec): string {
  const p = SnapshotPolicySpecSchema.parse(spec);
  const keep = Object.fromEntries(Object.entries(p.keep).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify({ schedule: p.schedule ?? null, keep, beforeUp: p.beforeUp ?? null, keepForever: [...p.keepForever].sort() });
}

/** One line per guest whose policy was set or removed ("vm db: snapshot policy set"). */
export async function applySnapshotPolicies(helper: PolicyClient, desired: Pick<DesiredState, 'vms' | 'capsules'>, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  const guests: Guest[] = [
    ...desired.vms.map((v) => ({ kind: 'vm' as const, name: v.config.name, policy: v.config.snapshots })),
    ...desired.capsules.map((c) => ({ kind: 'capsule' as const, name: c.config.name, policy: c.config.snapshots })),
  ];
  const actions: string[] = [];
  for (const g of guests) {
    if (skip.has(`${g.kind} ${g.name}`)) continue;
    const have = await (g.kind === 'vm' ? helper.call('vm.snapshotPolicyGet', { name: g.name }) : helper.call('capsule.snapshotPolicyGet', { name: g.name }));
    const want = g.policy ? snapshotPolicySpec(g.policy) : null;
    if (want === null && have === null) continue;
    if (want !== null && have !== null && canonical(want) === canonical(have.policy)) continue;
    const params = { name: g.name, policy: want };
    if (g.kind === 'vm') await helper.call('vm.snapshotPolicySet', params);
    else await helper.call('capsule.snapshotPolicySet', params);
    actions.push(`${g.kind} ${g.name}: snapshot policy ${want === null ? 'removed' : have === null ? 'set' : 'updated'}`);
  }
  return actions;
}

/** The same across a project's hosts: each guest's policy goes to the helper of its host. */
export async function applySnapshotPoliciesOnHosts(helperOf: (host: string) => PolicyClient, desired: DesiredState, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  const lines: string[] = [];
  for (const host of desired.hosts) lines.push(...(await applySnapshotPolicies(helperOf(host), desiredOn(desired, host), skip)));
  return lines;
}
