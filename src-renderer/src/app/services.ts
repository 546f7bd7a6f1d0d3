// The composition root's products handed to components through React context: the
// client and one store per feature. Tests and main.tsx build them with createServices.
import { createContext, useContext } from 'react';
import { createConnectionStore, type ConnectionStore } from '../stores/connection-store.js';
import { createHostChoiceStore, type HostChoiceStore } from '../stores/host-choice-store.js';
import { createHostStore, type HostStore } from '../stores/host-store.js';
import { createOperationStore, type OperationStore } from '../stores/operation-store.js';
import type { NovaClient } from '../transport/nova-client.js';

export interface Services {
  readonly client: NovaClient;
  readonly connection: ConnectionStore;
  readonly host: HostStore;
  /** Running and recent operations: the activity panel and every resource page read them. */
  readonly operations: OperationStore;
  /** Which host the pages show, and every saved host's link: one for the whole app. */
  readonly hostChoice: HostChoiceStore;
  readonly dispose: () => void;
}

/**
 * The app's services, or (given the app's host choice) a saved host's: the same stores
 * over a client bound to that host, sharing the app's transport and host choice.
 */
export function createServices(client: NovaClient, shared?: { hostChoice: HostChoiceStore }): Services {
  const connection = createConnectionStore(client);
  const host = createHostStore(client);
  const operations = createOperationStore(client);
  const hostChoice = shared
    ? { store: shared.hostChoice, dispose: () => undefined }
    : createHostChoiceStore(client, typeof localStorage === 'undefined' ? null : localStorage);
  return {
    client,
    connection: connection.store,
    host: host.store,
    operations: operations.store,
    hostChoice: hostChoice.store,
    dispose: () => {
      connection.dispose();
      host.dispose();
      operations.dispose();
      hostChoice.dispose();
      client.close();
    },
  };
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside <ServicesContext>');
  return services;
}
