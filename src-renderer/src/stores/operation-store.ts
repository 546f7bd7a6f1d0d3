// The operations the helper runs and recently finished, for the activity panel and the
// resource pages. `operation.changed` carries the whole operation, so an event updates
// the store directly; `operation.list` is read at start and again on every (re)connect,
// when events may have been missed. Also whether the activity panel is open.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import { isOperationFinished, type Operation } from '../../../src-shared/operation.js';
import type { NovaClient } from '../transport/nova-client.js';
import { onReconnected, without } from './resource-operations.js';

/** Finished operations kept (the helper keeps about as many). */
const KEEP_FINISHED = 100;

export interface ActivityPanelState {
  readonly open: boolean;
  /** The operation to bring into view when it opens (from a "busy" error, say). */
  readonly highlight: string | null;
}

export interface OperationListState {
  readonly byId: Readonly<Record<string, Operation>>;
  /** False until the first list has been read. */
  readonly loaded: boolean;
  /** Why the last read of the list failed, if it did. */
  readonly error: ErrorShape | null;
  /** Cancels asked for and not yet answered. */
  readonly cancelling: Readonly<Record<string, true>>;
  /** Cancels the helper refused (already finished, not allowed), by operation. */
  readonly cancelErrors: Readonly<Record<string, ErrorShape>>;
  readonly panel: ActivityPanelState;
  readonly load: () => Promise<void>;
  readonly cancel: (id: string) => Promise<void>;
  readonly openPanel: (highlight?: string) => void;
  readonly closePanel: () => void;
}

export type OperationStore = StoreApi<OperationListState>;

/** Of two versions of one operation, the one to keep: an end is never undone by a late progress report. */
export function newerVersion(current: Operation | undefined, incoming: Operation): Operation {
  if (current && isOperationFinished(current) && !isOperationFinished(incoming)) return current;
  return incoming;
}

/** Every running operation and the newest finished ones. */
function pruned(byId: Record<string, Operation>): Record<string, Operation> {
  const finished = Object.values(byId)
    .filter(isOperationFinished)
    .sort((a, b) => (b.finishedAt ?? b.startedAt).localeCompare(a.finishedAt ?? a.startedAt));
  for (const op of finished.slice(KEEP_FINISHED)) delete byId[op.id];
  return byId;
}

export function createOperationStore(client: NovaClient): { store: OperationStore; dispose: () => void } {
  // Which read was under way when each operation last changed by event: a list answer
  // from before that change must not overwrite it.
  let readSeq = 0;
  const changedDuring = new Map<string, number>();

  const upsert = (op: Operation): void => {
    changedDuring.set(op.id, readSeq);
    store.setState((s) => ({ byId: pruned({ ...s.byId, [op.id]: newerVersion(s.byId[op.id], op) }) }));
  };

  const store = createStore<OperationListState>((set, get) => ({
    byId: {},
    loaded: false,
    error: null,
    cancelling: {},
    cancelErrors: {},
    panel: { open: false, highlight: null },
    load: async () => {
      const mine = ++readSeq;
      try {
        const { operations } = await client.call('operation.list', { state: 'all' });
        if (mine !== readSeq) return;
        const current = get().byId;
        const next: Record<string, Operation> = {};
        for (const op of operations) next[op.id] = op;
        for (const [id, seq] of changedDuring) {
          const known = current[id];
          // An event during the read is newer than the list, unless the list already has the end.
          if (seq >= mine && known) next[id] = newerVersion(next[id], known);
        }
        changedDuring.clear();
        set({ byId: pruned(next), loaded: true, error: null });
      } catch (err) {
        if (mine === readSeq) set({ error: toErrorShape(err) });
      }
    },
    cancel: async (id) => {
      if (get().cancelling[id]) return;
      set((s) => ({ cancelling: { ...s.cancelling, [id]: true }, cancelErrors: without(s.cancelErrors, id) }));
      try {
        upsert(await client.call('operation.cancel', { id }));
      } catch (err) {
        set((s) => ({ cancelErrors: { ...s.cancelErrors, [id]: toErrorShape(err) } }));
      } finally {
        set((s) => ({ cancelling: without(s.cancelling, id) }));
      }
    },
    openPanel: (highlight) => set({ panel: { open: true, highlight: highlight ?? null } }),
    closePanel: () => set({ panel: { open: false, highlight: null } }),
  }));

  const offChanged = client.on('operation.changed', upsert);
  // The helper came back (it may have restarted: what ran then has ended) or the link to
  // Nova did: events may have been missed either way, so read the whole list again.
  const offHelper = client.on('connection.changed', (p) => {
    if (p.connected) void store.getState().load();
  });
  const offState = onReconnected(client, () => void store.getState().load());
  if (client.getState().status === 'connected') void store.getState().load();

  return {
    store,
    dispose: () => {
      offChanged();
      offHelper();
      offState();
    },
  };
}

/** Running operations, newest first; of one resource when given. */
export function runningOperations(byId: Readonly<Record<string, Operation>>, filter?: (op: Operation) => boolean): Operation[] {
  return Object.values(byId)
    .filter((op) => op.state === 'running' && (!filter || filter(op)))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export function runningCount(state: Pick<OperationListState, 'byId'>): number {
  let n = 0;
  for (const op of Object.values(state.byId)) if (op.state === 'running') n++;
  return n;
}
