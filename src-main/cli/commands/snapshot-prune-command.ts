// `nova snapshot prune [NAME] [--dry-run]`: applies the retention rules of one guest's
// snapshot policy (a VM's, a capsule's, or both when each kind has a guest by that name
// with a policy), or of every guest that has one, and lists each snapshot removed (or
// that would be, with --dry-run) with the rule that decides it, then what stays and why.
import type { Command } from 'commander';
import { NovaError } from '../../../src-shared/errors.js';
import type { PruneResult } from '../../../src-shared/snapshot-policy.js';
import type { HelperClient } from '../../core/helper-client.js';
import { withHelper, type CliContext } from '../cli-context.js';

type Kind = 'vm' | 'capsule';
export interface KindPrune extends PruneResult {
  kind: Kind;
}

const KINDS: readonly Kind[] = ['vm', 'capsule'];

/** The guests to prune: NAME's policies of either kind, or every policy. */
async function targets(h: HelperClient, name: string | undefined): Promise<Array<{ kind: Kind; name: string }>> {
  if (name === undefined) {
    const [vms, capsules] = await Promise.all([h.call('vm.snapshotPolicyList', {}), h.call('capsule.snapshotPolicyList', {})]);
    return [...vms.map((p) => ({ kind: 'vm' as const, name: p.name })), ...capsules.map((p) => ({ kind: 'capsule' as const, name: p.name }))];
  }
  const [vm, capsule] = await Promise.all([h.call('vm.snapshotPolicyGet', { name }), h.call('capsule.snapshotPolicyGet', { name })]);
  const found = KINDS.filter((k) => (k === 'vm' ? vm : capsule) !== null).map((kind) => ({ kind, name }));
  if (found.length === 0) {
    throw new NovaError('not_found', `no VM or capsule named ${name} has a snapshot policy; set one with [snapshots] in a NovaFile and nova up`);
  }
  return found;
}

export function formatPrune(results: readonly KindPrune[]): string {
  if (results.length === 0) return 'No guest has a snapshot policy: nothing to prune.\n';
  const lines: string[] = [];
  for (const r of results) {
    const verb = r.dryRun ? 'would remove' : 'removed';
    lines.push(`${r.kind} ${r.name}: ${verb} ${r.removed.length}, keeps ${r.kept.length}${r.failed.length > 0 ? `, ${r.failed.length} failed` : ''}`);
    const width = Math.max(0, ...[...r.removed, ...r.kept, ...r.failed].map((e) => e.snapshot.length));
    for (const e of r.removed) lines.push(`  - ${e.snapshot.padEnd(width)}  ${e.reason}`);
    for (const e of r.failed) lines.push(`  ! ${e.snapshot.padEnd(width)}  could not be removed: ${e.reason}`);
    for (const e of r.kept) lines.push(`    ${e.snapshot.padEnd(width)}  kept: ${e.reason}`);
  }
  return lines.join('\n') + '\n';
}

export function registerSnapshotPruneCommand(snapshot: Command, ctx: CliContext): void {
  snapshot
    .command('prune')
    .description("Remove the scheduled snapshots a guest's retention rules no longer keep (every guest with a policy when NAME is left out)")
    .argument('[name]', 'a VM or capsule with a snapshot policy')
    .option('--dry-run', 'only list what would be removed, and why', false)
    .option('--json', 'machine-readable output')
    .action(async (name: string | undefined, o: { dryRun: boolean; json?: boolean }) => {
      const results = await withHelper(ctx, async (h) => {
        const out: KindPrune[] = [];
        for (const t of await targets(h, name)) {
          const method = t.kind === 'vm' ? 'vm.snapshotPrune' : 'capsule.snapshotPrune';
          out.push({ kind: t.kind, ...(await h.call(method, { name: t.name, dryRun: o.dryRun })) });
        }
        return out;
      });
      ctx.io.stdout(o.json === true || ctx.globals().json ? JSON.stringify(results, null, 2) + '\n' : formatPrune(results));
      const failed = results.flatMap((r) => r.failed.map((f) => `${r.kind} ${r.name}: ${f.snapshot}`));
      if (failed.length > 0) throw new NovaError('internal', `some snapshots could not be removed: ${failed.join(', ')}`);
    });
}
