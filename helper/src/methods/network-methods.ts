// Network handlers: the contract's network.* methods served by the NetworkManager.
// Params arrive validated against src-shared/api/network-api.ts; the manager checks
// everything that needs the host (uplinks, ports, overlapping subnets).
import type { z } from 'zod';
import type { networkMethods } from '../../../src-shared/api/network-api.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { CallContext } from './handler-table.js';

type NetworkMethods = typeof networkMethods;
export type NetworkMethodName = keyof NetworkMethods;

/** The same shape as Pick<HelperHandlers, NetworkMethodName> once network-api is part of NovaApi. */
export type NetworkHandlers = {
  [M in NetworkMethodName]: (
    params: z.output<NetworkMethods[M]['params']>,
    ctx: CallContext,
  ) => Promise<z.output<NetworkMethods[M]['result']>>;
};

export interface NetworkMethodDeps {
  networks: NetworkManager;
  /** Told after every change, with the network's name (main turns it into an event). */
  onChanged?: (network: string) => void;
}

export function networkHandlers(deps: NetworkMethodDeps): NetworkHandlers {
  const { networks } = deps;
  const changed = (name: string) => deps.onChanged?.(name);
  return {
    'network.list': async () => ({ networks: await networks.list() }),
    'network.get': async ({ name }) => networks.get(name),
    'network.create': async (spec) => {
      const net = await networks.create(spec);
      changed(net.name);
      return net;
    },
    'network.delete': async ({ name }) => {
      await networks.delete(name);
      changed(name);
      return { name };
    },
    'network.setPeers': async ({ name, peers }) => {
      const net = await networks.setPeers(name, peers);
      changed(name);
      return net;
    },
    'network.forwardAdd': async ({ network, forward }) => {
      const forwards = await networks.addForward(network, forward);
      changed(network);
      return { network, forwards };
    },
    'network.forwardRemove': async ({ network, hostPort, protocol }) => {
      const forwards = await networks.removeForward(network, hostPort, protocol);
      changed(network);
      return { network, forwards };
    },
    'network.forwardList': async ({ network }) => ({ network, forwards: await networks.listForwards(network) }),
    'network.attach': async (req) => {
      const attachment = await networks.attach(req);
      changed(req.network);
      return attachment;
    },
    'network.detach': async ({ network, resource }) => {
      await networks.detach(network, resource);
      changed(network);
      return { network, resource };
    },
    'network.leases': async ({ network }) => ({ network, leases: await networks.leases(network) }),
  };
}
