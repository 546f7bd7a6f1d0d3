// One lock per resource, held by whoever acts on it: an operation or a short action.
// A request waits a bounded time for a busy resource and is then refused as `locked`,
// naming the holder, rather than queueing silently behind a five-minute clone. Several
// resources are taken together or not at all, so two opposite clones cannot deadlock.
import { NovaError } from '../../../src-shared/errors.js';
import { describeResource, type ResourceRef } from '../../../src-shared/operation.js';

export interface LockHolder {
  /** What holds it, in words: "start", "snapshot 'pre-upgrade'". */
  label: string;
  operationId?: string;
  /** The uid that asked; null for Nova's own work. */
  uid: number | null;
}

export interface LockRequest {
  resources: readonly ResourceRef[];
  holder: LockHolder;
  /** How long to wait for a busy resource before `locked` (Infinity: until free). */
  waitMs: number;
}

interface Held extends LockHolder {
  since: number;
}

interface Waiter {
  keys: string[];
  holder: Held;
  grant: () => void;
}

/** Requests from people wait this long: enough for a short action ahead to finish. */
export const DEFAULT_LOCK_WAIT_MS = 3_000;

export class LockTable {
  private readonly held = new Map<string, Held>();
  private readonly queue: Waiter[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Runs `work` holding every resource in `request`; releases them whatever happens. */
  async withLocks<T>(request: LockRequest, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(request);
    try {
      return await work();
    } finally {
      release();
    }
  }

  async acquire(request: LockRequest): Promise<() => void> {
    const keys = [...new Set(request.resources.map(keyOf))].sort();
    const holder: Held = { ...request.holder, since: this.now() };
    if (this.canGrant(keys, this.queue.length)) {
      this.take(keys, holder);
      return this.releaser(keys, holder);
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { keys, holder, grant: resolve };
      this.queue.push(waiter);
      if (!Number.isFinite(request.waitMs)) return;
      const timer = setTimeout(() => {
        const at = this.queue.indexOf(waiter);
        if (at === -1) return; // granted in the meantime
        this.queue.splice(at, 1);
        reject(this.busyError(request.resources, keys));
        this.grantWaiting(); // a waiter behind this one may now fit
      }, request.waitMs);
      waiter.grant = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    holder.since = this.now();
    return this.releaser(keys, holder);
  }

  /** The holder of a resource, if any. */
  holderOf(resource: ResourceRef): (LockHolder & { since: number }) | null {
    return this.held.get(keyOf(resource)) ?? null;
  }

  isBusy(resource: ResourceRef): boolean {
    return this.held.has(keyOf(resource));
  }

  /** Free now, and not wanted by an earlier waiter (first come, first served). */
  private canGrant(keys: string[], before: number): boolean {
    if (keys.some((k) => this.held.has(k))) return false;
    for (let i = 0; i < before; i++) {
      if (this.queue[i]!.keys.some((k) => keys.includes(k))) return false;
    }
    return true;
  }

  private take(keys: string[], holder: Held): void {
    for (const k of keys) this.held.set(k, holder);
  }

  private releaser(keys: string[], holder: Held): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of keys) if (this.held.get(k) === holder) this.held.delete(k);
      this.grantWaiting();
    };
  }

  private grantWaiting(): void {
    for (let i = 0; i < this.queue.length; ) {
      const w = this.queue[i]!;
      if (this.canGrant(w.keys, i)) {
        this.queue.splice(i, 1);
        this.take(w.keys, w.holder);
        w.grant();
      } else {
        i++;
      }
    }
  }

  private busyError(resources: readonly ResourceRef[], keys: string[]): NovaError {
    const busyKey = keys.find((k) => this.held.has(k));
    if (busyKey) return busy(resources, busyKey, this.held.get(busyKey)!, 'started', this.now());
    // Free, but promised to an earlier request that waits for it with others (a clone of
    // two VMs): that request is what the caller waits behind, so it is the one named.
    const ahead = this.queue.find((w) => w.keys.some((k) => keys.includes(k)));
    if (ahead) return busy(resources, ahead.keys.find((k) => keys.includes(k))!, ahead.holder, 'waiting', this.now());
    return new NovaError('locked', `${describeResource(resources[0]!)} is busy`, { resource: resources[0]! });
  }
}

function busy(resources: readonly ResourceRef[], key: string, h: Held, how: 'started' | 'waiting', now: number): NovaError {
  const ref = resources.find((r) => keyOf(r) === key) ?? resources[0]!;
  const ago = Math.max(0, Math.round((now - h.since) / 1000));
  const by = h.uid === null ? 'by Nova' : `by uid ${h.uid}`;
  const what = how === 'started' ? `${h.label} (started ${ago} s ago ${by})` : `${h.label} is waiting for it (asked ${ago} s ago ${by})`;
  return new NovaError('locked', `${describeResource(ref)} is busy: ${what}`, {
    resource: ref,
    holder: h.label,
    ...(h.operationId ? { operationId: h.operationId } : {}),
    since: new Date(h.since).toISOString(),
  });
}

function keyOf(ref: ResourceRef): string {
  return `${ref.kind}:${ref.name}`;
}
