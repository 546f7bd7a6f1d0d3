// The composition root's products handed to components through React context: the
// client and one store per feature. Tests and main.tsx build them with createServices.
import { createContext, useContext } from 'react';
import { createConnectionStore, type ConnectionStore } from '../stores/connection-store.js';
import { createHostStore, type HostStore } from '../stores/host-store.js';
import { createOperationStore, type OperationStore } from '../stores/operation-store.js';
import type { NovaClient } from '../transport/nova-client.js';

export interface Services {
  readonly client: NovaClient;
  readonly connection: ConnectionStore;
  readonly host: HostStore;
  /** Running and recent operations: the activity panel and every resource page read them. */
  readonly operations: OperationStore;
  readonly dispose: () => void;
}

export function createServices(client: NovaClient): Services {
  const connection = createConnectionStore(client);
  const host = createHostStore(client);
  const operations = createOperationStore(client);
  return {
    client,
    connection: connection.store,
    host: host.store,
    operations: operations.store,
    dispose: () => {
      connection.dispose();
      host.dispose();
      operations.dispose();
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
