// Pure validation of a network spec against the networks that already exist: every
// default decided, every mistake a clear NovaError before anything touches the kernel.
// Host facts (does the uplink exist, is the port taken) are checked by network-manager.ts.
import { NovaError } from '../../../src-shared/errors.js';
import type { EgressRule, Forward, NetworkProfile, NetworkSpec } from '../../../src-shared/network.js';
import { overlayDevice, stableMac } from './interface-names.js';
import { cidrContains, cidrsOverlap, formatCidr, formatIp, parseCidr, parseIp, type Cidr } from '../../../src-shared/ip-cidr.js';
import { defaultDhcpRange as vocabularyDefaultDhcpRange, dhcpRangeProblem, parseName, parseSubnet } from '../../../src-shared/vocabulary/index.js';
import type { NetworkConfig, OverlayConfig, SubnetConfig } from './network-config.js';
import { planWireguard, wireguardDevice } from './wireguard-plan.js';

export const VXLAN_PORT = 4789;

export interface PlanContext {
  existing: readonly NetworkConfig[];
  ifPrefix: string;
  /** Overlay drivers this host can provide, e.g. ["vxlan"]. */
  overlayDrivers: readonly string[];
  /** Host names of overlay peers resolved to addresses by the caller. */
  resolvedPeers?: Readonly<Record<string, string>>;
  /** MTU of the overlay's underlay interface (default 1500, as when the kernel routes to peers). */
  underlayMtu?: number;
  /** driver "wireguard": the public half of the key pair the helper made for this network. */
  wireguardPublicKey?: string;
}

/** Outer IPv4 (20) or IPv6 (40) header, UDP (8), VXLAN (8) and the inner Ethernet header (14). */
const VXLAN_OVERHEAD = { 4: 50, 6: 70 } as const;
const MIN_OVERLAY_MTU = 1280;

const bad = (message: string, details?: unknown) => new NovaError('invalid_argument', message, details);

export function defaultProfile(spec: Pick<NetworkSpec, 'type' | 'profile' | 'uplinks'>): NetworkProfile {
  if (spec.profile) return spec.profile;
  if (spec.type === 'overlay') return 'internal';
  return spec.uplinks.length > 0 ? 'external' : 'nat';
}

/** The vocabulary's network name rule, again here for callers that bypass the schema. */
export function checkNetworkName(name: string): void {
  const parsed = parseName('network', name);
  if (!parsed.ok) throw bad(parsed.message);
}

function planSubnet(text: string): { subnet: SubnetConfig; cidr: Cidr } {
  // The contract has checked the syntax (src-shared/vocabulary/subnet.ts); this host adds what it cannot do yet.
  const parsed = parseSubnet(text);
  if (!parsed.ok) throw bad(parsed.message);
  const { subnet, block } = parsed.value;
  if (subnet.family !== 4) throw new NovaError('unsupported', `subnet ${JSON.stringify(text)}: IPv6 subnets are not supported yet; use an IPv4 subnet (e.g. "192.168.220.1/24")`);
  return { subnet, cidr: block };
}

/** The larger run of usable addresses beside the host's own address. */
export function defaultDhcpRange(cidr: Cidr): { start: string; end: string } {
  return vocabularyDefaultDhcpRange({ block: cidr });
}

function planDhcpRange(range: { start: string; end: string }, cidr: Cidr, subnet: SubnetConfig): { start: string; end: string } {
  const problem = dhcpRangeProblem(range, { subnet, block: cidr });
  if (problem) throw bad(`DHCP range ${JSON.stringify(`${range.start}-${range.end}`)}: ${problem}`);
  return { start: range.start, end: range.end };
}

function planForwards(forwards: readonly Forward[], cidr: Cidr | null, subnet: SubnetConfig | null, profile: NetworkProfile): Forward[] {
  if (forwards.length === 0) return [];
  if (profile !== 'nat' || !cidr || !subnet) {
    throw bad(`port forwards need a NAT network with a subnet; this network is ${profile}${subnet ? '' : ' without a subnet'}`);
  }
  const seen = new Set<string>();
  return forwards.map((f) => checkForward(f, cidr, subnet, seen));
}

export function checkForward(f: Forward, cidr: Cidr, subnet: SubnetConfig, seen: Set<string>): Forward {
  const guest = parseIp(f.guestAddress);
  if (!guest || !cidrContains(cidr, guest) || guest.value === cidr.first || guest.value === cidr.last || guest.value === cidr.address.value) {
    throw bad(`forward ${f.hostPort}/${f.protocol}: guest address ${JSON.stringify(f.guestAddress)} is not a guest address in ${subnet.cidr}`);
  }
  const key = `${f.hostPort}/${f.protocol}`;
  if (seen.has(key)) throw new NovaError('already_exists', `host port ${key} is forwarded twice`);
  seen.add(key);
  return { hostPort: f.hostPort, guestAddress: formatIp(guest), guestPort: f.guestPort, protocol: f.protocol };
}

