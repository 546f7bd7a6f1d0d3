// The Networks pages' state: every network as the helper last reported it, the read in
// flight and the last error. `network.changed`, a helper that came back and a transport
// that reconnected are signals to re-read the list; changes go through the helper and
// the event that follows them refreshes everyone's view.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { toErrorShape, type ErrorShape } from '../../../src-shared/index.js';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import type { Forward, Network, NetworkSpecInput, Protocol } from '../../../src-shared/network.js';
import type { NovaClient } from '../transport/nova-client.js';

export interface NetworkStoreState {
  /** null until the first answer. */
  readonly networks: readonly Network[] | null;
  /** Networks whose record the helper cannot read: a row each, with the reason. */
  readonly broken: readonly BrokenRecord[];
  readonly loading: boolean;
  readonly error: ErrorShape | null;
  readonly load: () => Promise<void>;
  /** The actions reject with the helper's error, for the dialog or form that asked. */
  readonly create: (spec: NetworkSpecInput) => Promise<Network>;
  readonly remove: (name: string) => Promise<void>;
  readonly addForward: (network: string, forward: Forward) => Promise<void>;
  readonly removeForward: (network: string, hostPort: number, protocol: Protocol) => Promise<void>;
}

export type NetworkStore = StoreApi<NetworkStoreState>;

export function createNetworkStore(client: NovaClient): { store: NetworkStore; dispose: () => void } {
  // A signal that arrives during a read may describe a change the read missed: read again after it.
  let inFlight: Promise<void> | null = null;
  let again = false;

  const read = async (): Promise<void> => {
    store.setState({ loading: true });
    try {
      const { networks, broken } = await client.call('network.list', {});
      store.setState({ networks, broken, error: null });
    } catch (err) {
      store.setState({ error: toErrorShape(err) });
    }
  };

  const load = (): Promise<void> => {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        again = false;
        await read();
      } while (again);
      inFlight = null;
      store.setState({ loading: false });
    })();
    return inFlight;
  };

  const store = createStore<NetworkStoreState>(() => ({
    networks: null,
    broken: [],
    loading: false,
    error: null,
    load,
    create: async (spec) => {
      const network = await client.call('network.create', spec);
      void load();
      return network;
    },
    remove: async (name) => {
      await client.call('network.delete', { name });
      void load();
    },
    addForward: async (network, forward) => {
      await client.call('network.forwardAdd', { network, forward });
      void load();
    },
    removeForward: async (network, hostPort, protocol) => {
      await client.call('network.forwardRemove', { network, hostPort, protocol });
      void load();
    },
  }));

  const offChanged = client.on('network.changed', () => void load());
  const offHelper = client.on('connection.changed', (payload) => {
    if (payload.connected) void load();
  });
  let wasConnected = client.getState().status === 'connected';
  const offState = client.onStateChange((state) => {
    const connected = state.status === 'connected';
    if (connected && !wasConnected && store.getState().networks !== null) void load();
    wasConnected = connected;
  });

  return {
    store,
    dispose: () => {
      offChanged();
      offHelper();
      offState();
    },
  };
}

// One store per client for the app's lifetime, made on first use, so the Networks
// pages need no change to the shared composition root.
const stores = new WeakMap<NovaClient, NetworkStore>();

export function networkStoreFor(client: NovaClient): NetworkStore {
  let store = stores.get(client);
  if (!store) {
    store = createNetworkStore(client).store;
    stores.set(client, store);
  }
  return store;
}
