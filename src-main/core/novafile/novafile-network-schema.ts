// [network.NAME] in a NovaFile: the contract's NetworkSpec keys (uplinks written as
// `interfaces`), and the rules between them that the helper would otherwise refuse at
// apply time (a DHCP range outside the subnet, overlay keys on a bridge), said up front.
import { z } from 'zod';
import {
  defaultNetworkProfile,
  EgressRuleSchema,
  ForwardSchema,
  InterfaceNameSchema,
  NetworkSpecSchema,
  PeerSchema,
} from '../../../src-shared/network.js';
import { dhcpRangeProblem, parseSubnet, valueOf } from '../../../src-shared/vocabulary/index.js';
import { cidrContains, parseIp } from '../../../src-shared/ip-cidr.js';
import { AT_KEY, choiceOf, expected, layered, list, table, whenValid } from './novafile-schema-kit.js';

const spec = NetworkSpecSchema.shape;
const type = spec.type.unwrap();
const profile = spec.profile.unwrap();

export const networkShape = {
  /** Default "bridge". */
  type: layered(type, choiceOf(type.options, 'a network type')).optional(),
  /** nat: routed out through the host; external: bridged onto the uplink; internal: no way out. */
  profile: layered(profile, choiceOf(profile.options, 'a network profile')).optional(),
  /** The host's own address on the network with its prefix: "192.168.220.1/24". */
  subnet: layered(spec.subnet.unwrap(), 'a subnet such as "192.168.220.1/24"').optional(),
  /** "first-last", inside the subnet. */
  dhcp_range: layered(spec.dhcpRange.unwrap(), 'a range such as "10.203.0.100-10.203.0.199"', { text: true }).optional(),
  /** Host uplinks: bridged for profile "external", the way out for "nat", the underlay for an overlay. */
  interfaces: list(layered(InterfaceNameSchema, 'an interface name such as "enp6s0"'), 'interface names')
    .min(1, { error: 'the list is empty; name at least one interface or remove the key' })
    .optional(),
  /** Serve DNS for the guests (names `<guest>.<domain>` when `domain` is set). */
  dns: z.boolean({ error: expected('true or false') }).optional(),
  /**
   * Overlay transport. Any name is accepted here: which drivers this host provides
   * (vxlan, wireguard, quic, ...) is known only at apply time.
   */
  driver: layered(spec.driver.unwrap(), 'the name of an overlay driver, e.g. "vxlan"').optional(),
  vni: layered(spec.vni.unwrap(), 'a VXLAN network identifier from 1 to 16777215').optional(),
  /** Other hosts of an overlay: "192.0.2.10", "peer.lan:4789", "[fd00::2]:4789"; for wireguard "KEY@192.0.2.10:51820". */
  peers: list(layered(PeerSchema, 'a peer address such as "192.0.2.10:4789"', { text: true }), 'peer addresses').optional(),
  /** driver "wireguard": the UDP port this host's tunnel listens on (default 51820; the peers write it after their address). */
  listen_port: layered(spec.listenPort.unwrap(), 'a UDP port from 1 to 65535').optional(),
  /**
   * Allowed egress; once set, everything else leaving the network is dropped. Each
   * entry is "CIDR" (any port there; a single address means /32 or /128),
   * "CIDR:port[/proto]" (IPv6 CIDRs in brackets: "[fd00::/8]:443"), or
   * "port[/proto]" (that port anywhere). Ports may be ranges ("8000-8100"); with no
   * "/tcp" or "/udp" a port rule covers both.
   */
  egress_allow: list(layered(EgressRuleSchema, 'an egress rule such as "10.0.0.0/8:443/tcp"', { text: true }), 'egress rules').optional(),
  /**
   * Host ports forwarded to guests: "hostport:guestaddress:guestport[/proto]", e.g.
   * "8080:10.203.0.10:80" or "2222:[fd00::10]:22/tcp"; TCP when no protocol is given.
   */
  forwards: list(layered(ForwardSchema, 'a forward such as "8080:10.203.0.10:80"', { text: true }), 'forwards').optional(),
};