function planEgress(rules: readonly EgressRule[] | undefined, profile: NetworkProfile): EgressRule[] | null {
  if (rules === undefined) return null;
  if (profile !== 'nat') {
    throw bad(
      profile === 'internal'
        ? 'an internal network has no way out, so an egress allow-list means nothing; remove it or use profile "nat"'
        : 'an external network is bridged onto the LAN, not routed through the host, so Nova cannot filter its egress; use profile "nat" for an egress allow-list',
    );
  }
  // Destinations and port ranges arrive canonical and checked by the contract (src-shared/vocabulary/egress-rule.ts).
  return rules.map((rule) => ({ ...rule }));
}

function planOverlay(spec: NetworkSpec, ctx: PlanContext): OverlayConfig {
  const driver = spec.driver ?? 'vxlan';
  if (!ctx.overlayDrivers.includes(driver)) {
    throw new NovaError(
      'unsupported',
      `overlay driver ${JSON.stringify(driver)} is not available on this host; available drivers: ${ctx.overlayDrivers.join(', ') || 'none'}`,
      { driver, available: [...ctx.overlayDrivers] },
    );
  }
  if (driver !== 'vxlan' && driver !== 'wireguard') {
    throw new NovaError('unsupported', `overlay driver ${JSON.stringify(driver)} is not implemented by this Nova version; use "vxlan" or "wireguard"`, {
      available: ['vxlan', 'wireguard'],
    });
  }
  if (spec.vni === undefined) throw bad('an overlay needs a VXLAN network identifier: set vni (1-16777215), the same on every host');
  const clash = ctx.existing.find((n) => n.overlay?.vni === spec.vni);
  if (clash) throw new NovaError('already_exists', `VNI ${spec.vni} is already used by network ${JSON.stringify(clash.name)}`);
  if (spec.uplinks.length > 1) throw bad('an overlay takes at most one underlay interface');
  if (driver === 'wireguard') return planWireguardOverlay(spec, spec.vni, ctx);
  const keyed = spec.peers.find((p) => p.publicKey !== undefined);
  if (keyed) throw bad(`overlay peer ${JSON.stringify(keyed.host)} has a public key, which only driver "wireguard" uses; remove it or set driver "wireguard"`);
  if (spec.listenPort !== undefined) throw bad('a listen port applies only to driver "wireguard"; remove it or set driver "wireguard"');
  const peers = spec.peers.map((p) => {
    const ip = parseIp(p.host);
    const address = ip ? formatIp(ip) : ctx.resolvedPeers?.[p.host];
    if (!address) throw bad(`overlay peer ${JSON.stringify(p.host)} is not an IP address and could not be resolved`);
    return { address, port: p.port ?? VXLAN_PORT };
  });
  const overhead = peers.some((p) => p.address.includes(':')) ? VXLAN_OVERHEAD[6] : VXLAN_OVERHEAD[4];
  const underlayMtu = ctx.underlayMtu ?? 1500;
  const mtu = underlayMtu - overhead;
  if (mtu < MIN_OVERLAY_MTU) {
    throw bad(`the underlay's MTU ${underlayMtu} leaves ${mtu} bytes for guests after VXLAN's ${overhead}; an overlay needs at least ${MIN_OVERLAY_MTU} (raise the underlay's MTU)`);
  }
  return {
    driver: 'vxlan',
    vni: spec.vni,
    device: overlayDevice(ctx.ifPrefix, spec.name),
    underlay: spec.uplinks[0] ?? null,
    peers,
    port: VXLAN_PORT,
    mtu,
  };
}

function planWireguardOverlay(spec: NetworkSpec, vni: number, ctx: PlanContext): OverlayConfig {
  if (!ctx.wireguardPublicKey) throw new NovaError('internal', 'a wireguard overlay was planned without this host\'s key pair');
  const usedPorts = new Map<number, string>();
  for (const n of ctx.existing) if (n.overlay?.wireguard) usedPorts.set(n.overlay.wireguard.listenPort, n.name);
  const { wireguard, mtu } = planWireguard({
    spec,
    vni,
    device: wireguardDevice(ctx.ifPrefix, spec.name),
    publicKey: ctx.wireguardPublicKey,
    usedPorts,
    resolvedPeers: ctx.resolvedPeers,
    underlayMtu: ctx.underlayMtu ?? 1500,
    minMtu: MIN_OVERLAY_MTU,
  });
  return {
    driver: 'wireguard',
    vni,
    device: overlayDevice(ctx.ifPrefix, spec.name),
    underlay: spec.uplinks[0] ?? null,
    // VXLAN's peers are the other hosts' tunnel addresses: its packets never leave unencrypted.
    peers: wireguard.peers.map((p) => ({ address: p.tunnelAddress, port: VXLAN_PORT })),
    port: VXLAN_PORT,
    mtu,
    wireguard,
  };
}

