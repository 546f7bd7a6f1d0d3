// What the connection indicator shows: is the UI linked to Nova (the transport), and
// is Nova linked to the privileged helper. `connection.changed` and reconnects are
// signals to re-read `app.info`, which stays the source of truth.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppInfo } from '../../../src-shared/index.js';
import type { NovaClient } from '../transport/nova-client.js';
import type { TransportState } from '../transport/transport.js';

export interface HelperLink {
  /** null until known, and again while the transport is down (we cannot know). */
  readonly connected: boolean | null;
  /** Why the helper is unreachable, when main said. */
  readonly reason: string | null;
}

export interface ConnectionState {
  readonly transport: TransportState;
  readonly helper: HelperLink;
  readonly app: Pick<AppInfo, 'version' | 'mode'> | null;
}

export type ConnectionStore = StoreApi<ConnectionState>;

export function createConnectionStore(client: NovaClient): { store: ConnectionStore; dispose: () => void } {
  const store = createStore<ConnectionState>(() => ({
    transport: client.getState(),
    helper: { connected: null, reason: null },
    app: null,
  }));

  let infoSeq = 0;
  const refreshInfo = async (): Promise<void> => {
    const seq = ++infoSeq;
    try {
      const info = await client.call('app.info', {});
      if (seq !== infoSeq) return;
      store.setState((s) => ({
        helper: { connected: info.helper.connected, reason: info.helper.connected ? null : s.helper.reason },
        app: { version: info.version, mode: info.mode },
      }));
    } catch {
      // The indicator keeps what the last event said; a failing app.info is not worth a second alarm.
    }
  };

  const offState = client.onStateChange((transport) => {
    const wasConnected = store.getState().transport.status === 'connected';
    store.setState(
      transport.status === 'connected'
        ? { transport }
        : { transport, helper: { connected: null, reason: null } },
    );
    if (transport.status === 'connected' && !wasConnected) void refreshInfo();
  });

  const offEvent = client.on('connection.changed', (payload) => {
    store.setState({ helper: { connected: payload.connected, reason: payload.reason ?? null } });
    void refreshInfo();
  });

  if (client.getState().status === 'connected') void refreshInfo();

  return {
    store,
    dispose: () => {
      offState();
      offEvent();
    },
  };
}
