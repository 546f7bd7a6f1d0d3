// Pure: what a network looks like to callers (the contract's Network and Attachment),
// from its record and what the kernel has (links, nftables jumps, dnsmasq), including
// why it is degraded or down. network-dataplane.ts gathers the observations.
import type { Attachment, Network, NetworkStatus } from '../../../src-shared/network.js';
import type { HostLink } from './host-links.js';
import { guestHostLabel, needsDnsmasq, networkMtu, type AttachmentRecord, type NetworkConfig, type NetworkRecord } from './network-config.js';
import { networkChains } from './nft-ruleset.js';
import { wireguardInfo } from './wireguard-plan.js';
import { wireguardProblems } from './wireguard-tunnel.js';

export interface Observed {
  links: ReadonlyMap<string, HostLink>;
  chains: ReadonlySet<string>;
  dnsmasq: ReadonlyMap<string, boolean>;
}

export function describeNetwork(record: NetworkRecord, observed: Observed): Network {
  const c = record.config;
  return {
    name: c.name,
    type: c.type,
    profile: c.profile,
    bridge: c.bridge,
    subnet: c.subnet?.cidr ?? null,
    gateway: c.subnet?.gateway ?? null,
    dhcpRange: c.dhcp ? { ...c.dhcp } : null,
    uplinks: [...c.uplinks],
    dns: c.dns,
    domain: c.dns ? c.domain : null,
    driver: c.overlay?.driver ?? null,
    vni: c.overlay?.vni ?? null,
    peers: c.peers.map((p) => ({ ...p })),
    ...(c.overlay?.wireguard ? { wireguard: wireguardInfo(c.overlay.wireguard) } : {}),
    egressAllow: c.egressAllow ? c.egressAllow.map((e) => ({ ...e })) : null,
    forwards: c.forwards.map((f) => ({ ...f })),
    attachments: record.attachments.map((a) => describeAttachment(c, a, observed.links)),
    status: networkStatus(record, observed),
    createdAt: record.createdAt,
    project: c.project ?? null,
  };
}

export function describeAttachment(config: NetworkConfig, a: AttachmentRecord, links: ReadonlyMap<string, HostLink>): Attachment {
  return {
    resource: a.resource,
    kind: a.kind,
    hostIfname: a.hostIfname,
    mac: a.mac,
    address: a.address,
    netns: a.netns,
    guestIfname: a.guestIfname,
    hostname: `${guestHostLabel(a.resource)}.${config.domain}`,
    present: links.get(a.hostIfname)?.master === config.bridge,
  };
}

/** What the kernel has right after a checked create: the links read before it, plus the bridge and rules just made. */
export function createdState(config: NetworkConfig, before: ReadonlyMap<string, HostLink>): Observed {
  const links = new Map(before);
  links.set(config.bridge, {
    ifname: config.bridge,
    kind: 'bridge',
    master: null,
    up: true,
    mtu: networkMtu(config) ?? 1500,
    mac: config.bridgeMac,
    addresses: config.subnet ? [{ family: 4, local: config.subnet.gateway, prefix: config.subnet.prefix }] : [],
  });
  if (config.overlay) {
    links.set(config.overlay.device, { ifname: config.overlay.device, kind: 'vxlan', master: config.bridge, up: true, mtu: networkMtu(config) ?? 1500, mac: null, addresses: [] });
  }
  if (config.profile === 'external') {
    for (const uplink of config.uplinks) {
      const link = links.get(uplink);
      if (link) links.set(uplink, { ...link, master: config.bridge, up: true });
    }
  }
  const chains = networkChains(config.name);
  return { links, chains: new Set([chains.out, chains.in]), dnsmasq: new Map([[config.name, needsDnsmasq(config)]]) };
}

/** active: everything in place; degraded: the bridge is up but something is missing; down: no bridge. */
export function networkStatus(record: NetworkRecord, observed: Observed): NetworkStatus {
  const c = record.config;
  if (record.pending) return { state: 'down', reasons: [record.pending === 'create' ? 'being created' : 'being deleted'] };
  const bridge = observed.links.get(c.bridge);
  if (!bridge || bridge.kind !== 'bridge') return { state: 'down', reasons: [`bridge ${c.bridge} is missing`] };
  const reasons: string[] = [];
  if (!bridge.up) reasons.push(`bridge ${c.bridge} is down`);
  if (c.subnet && !bridge.addresses.some((a) => a.local === c.subnet?.gateway)) reasons.push(`the host address ${c.subnet.gateway} is missing from ${c.bridge}`);
  for (const uplink of c.uplinks) {
    const link = observed.links.get(uplink);
    if (!link) reasons.push(`uplink ${uplink} is missing`);
    else if (c.profile === 'external' && link.master !== c.bridge) reasons.push(`uplink ${uplink} is not a port of ${c.bridge}`);
    else if (!link.up) reasons.push(`uplink ${uplink} is down`);
  }
  reasons.push(...wireguardProblems(c.overlay?.wireguard, observed.links));
  if (c.overlay) {
    const dev = observed.links.get(c.overlay.device);
    if (!dev || dev.master !== c.bridge) reasons.push(`VXLAN device ${c.overlay.device} is missing from ${c.bridge}`);
  }
  const chains = networkChains(c.name);
  if (!observed.chains.has(chains.out) || !observed.chains.has(chains.in)) reasons.push('its nftables rules are missing');
  if (needsDnsmasq(c) && observed.dnsmasq.get(c.name) !== true) reasons.push('dnsmasq (DHCP/DNS) is not running');
  return { state: reasons.length > 0 ? 'degraded' : 'active', reasons };
}
