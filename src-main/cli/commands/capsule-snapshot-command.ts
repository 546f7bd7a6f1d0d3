// The capsule side of `nova snapshot`, in the VM side's words: `nova snapshot capsule NAME
// [SNAPSHOT]` takes one, `nova snapshot ls|restore|rm capsule NAME ...` list, restore and
// delete (vm-command.ts sends the `capsule` kind here). Long ones show their operation's
// progress and Ctrl+C cancels them, as for VMs.
import type { Command } from 'commander';
import type { CapsuleSnapshot } from '../../../src-shared/capsule.js';
import { withHelper, type CliContext } from '../cli-context.js';
import { callOperation, formatBytes, progressStyleFor } from '../operation-call.js';
import { nameArg } from './option-parsers.js';

/** A name a capsule snapshot may take (lowercase: it names a directory beside the capsule's). */
export function defaultCapsuleSnapshotName(now: Date = new Date()): string {
  return `snap-${now.toISOString().replace(/[:.]/g, '-').toLowerCase()}`;
}

export function formatCapsuleSnapshots(snapshots: readonly CapsuleSnapshot[]): string {
  if (snapshots.length === 0) return 'No snapshots yet: take one with nova snapshot capsule NAME\n';
  const width = Math.max(24, ...snapshots.map((s) => s.name.length));
  const rows = snapshots.map((s) => {
    const size = s.sizeBytes === null ? '-' : formatBytes(s.sizeBytes);
    const notes = [s.keepForever ? 'kept forever' : '', s.scheduled ? 'scheduled' : ''].filter(Boolean).join(', ');
    return `${s.name.padEnd(width)} ${s.kind.padEnd(7)} ${size.padEnd(10)} ${s.createdAt}${notes ? `  ${notes}` : ''}`;
  });
  return [`${'NAME'.padEnd(width)} ${'KIND'.padEnd(7)} ${'SIZE'.padEnd(10)} CREATED`, ...rows].join('\n') + '\n';
}

export function registerCapsuleSnapshotCommand(snap: Command, ctx: CliContext): void {
  const out = (text: string) => ctx.io.stdout(text.endsWith('\n') ? text : text + '\n');
  snap
    .command('capsule <name> [snapshot]')
    .description('Take a snapshot of a capsule\'s writable layer (a running capsule is frozen meanwhile)')
    .option('--name <snapshot>', 'the snapshot name, as the second argument (default: a timestamp): lowercase letters, digits, "-" and "_"', nameArg('capsule-snapshot'))
    .option('--keep-forever', "never pruned by the capsule's snapshot policy", false)
    .option('--json', 'machine-readable output')
    .action(async (name: string, positional: string | undefined, o: { name?: string; keepForever: boolean; json?: boolean }) => {
      const json = o.json === true || ctx.globals().json;
      const snapshot = positional ?? o.name ?? defaultCapsuleSnapshotName();
      const s = await withHelper(ctx, (h) =>
        callOperation(h, 'capsule.snapshotCreate', { name, snapshot, keepForever: o.keepForever }, { write: ctx.io.stderr, style: progressStyleFor(json) }),
      );
      out(json ? JSON.stringify(s, null, 2) : `${name}: snapshot ${s.name}${s.sizeBytes === null ? '' : ` (${formatBytes(s.sizeBytes)})`}${s.keepForever ? ', kept forever' : ''}`);
    });
}

/** `nova snapshot ls capsule NAME`. */
export async function listCapsuleSnapshots(ctx: CliContext, name: string, json: boolean): Promise<string> {
  const { snapshots } = await withHelper(ctx, (h) => h.call('capsule.snapshotList', { name }));
  return json ? JSON.stringify({ snapshots }, null, 2) + '\n' : formatCapsuleSnapshots(snapshots);
}

/** `nova snapshot restore|rm capsule NAME SNAPSHOT`: what it did, in words. */
export async function actOnCapsuleSnapshot(ctx: CliContext, verb: 'restore' | 'rm', name: string, snapshot: string): Promise<string> {
  const method = verb === 'restore' ? 'capsule.snapshotRestore' : 'capsule.snapshotDelete';
  await withHelper(ctx, (h) => callOperation(h, method, { name, snapshot }, { write: ctx.io.stderr, style: progressStyleFor(ctx.globals().json) }));
  return verb === 'restore' ? `${name}: restored ${snapshot}; its writable layer is as it was then\n` : `${name}: deleted snapshot ${snapshot}\n`;
}
