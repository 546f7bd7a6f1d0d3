// How `nova op` shows operations: a table of the running and recent ones, and one
// operation in full. Pure text from Operation values; the command file does the I/O
// (helper calls, the user-name lookup) and operation-call.ts draws live progress.
import { describeResource, type Operation, type ResourceRef } from '../../src-shared/operation.js';
import { formatProgress } from './operation-call.js';

/** Names a uid ("root", "alice"), or null when this host does not know it. */
export type UserName = (uid: number) => string | null;

/** "12s", "4m", "2h", "3d": how long ago, as ps and docker print it. */
export function formatAge(fromIso: string, nowMs: number): string {
  const seconds = Math.max(0, Math.floor((nowMs - Date.parse(fromIso)) / 1000));
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** "Nova" for its own work, the user's name where known, else the uid. */
export function formatOwner(owner: Operation['owner'], userName: UserName): string {
  if (!owner) return 'Nova';
  return userName(owner.uid) ?? `uid ${owner.uid}`;
}

/** `image/base`: the syntax --resource takes back. */
export function formatResourceRef(ref: ResourceRef): string {
  return `${ref.kind}/${ref.name}`;
}

/** The state as a word; a running operation asked to stop says so. */
export function formatState(op: Operation): string {
  return op.state === 'running' && op.cancelRequested ? 'cancelling' : op.state;
}

/** What the PROGRESS column says: how far a running one is, how a finished one ended. */
export function progressCell(op: Operation): string {
  switch (op.state) {
    case 'running': {
      const p = op.progress;
      return p.fraction === null ? p.phase : `${Math.floor(p.fraction * 100)}% ${p.phase}`;
    }
    case 'succeeded':
      return 'done';
    case 'cancelled':
      return 'cancelled';
    case 'failed':
      return op.error ? `${op.error.code}: ${op.error.message}` : 'failed';
  }
}

const COLUMNS = ['ID', 'KIND', 'RESOURCE', 'STATE', 'PROGRESS', 'AGE', 'OWNER'] as const;
const MAX_PROGRESS_WIDTH = 48;

export function formatOperationTable(ops: readonly Operation[], nowMs: number, userName: UserName): string {
  if (ops.length === 0) return 'No operations running or recently finished.\n';
  const rows = ops.map((op) => [
    op.id,
    op.kind,
    formatResourceRef(op.resource),
    formatState(op),
    truncate(progressCell(op), MAX_PROGRESS_WIDTH),
    formatAge(op.startedAt, nowMs),
    formatOwner(op.owner, userName),
  ]);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(COLUMNS), ...rows.map(line)].join('\n') + '\n';
}

/** One operation in full, for `nova op show`. */
export function formatOperationDetails(op: Operation, nowMs: number, userName: UserName): string {
  const started = `${op.startedAt} (${formatAge(op.startedAt, nowMs)} ago)`;
  const by = op.owner ? `${formatOwner(op.owner, userName)}, pid ${op.owner.pid}` : 'Nova';
  const lines: Array<[string, string]> = [
    ['Kind', op.kind],
    ['Resource', describeResource(op.resource)],
    ['State', stateDetail(op)],
    ['Progress', op.state === 'running' ? formatProgress(op) : progressCell(op)],
    ['Started', `${started} by ${by}`],
  ];
  if (op.finishedAt) lines.push(['Finished', `${op.finishedAt} (after ${formatAge(op.startedAt, Date.parse(op.finishedAt))})`]);
  if (op.error) lines.push(['Error', `${op.error.message} [${op.error.code}]`]);
  const width = Math.max(...lines.map(([k]) => k.length)) + 1;
  return [`Operation ${op.id}: ${op.title}`, ...lines.map(([k, v]) => `  ${`${k}:`.padEnd(width)} ${v}`)].join('\n') + '\n';
}

function stateDetail(op: Operation): string {
  if (op.state !== 'running') return op.state;
  if (op.cancelRequested) return op.cancellable ? 'running, cancelling' : 'running, cancelling after the step under way';
  return op.cancellable ? 'running (nova op cancel stops it)' : 'running (a cancel waits for the step under way)';
}

function truncate(text: string, width: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= width ? oneLine : `${oneLine.slice(0, width - 1)}…`;
}
