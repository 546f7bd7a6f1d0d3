// Network handlers: the contract's network.* methods served by the NetworkManager.
// Params arrive validated against src-shared/api/network-api.ts; the manager checks
// everything that needs the host (uplinks, ports, overlapping subnets) and announces
// every change itself (network.changed), so nothing here emits.
import type { HelperMethodName } from '../../../src-shared/api/nova-api.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { HelperHandlers } from './handler-table.js';

export type NetworkMethodName = Extract<HelperMethodName, `network.${string}`>;
export type NetworkHandlers = Pick<HelperHandlers, NetworkMethodName>;

export interface NetworkMethodDeps {
  networks: NetworkManager;
}

/** The caller (ctx) goes with every change: it owns the operation, and `locked` names who holds what. */
export function networkHandlers(deps: NetworkMethodDeps): NetworkHandlers {
  const { networks } = deps;
  return {
    'network.list': async () => ({ networks: await networks.list() }),
    'network.get': async ({ name }) => networks.get(name),
    'network.create': async (spec, ctx) => networks.create(spec, ctx),
    'network.delete': async ({ name }, ctx) => {
      await networks.delete(name, ctx);
      return { name };
    },
    'network.setPeers': async ({ name, peers }, ctx) => networks.setPeers(name, peers, ctx),
    'network.forwardAdd': async ({ network, forward }, ctx) => ({ network, forwards: await networks.addForward(network, forward, ctx) }),
    'network.forwardRemove': async ({ network, hostPort, protocol }, ctx) => ({
      network,
      forwards: await networks.removeForward(network, hostPort, protocol, ctx),
    }),
    'network.forwardList': async ({ network }) => ({ network, forwards: await networks.listForwards(network) }),
    'network.attach': async (req, ctx) => networks.attach(req, { requester: ctx }),
    'network.detach': async ({ network, resource }, ctx) => {
      await networks.detach(network, resource, ctx);
      return { network, resource };
    },
    'network.leases': async ({ network }) => ({ network, leases: await networks.leases(network) }),
  };
}
