import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import { registerSnapshotPruneCommand } from './snapshot-prune-command.js';

const policy = (name: string) => ({ name, policy: { keep: { hourly: 1 }, keepForever: [] }, since: '2026-12-01T00:00:00.000Z', lastSlot: null, nextRun: null });

async function run(argv: string[], policies: { vm: string[]; capsule: string[] }) {
  let stdout = '';
  const calls: Array<[string, unknown]> = [];
  const answer = (method: string, params: { name?: string; dryRun?: boolean }) => {
    const kind = method.startsWith('vm.') ? 'vm' : 'capsule';
    if (method.endsWith('PolicyList')) return policies[kind].map(policy);
    if (method.endsWith('PolicyGet')) return policies[kind].includes(params.name ?? '') ? policy(params.name ?? '') : null;
    return {
      name: params.name,
      dryRun: params.dryRun,
      removed: [{ snapshot: 'auto-2026-12-06-0100', reason: 'not kept by keep_hourly 1' }],
      kept: [
        { snapshot: 'auto-2026-12-06-0200', reason: 'keep_hourly 1 (2026-12-06 02:00)' },
        { snapshot: 'baseline', reason: 'keep forever' },
      ],
      failed: [],
    };
  };
  const program = new Command('nova').option('--json', '', false).exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const ctx: CliContext = {
    io: { stdout: (t) => (stdout += t), stderr: () => undefined },
    globals: () => ({ socket: '', stateDir: '', json: false, autostart: false }),
    connectHelper: async () =>
      ({ call: async (m: string, p: { name?: string }) => (calls.push([m, p]), answer(m, p)), close: () => undefined }) as unknown as HelperClient,
  };
  const snapshot = program.command('snapshot').exitOverride();
  registerSnapshotPruneCommand(snapshot, ctx);
  snapshot.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined }));
  let error: unknown = null;
  await program.parseAsync(argv, { from: 'user' }).catch((e: unknown) => (error = e));
  return { stdout, calls, error };
}

describe('nova snapshot prune', () => {
  it('with --dry-run lists what would go and why, and what stays and why', async () => {
    const r = await run(['snapshot', 'prune', 'db', '--dry-run'], { vm: ['db'], capsule: [] });
    expect(r.error).toBeNull();
    expect(r.calls.filter(([m]) => m.endsWith('Prune'))).toEqual([['vm.snapshotPrune', { name: 'db', dryRun: true }]]);
    expect(r.stdout).toBe(
      [
        'vm db: would remove 1, keeps 2',
        '  - auto-2026-12-06-0100  not kept by keep_hourly 1',
        '    auto-2026-12-06-0200  kept: keep_hourly 1 (2026-12-06 02:00)',
        '    baseline              kept: keep forever',
        '',
      ].join('\n'),
    );
  });

  it('without a name prunes every guest with a policy, of both kinds', async () => {
    const r = await run(['snapshot', 'prune'], { vm: ['db'], capsule: ['web'] });
    expect(r.calls.filter(([m]) => m.endsWith('Prune'))).toEqual([
      ['vm.snapshotPrune', { name: 'db', dryRun: false }],
      ['capsule.snapshotPrune', { name: 'web', dryRun: false }],
    ]);
    expect(r.stdout).toContain('capsule web: removed 1, keeps 2\n');
  });

  it('says so when the guest has no policy', async () => {
    const r = await run(['snapshot', 'prune', 'nope'], { vm: [], capsule: [] });
    expect((r.error as Error).message).toMatch(/no VM or capsule named nope has a snapshot policy/);
  });
});
