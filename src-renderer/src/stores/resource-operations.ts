// One operation at a time per resource (a VM, a capsule): the label shows while it runs,
// a failure is kept beside the resource until dismissed, and the list refetches after.
// Shared by the per-feature stores so each button behaves the same everywhere.
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import type { NovaClient } from '../transport/nova-client.js';

export interface OperationFailure {
  readonly what: string;
  readonly error: ErrorShape;
}

export interface OperationState {
  readonly pending: Readonly<Record<string, string>>;
  readonly failures: Readonly<Record<string, OperationFailure>>;
  readonly load: () => Promise<void>;
}

type Get<S> = () => S;
type Set = (partial: Partial<OperationState>) => void;

/** Runs `op` for `name` unless one is already running; resolves false when refused or failed. */
export async function runResourceOperation<S extends OperationState>(
  get: Get<S>,
  set: Set,
  name: string,
  label: string,
  op: () => Promise<unknown>,
): Promise<boolean> {
  if (get().pending[name]) return false;
  set({ pending: { ...get().pending, [name]: label }, failures: without(get().failures, name) });
  try {
    await op();
    return true;
  } catch (err) {
    set({ failures: { ...get().failures, [name]: { what: label.replace(/…$/, ''), error: toErrorShape(err) } } });
    return false;
  } finally {
    set({ pending: without(get().pending, name) });
    void get().load();
  }
}

export function dismissResourceFailure<S extends OperationState>(get: Get<S>, set: Set, name: string): void {
  set({ failures: without(get().failures, name) });
}

/** Calls `listener` each time the link to Nova comes back after being down (events may have been missed). */
export function onReconnected(client: Pick<NovaClient, 'getState' | 'onStateChange'>, listener: () => void): () => void {
  let wasConnected = client.getState().status === 'connected';
  return client.onStateChange((state) => {
    const connected = state.status === 'connected';
    if (connected && !wasConnected) listener();
    wasConnected = connected;
  });
}

/**
 * Coalesces a burst of change events (a start emits several state changes) into one
 * refetch `delayMs` after the first; `cancel` drops a pending one when the store goes.
 */
export function debouncedRefetch(load: () => Promise<void>, delayMs: number): { trigger: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    trigger: () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void load();
      }, delayMs);
    },
    cancel: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** A copy of `record` without `key`: the stores' records are replaced, never changed in place. */
export function without<V>(record: Readonly<Record<string, V>>, key: string): Record<string, V> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}
