// What a new network or forward must not collide with on this host, beyond what
// network-plan.ts checks among Nova's own networks: existing interfaces and addresses,
// uplinks in use, ports a service listens on, peer names that do not resolve.
import { lookup } from 'node:dns/promises';
import { NovaError } from '../../../src-shared/errors.js';
import { cidrsOverlap, parseCidr, parseIp } from '../../../src-shared/ip-cidr.js';
import type { Forward } from '../../../src-shared/network.js';
import type { CommandRunner } from './command-runner.js';
import type { HostLink } from './host-links.js';
import type { NetworkConfig } from './network-config.js';
import { listeningPorts, portKey } from './port-usage.js';

/** Facts of this host that planNetwork cannot know: existing interfaces and addresses. */
export function checkHost(config: NetworkConfig, links: ReadonlyMap<string, HostLink>): void {
  if (links.has(config.bridge)) {
    throw new NovaError('already_exists', `an interface named ${config.bridge} already exists on this host; choose another network name`);
  }
  const wanted = config.overlay?.underlay ? [config.overlay.underlay] : config.uplinks;
  for (const uplink of wanted) checkUplink(config, uplink, links);
  if (config.subnet) {
    const mine = parseCidr(`${config.subnet.gateway}/${config.subnet.prefix}`);
    for (const link of links.values()) {
      for (const a of link.addresses) {
        const theirs = parseCidr(`${a.local}/${a.prefix}`);
        if (mine && theirs && a.family === 4 && link.ifname !== 'lo' && cidrsOverlap(mine, theirs)) {
          throw new NovaError('invalid_argument', `subnet ${config.subnet.cidr} overlaps ${a.local}/${a.prefix} on ${link.ifname}; choose another block`);
        }
      }
    }
  }
}

function checkUplink(config: NetworkConfig, uplink: string, links: ReadonlyMap<string, HostLink>): void {
  const link = links.get(uplink);
  if (!link) {
    const names = [...links.keys()].filter((n) => n !== 'lo').slice(0, 8).join(', ');
    throw new NovaError('invalid_argument', `uplink ${JSON.stringify(uplink)} does not exist on this host (interfaces here: ${names || 'none'})`);
  }
  if (config.profile === 'external' && link.master) {
    throw new NovaError('already_exists', `uplink ${JSON.stringify(uplink)} is already used: it is a port of ${link.master}`);
  }
  if (link.kind === 'bridge') throw new NovaError('invalid_argument', `uplink ${JSON.stringify(uplink)} is itself a bridge; name the physical interface`);
  if (config.profile !== 'external') return;
  // A bridge port no longer answers on its own addresses, so enslaving this one would
  // cut the host off that network. Moving addresses and routes is the owner's call, not Nova's.
  const held = link.addresses.filter((a) => !(a.family === 6 && /^fe[89ab]/i.test(a.local)));
  if (held.length > 0) {
    const list = held.map((a) => `${a.local}/${a.prefix}`).join(', ');
    throw new NovaError(
      'failed_precondition',
      `uplink ${JSON.stringify(uplink)} carries this host's address ${list}: as a bridge port it would stop answering on it and the host would lose that network. ` +
        `Remove the address from ${uplink} first (then give the host its address on the bridge ${config.bridge}), or use profile "nat" to route out through ${uplink}`,
      { uplink, addresses: held.map((a) => `${a.local}/${a.prefix}`) },
    );
  }
}

/** A host port may be forwarded once across all networks, and never over a listening service. */
export async function checkPorts(
  runner: CommandRunner,
  forwards: readonly Forward[],
  others: readonly NetworkConfig[],
  signal?: AbortSignal,
): Promise<void> {
  if (forwards.length === 0) return;
  const taken = new Map<string, string>();
  for (const c of others) for (const f of c.forwards) taken.set(portKey(f.hostPort, f.protocol), c.name);
  const listening = await listeningPorts(runner, signal);
  for (const f of forwards) {
    const key = portKey(f.hostPort, f.protocol);
    const owner = taken.get(key);
    if (owner) throw new NovaError('already_exists', `host port ${key} is already forwarded by network ${owner}`);
    if (listening.has(key)) {
      throw new NovaError('failed_precondition', `host port ${key} is already taken: a service on this host listens on it; choose another port`);
    }
  }
}

/** A WireGuard overlay's UDP port must be free on this host (other overlays were checked by the plan). */
export async function checkListenPort(runner: CommandRunner, config: NetworkConfig, signal?: AbortSignal): Promise<void> {
  const port = config.overlay?.wireguard?.listenPort;
  if (port === undefined) return;
  if ((await listeningPorts(runner, signal)).has(portKey(port, 'udp'))) {
    throw new NovaError('failed_precondition', `UDP port ${port} is already taken on this host (a service listens on it); set another listen port for the WireGuard overlay`, { port });
  }
}

export type HostResolver = (host: string) => Promise<string>;

export const systemResolver: HostResolver = async (host) => (await lookup(host)).address;

/** Overlay peers given by name, resolved once, when the network is created or its peers change. */
export async function resolvePeers(hosts: readonly string[], resolve: HostResolver): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const host of hosts) {
    if (parseIp(host)) continue;
    try {
      resolved[host] = await resolve(host);
    } catch {
      throw new NovaError('invalid_argument', `overlay peer ${JSON.stringify(host)} could not be resolved; write its IP address`);
    }
  }
  return resolved;
}
