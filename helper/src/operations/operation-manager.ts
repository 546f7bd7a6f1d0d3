// The registry of operations: each long action runs as one, holding its resources'
// locks, reporting progress, cancellable through its AbortSignal, and undoing what it
// made when it fails or is cancelled. Finished ones stay listed (and on disk) for a while.
import { randomBytes } from 'node:crypto';
import { NovaError, isNovaError, toErrorShape } from '../../../src-shared/errors.js';
import {
  OperationSchema,
  describeResource,
  type Operation,
  type OperationKind,
  type OperationProgress,
  type ResourceRef,
} from '../../../src-shared/operation.js';
import { type RecordStore, type RecordFormat } from '../state/record-store.js';
import type { Logger } from '../util/logger.js';
import { DEFAULT_LOCK_WAIT_MS, LockTable } from './lock-table.js';

/** Who asks, as the RPC layer knows them; null for Nova's own work. */
export interface Requester {
  caller: { uid: number; pid: number };
  /** Told the id as soon as the operation exists (the RPC layer tells the client). */
  onOperation?: (id: string) => void;
  /**
   * Calls `listener` once when the requester's connection closes (at once if it has);
   * returns the unregistering function. Absent where there is no connection.
   */
  onDisconnect?: (listener: () => void) => () => void;
}

export interface OperationSpec {
  kind: OperationKind;
  resource: ResourceRef;
  /** "snapshot 'pre-upgrade'", "clone to web2": the lock message and the activity panel show it. */
  title: string;
  /** Held for the whole operation; default the resource itself. */
  locks?: readonly ResourceRef[];
  lockWaitMs?: number;
}

export interface ProgressUpdate {
  phase?: string;
  fraction?: number | null;
  bytesDone?: number | null;
  bytesTotal?: number | null;
  /** False while a step runs that cannot be interrupted: cancel then waits for its end. */
  cancellable?: boolean;
}

export interface OperationHandle {
  readonly id: string;
  /** Aborted on cancel: hand it to every child process and wait. */
  readonly signal: AbortSignal;
  progress(update: ProgressUpdate): void;
  /** Between steps: throws `cancelled` when a cancel was asked for. */
  throwIfCancelled(): void;
  /** Runs (newest first) when the operation fails or is cancelled, to remove what it made. */
  onUndo(undo: () => Promise<unknown> | void): void;
}

export const OPERATION_RECORD: RecordFormat<Operation> = { what: 'operation', version: 1, schema: OperationSchema };

export interface OperationManagerOptions {
  logger: Logger;
  emit: (op: Operation) => void;
  /** Where finished operations are kept across restarts; none in unit tests. */
  store?: RecordStore<Operation>;
  locks?: LockTable;
  /** Finished operations kept listed. */
  keepFinished?: number;
  /** Progress events per operation at most this often. */
  progressIntervalMs?: number;
}

interface Live {
  op: Operation;
  controller: AbortController;
  lastEmit: number;
  pendingEmit: NodeJS.Timeout | null;
}

export class OperationManager {
  readonly locks: LockTable;
  private readonly live = new Map<string, Live>();
  private finished: Operation[] = [];
  private readonly keep: number;
  private readonly interval: number;

  constructor(private readonly o: OperationManagerOptions) {
    this.locks = o.locks ?? new LockTable();
    this.keep = o.keepFinished ?? 100;
    this.interval = o.progressIntervalMs ?? 250;
  }

  /** Loads the kept history; operations that were running when the helper stopped end as failed. */
  async init(): Promise<void> {
    if (!this.o.store) return;
    const { records, damaged } = await this.o.store.loadAll();
    for (const d of damaged) {
      this.o.logger.warn({ file: d.file, problem: d.problem }, 'dropping a damaged operation record');
      await this.o.store.remove(d.name);
    }
    for (const op of records.values()) {
      if (op.state === 'running') {
        const ended: Operation = {
          ...op,
          state: 'failed',
          finishedAt: new Date().toISOString(),
          error: { code: 'internal', message: `the Nova helper stopped while ${op.title} ran; run it again` },
        };
        await this.o.store.save(ended.id, ended);
        this.finished.push(ended);
      } else {
        this.finished.push(op);
      }
    }
    this.finished.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    await this.prune();
  }

