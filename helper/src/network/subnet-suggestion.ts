// A free subnet to offer in the create form: the first /24 of Nova's usual blocks that
// overlaps no address on a host interface, no route of any table and no Nova network,
// so a network made with it never shadows the LAN, a VPN or another network.
import { cidrsOverlap, parseCidr, type Cidr } from '../../../src-shared/ip-cidr.js';
import { runChecked, type CommandRunner } from './command-runner.js';
import type { HostLink } from './host-links.js';
import { listRoutes } from './network-commands.js';
import type { NetworkConfig } from './network-config.js';

/** Where suggestions come from, in order: private blocks rarely used by home routers or VPNs. */
const CANDIDATE_BLOCKS = ['10.250.0.0/16', '10.251.0.0/16', '172.30.0.0/16', '192.168.250.0/24'] as const;

interface IpJsonRoute {
  dst?: string;
  type?: string;
}

/** Route destinations as blocks; "default" and host-wide routes (local, broadcast) are no obstacle. */
export function parseRouteBlocks(json: string): Cidr[] {
  const routes = JSON.parse(json || '[]') as IpJsonRoute[];
  const blocks: Cidr[] = [];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || (r.type && r.type !== 'unicast')) continue;
    const cidr = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
    if (cidr && cidr.address.family === 4) blocks.push(cidr);
  }
  return blocks;
}

/** The first free /24 as "10.250.N.0/24", or null when every candidate is taken. */
export function suggestSubnet(taken: readonly Cidr[]): string | null {
  for (const block of CANDIDATE_BLOCKS) {
    const outer = parseCidr(block) as Cidr;
    for (let start = outer.first; start + 255n <= outer.last; start += 256n) {
      const a = Number(start);
      const text = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.0/24`;
      const candidate = parseCidr(text) as Cidr;
      if (!taken.some((t) => cidrsOverlap(t, candidate))) return text;
    }
  }
  return null;
}

/** What a new subnet must not overlap: host addresses (not loopback), routes, Nova's networks. */
export async function takenBlocks(runner: CommandRunner, links: ReadonlyMap<string, HostLink>, networks: readonly NetworkConfig[]): Promise<Cidr[]> {
  const taken: Cidr[] = parseRouteBlocks(await runChecked(runner, listRoutes()));
  for (const link of links.values()) {
    if (link.ifname === 'lo') continue;
    for (const a of link.addresses) {
      const c = a.family === 4 ? parseCidr(`${a.local}/${a.prefix}`) : null;
      if (c) taken.push(c);
    }
  }
  for (const n of networks) {
    const c = n.subnet ? parseCidr(n.subnet.cidr) : null;
    if (c) taken.push(c);
  }
  return taken;
}