/** Validates `spec` against the existing networks and returns the config to apply. */
export function planNetwork(spec: NetworkSpec, ctx: PlanContext): NetworkConfig {
  checkNetworkName(spec.name);
  if (ctx.existing.some((n) => n.name === spec.name)) {
    throw new NovaError('already_exists', `network ${JSON.stringify(spec.name)} already exists`);
  }
  const profile = defaultProfile(spec);
  if (spec.type === 'overlay' && profile === 'external') {
    throw bad('an overlay cannot be "external": it is its own layer-2 network across hosts; use profile "internal" or "nat"');
  }
  if (spec.type === 'bridge' && (spec.driver !== undefined || spec.vni !== undefined || spec.peers.length > 0 || spec.listenPort !== undefined)) {
    throw bad('driver, vni, peers and listen port apply only to overlay networks; use type "overlay" or remove them');
  }
  if (profile === 'external' && spec.uplinks.length === 0) {
    throw bad('an external network bridges a host interface onto the LAN; name the uplink (e.g. --uplink enp6s0) or use profile "nat"');
  }
  if (profile === 'internal' && spec.type === 'bridge' && spec.uplinks.length > 0) {
    throw bad('an internal network has no way out, so it takes no uplink; remove it or use profile "nat" or "external"');
  }
  if (profile === 'nat' && !spec.subnet) throw bad('a NAT network needs a subnet: the host\'s address with a prefix length (e.g. "192.168.220.1/24")');

  const planned = spec.subnet ? planSubnet(spec.subnet) : null;
  const subnet = planned?.subnet ?? null;
  if (planned) {
    const other = ctx.existing.find((n) => {
      const c = n.subnet ? parseCidr(`${n.subnet.gateway}/${n.subnet.prefix}`) : null;
      return c !== null && cidrsOverlap(c, planned.cidr);
    });
    if (other?.subnet) {
      throw bad(`subnet ${planned.subnet.cidr} overlaps ${other.subnet.cidr} of network ${JSON.stringify(other.name)}; choose another block`, {
        network: other.name,
      });
    }
  }

  if (profile === 'external' && (spec.dhcp === true || spec.dhcpRange)) {
    throw bad("an external network gets its addresses from the LAN's DHCP server; remove the DHCP range or use profile \"nat\"");
  }
  const wantDhcp = spec.dhcp ?? (profile === 'nat' || spec.dhcpRange !== undefined);
  if ((wantDhcp || spec.dhcpRange) && !planned) throw bad('DHCP needs a subnet; add one (e.g. "10.203.0.1/24")');
  let dhcp: { start: string; end: string } | null = null;
  if (planned && spec.dhcpRange) dhcp = planDhcpRange(spec.dhcpRange, planned.cidr, planned.subnet);
  if (planned && wantDhcp && !dhcp) dhcp = defaultDhcpRange(planned.cidr);
  if (spec.dhcp === false) dhcp = null;

  // An enslaved uplink belongs to one bridge; a NAT way out may be shared.
  for (const uplink of spec.uplinks) {
    if (uplink === spec.name) throw bad(`uplink ${JSON.stringify(uplink)} has the network's own name, which names its bridge`);
    for (const n of ctx.existing) {
      const enslaved = n.profile === 'external' && n.uplinks.includes(uplink);
      if ((enslaved || (profile === 'external' && n.uplinks.includes(uplink))) && n.type === 'bridge') {
        throw new NovaError('already_exists', `uplink ${JSON.stringify(uplink)} is already used by network ${JSON.stringify(n.name)}`, { network: n.name });
      }
      if (n.bridge === uplink) throw bad(`uplink ${JSON.stringify(uplink)} is the bridge of network ${JSON.stringify(n.name)}`);
    }
  }

  const dns = spec.dns ?? (planned !== null && profile !== 'external');
  if (dns && !planned) throw bad('DNS for guests needs a subnet (the host answers on its address there)');

  return {
    name: spec.name,
    type: spec.type,
    profile,
    bridge: spec.name,
    bridgeMac: stableMac('bridge', spec.name),
    subnet,
    dhcp,
    dns,
    domain: spec.domain ?? `${spec.name}.nova`,
    uplinks: [...spec.uplinks],
    peers: spec.peers.map((p) => ({ ...p })),
    overlay: spec.type === 'overlay' ? planOverlay(spec, ctx) : null,
    egressAllow: planEgress(spec.egressAllow, profile),
    forwards: planForwards(spec.forwards, planned?.cidr ?? null, subnet, profile),
    ...(spec.project !== undefined ? { project: spec.project } : {}),
  };
}

/** A static attachment address: inside the subnet, not the host's, the network's or the broadcast. */
export function checkStaticAddress(text: string, config: NetworkConfig): string {
  const cidr = parseCidr(text.includes('/') ? text : `${text}/${config.subnet?.prefix ?? 32}`);
  if (!cidr) throw bad(`${JSON.stringify(text)} is not an address (e.g. "192.168.220.10/24")`);
  if (!config.subnet) return formatCidr(cidr, false);
  const net = parseCidr(`${config.subnet.gateway}/${config.subnet.prefix}`) as Cidr;
  const v = cidr.address.value;
  if (!cidrContains(net, cidr.address) || cidr.prefix !== net.prefix || v === net.first || v === net.last || v === net.address.value) {
    throw bad(`address ${JSON.stringify(text)} is not a guest address in ${config.subnet.cidr}`);
  }
  return formatCidr(cidr, false);
}