  /** Runs `work` as an operation; resolves with its result, or rejects (`cancelled` when cancelled). */
  async run<T>(spec: OperationSpec, requester: Requester | null, work: (op: OperationHandle) => Promise<T>): Promise<T> {
    const id = this.newId();
    const uid = requester?.caller.uid ?? null;
    const release = await this.locks.acquire({
      resources: spec.locks ?? [spec.resource],
      holder: { label: spec.title, operationId: id, uid },
      waitMs: spec.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
    });
    const controller = new AbortController();
    const live: Live = {
      op: {
        id,
        kind: spec.kind,
        resource: spec.resource,
        title: spec.title,
        state: 'running',
        progress: { phase: 'starting', fraction: null, bytesDone: null, bytesTotal: null },
        startedAt: new Date().toISOString(),
        finishedAt: null,
        error: null,
        owner: requester ? { uid: requester.caller.uid, pid: requester.caller.pid } : null,
        cancellable: true,
        cancelRequested: false,
      },
      controller,
      lastEmit: 0,
      pendingEmit: null,
    };
    const undos: Array<() => Promise<unknown> | void> = [];
    try {
      this.live.set(id, live);
      requester?.onOperation?.(id);
      this.changed(live, true);
      await this.persist(live.op);
      const handle: OperationHandle = {
        id,
        signal: controller.signal,
        progress: (update) => this.progress(live, update),
        throwIfCancelled: () => {
          if (controller.signal.aborted) throw this.cancelledError(live);
        },
        onUndo: (undo) => undos.push(undo),
      };
      const result = await work(handle);
      await this.finish(live, 'succeeded', null);
      return result;
    } catch (err) {
      const cancelled = controller.signal.aborted;
      if (undos.length > 0) {
        this.progress(live, { phase: cancelled ? 'cancelling: removing what was made' : 'failed: removing what was made', fraction: null, cancellable: false });
        for (const undo of undos.reverse()) {
          try {
            await undo();
          } catch (undoErr) {
            this.o.logger.warn({ err: undoErr, operation: id }, 'could not undo a step of an operation');
          }
        }
      }
      // The engine's own words win when it says what cancelling left behind.
      const error = cancelled ? (isNovaError(err, 'cancelled') ? err : this.cancelledError(live)) : err;
      await this.finish(live, cancelled ? 'cancelled' : 'failed', toErrorShape(error));
      throw error;
    } finally {
      release();
    }
  }

  /** Holds a resource for a short action (stop, pause): not listed as an operation, but named in `locked`. */
  async exclusive<T>(resources: readonly ResourceRef[], label: string, requester: Requester | null, work: () => Promise<T>, waitMs = DEFAULT_LOCK_WAIT_MS): Promise<T> {
    return this.locks.withLocks({ resources, holder: { label, uid: requester?.caller.uid ?? null }, waitMs }, work);
  }