const OVERLAY_ONLY = ['driver', 'vni', 'peers', 'listen_port'] as const;

type NetworkTable = z.output<ReturnType<typeof table<typeof networkShape>>>;

function checkProfile(net: NetworkTable, ctx: z.core.$RefinementCtx): void {
  const netType = net.type ?? 'bridge';
  const netProfile = defaultNetworkProfile({ type: netType, profile: net.profile, uplinks: net.interfaces ?? [] });
  if (netType === 'bridge') {
    for (const key of OVERLAY_ONLY) {
      if (net[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], params: AT_KEY, message: `${key} applies only to overlay networks; add type = "overlay" or remove ${key}` });
      }
    }
  }
  if (netType === 'overlay' && net.listen_port !== undefined && net.driver !== 'wireguard') {
    ctx.addIssue({
      code: 'custom',
      path: ['listen_port'],
      params: AT_KEY,
      message: 'listen_port applies only to driver = "wireguard" (VXLAN inside a WireGuard tunnel); add driver = "wireguard" or remove listen_port',
    });
  }
  if (net.driver === 'wireguard') {
    (net.peers ?? []).forEach((peer, i) => {
      if (peer.publicKey !== undefined) return;
      const label = peer.port ? `${peer.host}:${peer.port}` : peer.host;
      ctx.addIssue({
        code: 'custom',
        path: ['peers', i],
        message: `wireguard peer "${label}" has no public key; write it as "KEY@${label}" with the key \`nova net inspect\` prints on that host`,
      });
    });
  }
  if (netProfile === 'external' && netType === 'overlay') {
    ctx.addIssue({ code: 'custom', path: ['profile'], message: 'profile = "external" bridges host interfaces and needs type = "bridge"; an overlay is "nat" or "internal"' });
  } else if (netProfile === 'external' && !net.interfaces) {
    ctx.addIssue({
      code: 'custom',
      path: ['profile'],
      message: 'an external network bridges a host interface onto the LAN; add interfaces = ["enp6s0"] (your uplink) or use profile = "nat"',
    });
  }
  if (netProfile === 'internal' && netType === 'bridge' && net.interfaces) {
    ctx.addIssue({
      code: 'custom',
      path: ['interfaces'],
      params: AT_KEY,
      message: 'an internal network has no way out, so it takes no interfaces; remove them or use profile = "nat" or "external"',
    });
  }
}

function checkDhcpRange(net: NetworkTable, ctx: z.core.$RefinementCtx): void {
  const range = net.dhcp_range;
  if (!range) return;
  if (!net.subnet) {
    ctx.addIssue({ code: 'custom', path: ['dhcp_range'], message: 'a DHCP range needs a subnet; add subnet = "10.203.0.1/24" (for example)' });
    return;
  }
  const problem = dhcpRangeProblem(range, valueOf(parseSubnet(net.subnet)));
  if (problem) ctx.addIssue({ code: 'custom', path: ['dhcp_range'], message: problem });
}

function checkForwards(net: NetworkTable, ctx: z.core.$RefinementCtx): void {
  if (!net.subnet || !net.forwards) return;
  const { subnet, block } = valueOf(parseSubnet(net.subnet));
  net.forwards.forEach((forward, index) => {
    const target = parseIp(forward.guestAddress);
    if (!target || !cidrContains(block, target)) {
      ctx.addIssue({
        code: 'custom',
        path: ['forwards', index],
        message: `guest address ${forward.guestAddress} is not inside this network's subnet ${subnet.cidr}`,
      });
    }
  });
}

export const NetworkTableSchema = table(networkShape, 'a table of network settings, e.g. [network.NAME] with type = "bridge"')
  .superRefine(checkProfile, whenValid(['type', 'profile', 'interfaces', ...OVERLAY_ONLY]))
  .superRefine(checkDhcpRange, whenValid(['subnet', 'dhcp_range']))
  .superRefine(checkForwards, whenValid(['subnet', 'forwards']));

export type NetworkDocument = z.output<typeof NetworkTableSchema>;
