// Whether a resource is busy, and with what: an operation running on it (started in
// this window, another one, the CLI, or by Nova itself; a clone runs on its source) or a
// short action this window has in flight. The pages show it in the state badge and turn
// off the actions the helper would refuse as `locked`, saying why: "busy: clone to web2".
import type { Operation, ResourceKind, ResourceRef } from '../../../src-shared/operation.js';
import { busyStatus, sameResource } from '../lib/operation-format.js';

export interface ResourceBusy {
  /** The badge's words: "Cloning…", "Cancelling…", or this window's own "Stopping…". */
  readonly status: string;
  /** The title of the actions turned off: "busy: clone to web2". */
  readonly reason: string;
  /** The operation holding the resource; null for a short action of this window's. */
  readonly operationId: string | null;
}

type Operations = Readonly<Record<string, Operation>>;

/** The newest operation running on the resource, as the store holds it (a stable object for selectors). */
export function runningOn(byId: Operations, ref: ResourceRef): Operation | null {
  let newest: Operation | null = null;
  for (const op of Object.values(byId)) {
    if (op.state !== 'running' || !sameResource(op.resource, ref)) continue;
    if (!newest || op.startedAt > newest.startedAt) newest = op;
  }
  return newest;
}

/**
 * The operation wins over this window's label: it is what the helper holds the lock
 * for, and its title is how a `locked` refusal would name it.
 */
export function busyOf(op: Operation | null, localLabel?: string): ResourceBusy | null {
  if (op) return { status: busyStatus(op), reason: `busy: ${op.title}`, operationId: op.id };
  if (!localLabel) return null;
  const words = localLabel.replace(/…$/, '');
  return { status: localLabel, reason: `busy: ${words.charAt(0).toLowerCase()}${words.slice(1)}`, operationId: null };
}

/** Every busy resource of one kind by name, for a list's rows; `pending` is this window's labels by name. */
export function busyByName(byId: Operations, kind: ResourceKind, pending: Readonly<Record<string, string>> = {}): Readonly<Record<string, ResourceBusy>> {
  const names = new Set(Object.keys(pending));
  for (const op of Object.values(byId)) if (op.state === 'running' && op.resource.kind === kind) names.add(op.resource.name);
  const busy: Record<string, ResourceBusy> = {};
  for (const name of names) {
    const found = busyOf(runningOn(byId, { kind, name }), pending[name]);
    if (found) busy[name] = found;
  }
  return busy;
}
