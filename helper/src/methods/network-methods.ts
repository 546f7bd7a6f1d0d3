// Network handlers: the contract's network.* methods served by the NetworkManager.
// Params arrive validated against src-shared/api/network-api.ts; the manager checks
// everything that needs the host (uplinks, ports, overlapping subnets) and announces
// every change itself (network.changed), so nothing here emits.
import type { HelperMethodName } from '../../../src-shared/api/nova-api.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { CallContext, HelperHandlers } from './handler-table.js';

export type NetworkMethodName = Extract<HelperMethodName, `network.${string}`>;
export type NetworkHandlers = Pick<HelperHandlers, NetworkMethodName>;

export interface NetworkMethodDeps {
  networks: NetworkManager;
  /** Whether a network namespace is one Nova made for a guest (a capsule's); none when absent. */
  isGuestNetns?: (netns: string) => boolean;
}

/**
 * A veth's guest end goes only into a namespace Nova made for one of its capsules: any
 * other (a VPN's, another user's containers') would get a link onto Nova's bridge that
 * its owner never asked for. Root may name any, as it could with `ip` anyway (and tests
 * and admins wire up namespaces of their own). Checked before the namespace's existence,
 * so the answer tells nothing about which namespaces exist.
 */
export function checkGuestNetns(netns: string, ctx: CallContext, isGuestNetns: (netns: string) => boolean): void {
  if (ctx.caller.uid === 0 || isGuestNetns(netns)) return;
  throw new NovaError(
    'not_authorized',
    `network namespace ${JSON.stringify(netns)} is not one Nova made for a capsule: a veth goes only into a capsule's namespace (root may name any)`,
  );
}

/** The caller (ctx) goes with every change: it owns the operation, and `locked` names who holds what. */
export function networkHandlers(deps: NetworkMethodDeps): NetworkHandlers {
  const { networks } = deps;
  return {
    'network.list': async () => ({ networks: await networks.list(), broken: await networks.broken() }),
    'network.get': async ({ name }) => networks.get(name),
    'network.create': async (spec, ctx) => networks.create(spec, ctx),
    'network.delete': async ({ name }, ctx) => {
      await networks.delete(name, ctx);
      return { name };
    },
    'network.adopt': async ({ name, project }, ctx) => networks.adopt(name, project, ctx),
    'network.suggestSubnet': async () => ({ subnet: await networks.suggestSubnet() }),
    'network.update': async (update, ctx) => networks.update(update, ctx),
    'network.setPeers': async ({ name, peers }, ctx) => networks.setPeers(name, peers, ctx),
    'network.forwardAdd': async ({ network, forward }, ctx) => ({ network, forwards: await networks.addForward(network, forward, ctx) }),
    'network.forwardRemove': async ({ network, hostPort, protocol }, ctx) => ({
      network,
      forwards: await networks.removeForward(network, hostPort, protocol, ctx),
    }),
    'network.forwardList': async ({ network }) => ({ network, forwards: await networks.listForwards(network) }),
    'network.attach': async (req, ctx) => {
      if (req.kind === 'veth' && req.netns !== undefined) checkGuestNetns(req.netns, ctx, deps.isGuestNetns ?? (() => false));
      return networks.attach(req, { requester: ctx });
    },
    'network.detach': async ({ network, resource }, ctx) => {
      await networks.detach(network, resource, ctx);
      return { network, resource };
    },
    'network.repair': async ({ name }, ctx) => networks.repair(name, ctx),
    'network.leases': async ({ network }) => ({ network, leases: await networks.leases(network) }),
  };
}
