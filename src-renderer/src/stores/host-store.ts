// The Host page's state: the last host report, the request in flight and the last
// error. `host.checked`, a helper that came back and a transport that reconnected are
// signals to re-read the (cached) report; only the Re-check button asks for a fresh probe.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { toErrorShape, type ErrorShape, type HostReport } from '../../../src-shared/index.js';
import type { NovaClient } from '../transport/nova-client.js';

/** `loading`: reading the report (cached is fine); `rechecking`: re-running every probe. */
export type HostPhase = 'idle' | 'loading' | 'rechecking';

export interface HostState {
  readonly report: HostReport | null;
  readonly phase: HostPhase;
  /** Epoch ms when the request in flight started, for the progress display. */
  readonly startedAt: number | null;
  readonly error: ErrorShape | null;
  /** Reads the report; ignored while another request is in flight. */
  readonly load: () => Promise<void>;
  /** Re-runs every probe; supersedes a load in flight. */
  readonly recheck: () => Promise<void>;
}

export type HostStore = StoreApi<HostState>;

export function createHostStore(
  client: NovaClient,
  now: () => number = Date.now,
): { store: HostStore; dispose: () => void } {
  // Only the newest request may write its answer, so a slow cached read never
  // overwrites the fresh report of a Re-check that started after it.
  let seq = 0;

  const run = async (phase: Exclude<HostPhase, 'idle'>): Promise<void> => {
    const mine = ++seq;
    store.setState({ phase, startedAt: now() });
    try {
      const report = await client.call('host.check', { refresh: phase === 'rechecking' });
      if (mine !== seq) return;
      store.setState({ report, error: null, phase: 'idle', startedAt: null });
    } catch (err) {
      if (mine !== seq) return;
      store.setState({ error: toErrorShape(err), phase: 'idle', startedAt: null });
    }
  };

  const store = createStore<HostState>(() => ({
    report: null,
    phase: 'idle',
    startedAt: null,
    error: null,
    load: async () => {
      if (store.getState().phase !== 'idle') return;
      await run('loading');
    },
    recheck: async () => {
      if (store.getState().phase === 'rechecking') return;
      await run('rechecking');
    },
  }));

  const refetch = (): void => void store.getState().load();
  const offChecked = client.on('host.checked', (payload) => {
    // Our own Re-check also triggers this event; its answer is already on the way.
    if (store.getState().report?.generatedAt !== payload.generatedAt) refetch();
  });
  const offHelper = client.on('connection.changed', (payload) => {
    const { report, error } = store.getState();
    if (payload.connected && (error || !report)) refetch();
  });
  let wasConnected = client.getState().status === 'connected';
  const offState = client.onStateChange((state) => {
    const connected = state.status === 'connected';
    if (connected && !wasConnected && (store.getState().report || store.getState().error)) refetch();
    wasConnected = connected;
  });

  return {
    store,
    dispose: () => {
      offChecked();
      offHelper();
      offState();
    },
  };
}