  list(filter: { resource?: ResourceRef; state?: 'running' | 'all' } = {}): Operation[] {
    const running = [...this.live.values()].map((l) => l.op);
    const all = filter.state === 'running' ? running : [...running, ...this.finished];
    return all
      .filter((op) => !filter.resource || (op.resource.kind === filter.resource.kind && op.resource.name === filter.resource.name))
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  get(id: string): Operation {
    const op = this.live.get(id)?.op ?? this.finished.find((f) => f.id === id);
    if (!op) throw new NovaError('not_found', `There is no operation ${id} (finished ones are kept for a while, then forgotten)`);
    return op;
  }

  /** Asks a running operation to stop; it ends as `cancelled` once its engine has cleaned up. */
  cancel(id: string, by: { uid: number } | null): Operation {
    const live = this.live.get(id);
    if (!live) {
      const op = this.get(id);
      throw new NovaError('failed_precondition', `Operation ${id} (${op.title} of ${describeResource(op.resource)}) already ${op.state}`);
    }
    if (!live.op.cancelRequested) {
      this.o.logger.info({ operation: id, uid: by?.uid ?? null }, 'cancel requested');
      live.op = { ...live.op, cancelRequested: true };
      live.controller.abort(this.cancelledError(live, by));
      this.changed(live, true);
    }
    return live.op;
  }

  /** Cancels everything under way (helper shutdown) and waits a bounded time for it to end. */
  async cancelAll(waitMs = 10_000): Promise<void> {
    for (const id of this.live.keys()) this.cancel(id, null);
    const deadline = Date.now() + waitMs;
    while (this.live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  private progress(live: Live, update: ProgressUpdate): void {
    if (live.op.state !== 'running') return;
    const prev = live.op.progress;
    const next: OperationProgress = {
      phase: update.phase ?? prev.phase,
      fraction: update.fraction === undefined ? (update.phase !== undefined ? null : prev.fraction) : clampFraction(update.fraction),
      bytesDone: update.bytesDone === undefined ? (update.phase !== undefined ? null : prev.bytesDone) : update.bytesDone,
      bytesTotal: update.bytesTotal === undefined ? (update.phase !== undefined ? null : prev.bytesTotal) : update.bytesTotal,
    };
    const cancellable = update.cancellable ?? (update.phase !== undefined ? true : live.op.cancellable);
    const stepChanged = next.phase !== prev.phase || cancellable !== live.op.cancellable;
    live.op = { ...live.op, progress: next, cancellable };
    this.changed(live, stepChanged);
  }

  /** Emits now for state and step changes; progress within a step at most every `interval` ms. */
  private changed(live: Live, now: boolean): void {
    const since = Date.now() - live.lastEmit;
    if (now || since >= this.interval) {
      if (live.pendingEmit) clearTimeout(live.pendingEmit);
      live.pendingEmit = null;
      live.lastEmit = Date.now();
      this.o.emit(live.op);
      return;
    }
    live.pendingEmit ??= setTimeout(() => {
      live.pendingEmit = null;
      if (live.op.state === 'running') this.changed(live, true);
    }, this.interval - since);
  }

  private async finish(live: Live, state: Operation['state'], error: Operation['error']): Promise<void> {
    const progress = state === 'succeeded' ? { ...live.op.progress, phase: 'done', fraction: 1 } : live.op.progress;
    live.op = { ...live.op, state, error, progress, finishedAt: new Date().toISOString(), cancellable: false };
    this.live.delete(live.op.id);
    this.finished.push(live.op);
    this.changed(live, true);
    this.o.logger.info({ operation: live.op.id, kind: live.op.kind, resource: live.op.resource, state, error: error?.message }, 'operation ended');
    await this.persist(live.op);
    await this.prune();
  }

  private cancelledError(live: Live, by?: { uid: number } | null): NovaError {
    const reason = live.controller.signal.reason;
    if (reason instanceof NovaError) return reason;
    const who = by === undefined ? '' : by === null ? ' by Nova' : ` by uid ${by.uid}`;
    return new NovaError('cancelled', `${capitalize(live.op.title)} of ${describeResource(live.op.resource)} was cancelled${who}`, { operationId: live.op.id });
  }

  private async persist(op: Operation): Promise<void> {
    try {
      await this.o.store?.save(op.id, op);
    } catch (err) {
      this.o.logger.warn({ err, operation: op.id }, 'could not record an operation');
    }
  }

  private async prune(): Promise<void> {
    while (this.finished.length > this.keep) {
      const old = this.finished.shift()!;
      await this.o.store?.remove(old.id).catch(() => undefined);
    }
  }

  private newId(): string {
    for (;;) {
      const id = randomBytes(4).toString('hex');
      if (!this.live.has(id) && !this.finished.some((f) => f.id === id)) return id;
    }
  }
}

function clampFraction(f: number | null): number | null {
  if (f === null || !Number.isFinite(f)) return null;
  return Math.min(1, Math.max(0, f));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
