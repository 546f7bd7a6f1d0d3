// How the activity panel and the resource pages word an operation: its kind, its state
// (as a tone for colour and a word for everyone), how far it is, who started it and
// where its resource lives in the app. Pure, so the wording is tested once.
import { resourceHref } from '../../../src-shared/resource-page.js';
import type { ErrorShape } from '../../../src-shared/errors.js';
import type { Operation, OperationKind, ResourceRef } from '../../../src-shared/operation.js';
import { formatBytes } from './vm-format.js';

const KIND_LABELS: Record<OperationKind, string> = {
  'vm.create': 'VM creation',
  'vm.start': 'VM start',
  'vm.clone': 'VM clone',
  'vm.suspend': 'Suspend to disk',
  'vm.snapshotCreate': 'Snapshot',
  'vm.snapshotRestore': 'Snapshot restore',
  'vm.snapshotDelete': 'Snapshot deletion',
  'vm.migrateIncoming': 'Incoming migration',
  'vm.migrateSend': 'Migration',
  'vm.moveSend': 'Move to another host',
  'image.import': 'Disk import',
  'ociImage.pull': 'Image pull',
  'ociImage.import': 'Image import',
  'capsule.create': 'Capsule creation',
  'capsule.snapshotCreate': 'Snapshot',
  'capsule.snapshotRestore': 'Snapshot restore',
  'capsule.snapshotDelete': 'Snapshot deletion',
  'capsule.moveSend': 'Move to another host',
  'network.create': 'Network creation',
  'network.update': 'Network change',
  'project.apply': 'NovaFile apply',
  'device.bind': 'Device binding',
  'device.restore': 'Device restore',
};

export function kindLabel(kind: OperationKind): string {
  return KIND_LABELS[kind];
}

/** What a resource's state badge says while the operation runs on it. */
const KIND_BUSY: Record<OperationKind, string> = {
  'vm.create': 'Creating',
  'vm.start': 'Starting',
  'vm.clone': 'Cloning',
  'vm.suspend': 'Suspending',
  'vm.snapshotCreate': 'Taking a snapshot',
  'vm.snapshotRestore': 'Restoring a snapshot',
  'vm.snapshotDelete': 'Deleting a snapshot',
  'vm.migrateIncoming': 'Arriving from another host',
  'vm.migrateSend': 'Moving to another host',
  'vm.moveSend': 'Copying to another host',
  'image.import': 'Importing',
  'ociImage.pull': 'Pulling',
  'ociImage.import': 'Importing',
  'capsule.create': 'Creating',
  'capsule.snapshotCreate': 'Taking a snapshot',
  'capsule.snapshotRestore': 'Restoring a snapshot',
  'capsule.snapshotDelete': 'Deleting a snapshot',
  'capsule.moveSend': 'Copying to another host',
  'network.create': 'Creating',
  'network.update': 'Changing',
  'project.apply': 'Applying a NovaFile',
  'device.bind': 'Binding to vfio-pci',
  'device.restore': 'Restoring the host driver',
};

/** "Cloning…", or "Cancelling…" once a cancel was asked for. */
export function busyStatus(op: Pick<Operation, 'kind' | 'cancelRequested'>): string {
  return op.cancelRequested ? 'Cancelling…' : `${KIND_BUSY[op.kind]}…`;
}

/** running and cancelling read as under way; the rest as how it ended. */
export type OperationTone = 'running' | 'cancelling' | 'ok' | 'fail' | 'cancelled';

export interface OperationStatus {
  readonly tone: OperationTone;
  readonly text: string;
}

export function operationStatus(op: Pick<Operation, 'state' | 'cancelRequested'>): OperationStatus {
  switch (op.state) {
    case 'running':
      return op.cancelRequested ? { tone: 'cancelling', text: 'Cancelling' } : { tone: 'running', text: 'Running' };
    case 'succeeded':
      return { tone: 'ok', text: 'Succeeded' };
    case 'failed':
      return { tone: 'fail', text: 'Failed' };
    case 'cancelled':
      return { tone: 'cancelled', text: 'Cancelled' };
  }
}

/** "42 %", "1.2 GiB of 3.0 GiB": what the numbers say, empty when the engine cannot tell. */
export function progressNumbers(op: Pick<Operation, 'progress'>): string {
  const p = op.progress;
  const parts: string[] = [];
  if (p.fraction !== null) parts.push(`${Math.floor(p.fraction * 100)} %`);
  if (p.bytesDone !== null) parts.push(p.bytesTotal !== null ? `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : formatBytes(p.bytesDone));
  return parts.join(' · ');
}

/** The progress bar's fill, 0..1, or null for a step of unknown length. */
export function progressFraction(op: Pick<Operation, 'progress'>): number | null {
  const { fraction, bytesDone, bytesTotal } = op.progress;
  if (fraction !== null) return fraction;
  if (bytesDone !== null && bytesTotal) return Math.min(1, bytesDone / bytesTotal);
  return null;
}

/** What the Cancel button and the note beside it say while a cancel is under way. */
export function cancelNote(op: Pick<Operation, 'cancelRequested' | 'cancellable' | 'state'>): string | null {
  if (op.state !== 'running') return null;
  if (op.cancelRequested) return op.cancellable ? 'Stopping and removing what it made…' : 'Stops after the step under way…';
  return op.cancellable ? null : 'A cancel now waits for the step under way';
}

export function ownerText(owner: Operation['owner']): string {
  return owner ? `uid ${owner.uid}` : 'Nova';
}

/** The page of the resource an operation works on; null when the app has none. */
export { resourceHref };

/** Running first (newest first), then the finished ones by when they ended, newest first. */
export function sortOperations(ops: Iterable<Operation>): Operation[] {
  const key = (op: Operation) => op.finishedAt ?? op.startedAt;
  return [...ops].sort((a, b) => {
    const running = Number(b.state === 'running') - Number(a.state === 'running');
    return running !== 0 ? running : key(b).localeCompare(key(a));
  });
}

export function sameResource(a: ResourceRef, b: ResourceRef): boolean {
  return a.kind === b.kind && a.name === b.name;
}

/** The operation a `locked` refusal names as holding the resource, if it names one. */
export function lockingOperation(error: ErrorShape): string | null {
  const details = error.details;
  if (error.code !== 'locked' || typeof details !== 'object' || details === null || !('operationId' in details)) return null;
  return typeof details.operationId === 'string' ? details.operationId : null;
}
