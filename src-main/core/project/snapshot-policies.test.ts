import { describe, expect, it } from 'vitest';
import { parseNovaFile } from '../novafile/novafile-parser.js';
import { desiredState } from './desired-state.js';
import { applySnapshotPolicies, type PolicyClient } from './snapshot-policies.js';

const FILE = `project = "lab"

[snapshots]
schedule = "daily 02:00"
keep_daily = 7
keep_forever = ["baseline"]

[vm.db]
kernel = "/k"
snapshots = { schedule = "hourly", keep_hourly = 24 }

[capsule.web]
capsule = "nginx"
`;

function fakeHelper(have: Record<string, unknown>) {
  const sets: Array<[string, unknown]> = [];
  const helper = {
    call: async (method: string, params: { name: string; policy?: unknown }) => {
      if (method.endsWith('PolicyGet')) return have[`${method.split('.')[0]} ${params.name}`] ?? null;
      sets.push([method, params]);
      return null;
    },
  } as unknown as PolicyClient;
  return { helper, sets };
}

function desired(text = FILE) {
  const { config, diagnostics } = parseNovaFile(text, 'NovaFile.toml', '/p');
  if (!config) throw new Error(JSON.stringify(diagnostics));
  return desiredState(config);
}

describe('applySnapshotPolicies', () => {
  it("sets each guest's merged policy, with the schedule as the NovaFile writes it", async () => {
    const { helper, sets } = fakeHelper({});
    expect(await applySnapshotPolicies(helper, desired())).toEqual(['vm db: snapshot policy set', 'capsule web: snapshot policy set']);
    expect(sets).toEqual([
      ['vm.snapshotPolicySet', { name: 'db', policy: { schedule: 'hourly', keep: { daily: 7, hourly: 24 }, keepForever: ['baseline'] } }],
      ['capsule.snapshotPolicySet', { name: 'web', policy: { schedule: 'daily 02:00', keep: { daily: 7 }, keepForever: ['baseline'] } }],
    ]);
  });

  it('leaves an unchanged policy alone, updates a changed one, and removes one the file dropped', async () => {
    const state = (policy: unknown) => ({ policy, since: '', lastSlot: null, nextRun: null });
    const { helper, sets } = fakeHelper({
      'vm db': state({ schedule: 'hourly', keep: { hourly: 24, daily: 7 }, keepForever: ['baseline'] }),
      'capsule web': state({ schedule: 'daily 03:00', keep: {}, keepForever: [] }),
    });
    expect(await applySnapshotPolicies(helper, desired())).toEqual(['capsule web: snapshot policy updated']);
    const dropped = fakeHelper({ 'capsule web': state({ schedule: 'hourly', keep: {}, keepForever: [] }) });
    expect(await applySnapshotPolicies(dropped.helper, desired('project = "lab"\n[capsule.web]\ncapsule = "nginx"\n'))).toEqual(['capsule web: snapshot policy removed']);
    expect(dropped.sets).toEqual([['capsule.snapshotPolicySet', { name: 'web', policy: null }]]);
    expect(sets).toHaveLength(1);
  });

  it('skips the guests it is told to (failed or not applied by nova up)', async () => {
    const { helper, sets } = fakeHelper({});
    expect(await applySnapshotPolicies(helper, desired(), new Set(['vm db']))).toEqual(['capsule web: snapshot policy set']);
    expect(sets.map(([m]) => m)).toEqual(['capsule.snapshotPolicySet']);
  });
});
