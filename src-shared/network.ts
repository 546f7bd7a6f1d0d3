// Nova networks as the contract sees them: what a caller asks for (NetworkSpec), what
// the helper reports back (Network, with attachments, forwards and status), and the
// small value types both use. Semantic checks (CIDR math, overlaps) live in the helper.
import { z } from 'zod';
import { checkDhcpRange, parseDhcpRange } from './vocabulary/dhcp-range.js';
import { parseDnsName } from './vocabulary/dns-name.js';
import { parseEgressDestination, parseEgressRule } from './vocabulary/egress-rule.js';
import { parseForward } from './vocabulary/forward.js';
import { IpAddressSchema } from './vocabulary/ip-address.js';
import { parseInterfaceName } from './vocabulary/interface-name.js';
import { parseText } from './vocabulary/parsed.js';
import { parsePeer, parsePeerHost } from './vocabulary/peer.js';
import { PortNumberSchema, ProtocolSchema } from './vocabulary/port.js';
import { nameSchema } from './vocabulary/resource-name.js';
import { parseSubnet, subnetText } from './vocabulary/subnet.js';
import { syntaxOrShape, syntaxSchema } from './vocabulary/syntax-schema.js';
import { parseWireguardKey } from './vocabulary/wireguard-key.js';

export { ATTACHMENT_NAME_PATTERN, NETWORK_NAME_MAX, NETWORK_NAME_PATTERN } from './vocabulary/resource-name.js';
export { IFNAME_PATTERN } from './vocabulary/interface-name.js';
export { WIREGUARD_KEY_PATTERN } from './vocabulary/wireguard-key.js';
export { ProtocolSchema, type Protocol } from './vocabulary/port.js';

/** Network names become bridge names, which the kernel caps at 15 bytes. */
export const NetworkNameSchema = nameSchema('network');

export const InterfaceNameSchema = syntaxSchema<string>((v) => parseText(v, 'an interface name such as "enp6s0"', parseInterfaceName));
/** VM and capsule names (one DNS label; "_" becomes "-" in host names). */
export const AttachmentNameSchema = nameSchema('attachment');

export const NetworkTypeSchema = z.enum(['bridge', 'overlay']);
export const NetworkProfileSchema = z.enum(['nat', 'external', 'internal']);
export type NetworkType = z.infer<typeof NetworkTypeSchema>;
export type NetworkProfile = z.infer<typeof NetworkProfileSchema>;

/**
 * The profile when none is given: a bridge with uplinks is bridged onto the LAN
 * (external), any other bridge is NATed; an overlay stays among its guests (internal).
 */
export function defaultNetworkProfile(spec: { type: NetworkType; profile?: NetworkProfile | undefined; uplinks: readonly string[] }): NetworkProfile {
  if (spec.profile) return spec.profile;
  if (spec.type === 'overlay') return 'internal';
  return spec.uplinks.length > 0 ? 'external' : 'nat';
}

export const PortRangeSchema = z
  .strictObject({ from: PortNumberSchema, to: PortNumberSchema })
  .refine((r) => r.to >= r.from, { message: 'the port range ends before it starts' });

const egressRuleShape = z.strictObject({
  /** A canonical network CIDR ("10.0.0.0/8", "192.0.2.7/32"), or null for any destination. */
  destination: syntaxSchema<string>((v) => parseText(v, 'an address or CIDR', parseEgressDestination)).nullable(),
  /** Inclusive port range, or null for every port. */
  ports: PortRangeSchema.nullable(),
  /** null: TCP and UDP (and, without ports, any protocol). */
  protocol: ProtocolSchema.nullable(),
});
/** One allowed egress destination: "10.0.0.0/8:443/tcp", "53/udp", ... or the object it stands for. */
export const EgressRuleSchema = syntaxOrShape(parseEgressRule, egressRuleShape);
export type EgressRule = z.output<typeof EgressRuleSchema>;

const forwardShape = z.strictObject({
  hostPort: PortNumberSchema,
  guestAddress: IpAddressSchema,
  guestPort: PortNumberSchema,
  protocol: ProtocolSchema.default('tcp'),
});
/** "8080:10.203.0.10:80[/udp]", or the object it stands for. */
export const ForwardSchema = syntaxOrShape(parseForward, forwardShape);
export type Forward = z.output<typeof ForwardSchema>;

export const WireguardKeySchema = syntaxSchema<string>((v) => parseText(v, 'a WireGuard public key', parseWireguardKey));
/** A WireGuard overlay's UDP port when none is given, on this host and for its peers. */
export const WIREGUARD_DEFAULT_PORT = 51820;

const peerShape = z.strictObject({
  /** An IP address (canonical) or a host name, resolved when the overlay is set up. */
  host: syntaxSchema<string>((v) => parseText(v, 'a peer address', parsePeerHost)),
  port: PortNumberSchema.nullable().default(null),
  /** driver "wireguard": the peer's public key (its `nova net inspect` shows it). */
  publicKey: WireguardKeySchema.optional(),
});
/** "192.0.2.10", "peer.lan:4789", "KEY@[fd00::2]:51820", or the object it stands for. */
export const PeerSchema = syntaxOrShape(parsePeer, peerShape);
export type Peer = z.output<typeof PeerSchema>;

const dhcpRangeShape = z.strictObject({ start: IpAddressSchema, end: IpAddressSchema }).transform((range, ctx) => {
  const checked = checkDhcpRange(range);
  if (checked.ok) return checked.value;
  ctx.addIssue({ code: 'custom', message: checked.message, input: range });
  return z.NEVER;
});
/** "10.203.0.100-10.203.0.199", or { start, end }: two addresses of one family, in order. */
export const DhcpRangeSchema = syntaxOrShape(parseDhcpRange, dhcpRangeShape);
export type DhcpRange = z.output<typeof DhcpRangeSchema>;

/** The host's own address on the network with the prefix ("192.168.220.1/24"), canonical. */
export const SubnetSchema = syntaxSchema<string>((v) =>
  parseText(v, 'a subnet such as "192.168.220.1/24"', (t) => {
    const parsed = parseSubnet(t);
    return parsed.ok ? { ok: true, value: subnetText(parsed.value.subnet) } : parsed;
  }),
);

/** A DNS domain such as "lab.example", lowercased. */
export const DomainSchema = syntaxSchema<string>((v) => parseText(v, 'a DNS domain such as "lab.example"', (t) => parseDnsName(t, 'domain')));

/** What `network.create` takes; mirrors a NovaFile [network.NAME] table. */
export const NetworkSpecSchema = z.strictObject({
  name: NetworkNameSchema,
  type: NetworkTypeSchema.default('bridge'),
  /** Default: nat for a bridge without uplinks, external for one with, internal for an overlay. */
  profile: NetworkProfileSchema.optional(),
  /** The host's own address with the prefix length: "192.168.220.1/24". */
  subnet: SubnetSchema.optional(),
  /** Default for nat: the larger side of the subnet next to the host's address. */
  dhcpRange: DhcpRangeSchema.optional(),
  /** Run a DHCP server. Default: on for nat, on for internal when a range is given. */
  dhcp: z.boolean().optional(),
  /** Host uplinks: bridged (external), the way out (nat), the underlay (overlay). */
  uplinks: z.array(InterfaceNameSchema).max(8).default([]),
  /** Serve DNS (NAME.<domain>) for attached guests; default on when dnsmasq runs. */
  dns: z.boolean().optional(),
  /** Default "<network>.nova". */
  domain: DomainSchema.optional(),
  driver: z.string().min(1).max(32).optional(),
  vni: z.number().int().min(1).max(16_777_215).optional(),
  peers: z.array(PeerSchema).max(64).default([]),
  /** driver "wireguard": the UDP port this host's tunnel listens on (default 51820). */
  listenPort: PortNumberSchema.optional(),
  /** Once set (even empty), everything else leaving the network is dropped. */
  egressAllow: z.array(EgressRuleSchema).max(256).optional(),
  forwards: z.array(ForwardSchema).max(256).default([]),
  /** The NovaFile project that owns the network; absent: unmanaged. */
  project: nameSchema('project').optional(),
});
export type NetworkSpecInput = z.input<typeof NetworkSpecSchema>;
export type NetworkSpec = z.output<typeof NetworkSpecSchema>;

export const AttachmentKindSchema = z.enum(['tap', 'veth']);
export type AttachmentKind = z.infer<typeof AttachmentKindSchema>;

export const AttachmentSchema = z.strictObject({
  resource: AttachmentNameSchema,
  kind: AttachmentKindSchema,
  /** The host-side interface on the bridge (the tap itself, or the veth's host end). */
  hostIfname: z.string(),
  /** Locally administered, derived from network and resource names: stable across re-creation. */
  mac: z.string(),
  /** Static "address/prefix", or null for DHCP. */
  address: z.string().nullable(),
  /** veth: the named network namespace holding the guest end. */
  netns: z.string().nullable(),
  guestIfname: z.string().nullable(),
  /** The name the others resolve it by, e.g. "web.lab.nova". */
  hostname: z.string(),
  present: z.boolean(),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

export const NetworkStateSchema = z.enum(['active', 'degraded', 'down']);
export type NetworkState = z.infer<typeof NetworkStateSchema>;

export const NetworkStatusSchema = z.strictObject({
  state: NetworkStateSchema,
  /** Why it is degraded or down; empty when active. */
  reasons: z.array(z.string()),
});
export type NetworkStatus = z.infer<typeof NetworkStatusSchema>;

export const WireguardInfoSchema = z.strictObject({
  /** This host's public key, to hand to the other hosts. */
  publicKey: z.string(),
  listenPort: z.number().int(),
  /** The WireGuard interface and this host's address inside the tunnel (derived from the key). */
  interface: z.string(),
  tunnelAddress: z.string(),
});
export type WireguardInfo = z.infer<typeof WireguardInfoSchema>;

export const NetworkSchema = z.strictObject({
  name: z.string(),
  type: NetworkTypeSchema,
  profile: NetworkProfileSchema,
  bridge: z.string(),
  /** Canonical block ("192.168.220.0/24") and the host's address on it, or null. */
  subnet: z.string().nullable(),
  gateway: z.string().nullable(),
  dhcpRange: DhcpRangeSchema.nullable(),
  uplinks: z.array(z.string()),
  dns: z.boolean(),
  domain: z.string().nullable(),
  driver: z.string().nullable(),
  vni: z.number().int().nullable(),
  peers: z.array(PeerSchema),
  /** driver "wireguard": what the other hosts need to list this one as a peer. */
  wireguard: WireguardInfoSchema.optional(),
  egressAllow: z.array(EgressRuleSchema).nullable(),
  forwards: z.array(ForwardSchema),
  attachments: z.array(AttachmentSchema),
  status: NetworkStatusSchema,
  createdAt: z.string(),
  /** The NovaFile project that owns the network; null: unmanaged. */
  project: z.string().nullable().default(null),
});
export type Network = z.infer<typeof NetworkSchema>;

export const DhcpLeaseSchema = z.strictObject({
  mac: z.string(),
  address: z.string(),
  hostname: z.string().nullable(),
  /** ISO time, or null for an infinite lease. */
  expiresAt: z.string().nullable(),
});
export type DhcpLease = z.infer<typeof DhcpLeaseSchema>;

export const AttachRequestSchema = z.strictObject({
  network: NetworkNameSchema,
  resource: AttachmentNameSchema,
  kind: AttachmentKindSchema,
  /** veth: the named network namespace that receives the guest end (a capsule's). */
  netns: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/).optional(),
  /** veth: the guest end's name inside that namespace (default eth0). */
  guestIfname: InterfaceNameSchema.optional(),
  /** Static "address/prefix" inside the subnet; omitted: DHCP. */
  address: z.string().max(64).optional(),
});
export type AttachRequest = z.infer<typeof AttachRequestSchema>;

/**
 * What `network.update` may change on a network that exists. `type` and `profile` are
 * accepted only to be refused in words when they differ (a network's kind is fixed);
 * `subnet` changes only while nothing is attached.
 */
export const NetworkUpdateSchema = z.strictObject({
  name: NetworkNameSchema,
  /** null: no egress policy any more; a list (even empty): only these leave the network. */
  egressAllow: z.array(EgressRuleSchema).max(256).nullable().optional(),
  dhcpRange: DhcpRangeSchema.optional(),
  dhcp: z.boolean().optional(),
  dns: z.boolean().optional(),
  domain: DomainSchema.optional(),
  forwards: z.array(ForwardSchema).max(256).optional(),
  peers: z.array(PeerSchema).max(64).optional(),
  subnet: SubnetSchema.optional(),
  type: NetworkTypeSchema.optional(),
  profile: NetworkProfileSchema.optional(),
});
export type NetworkUpdateInput = z.input<typeof NetworkUpdateSchema>;
export type NetworkUpdate = z.output<typeof NetworkUpdateSchema>;

export const NetworkUpdateFieldSchema = z.enum(['egressAllow', 'dhcpRange', 'dhcp', 'dns', 'domain', 'forwards', 'peers', 'subnet']);
export type NetworkUpdateField = z.infer<typeof NetworkUpdateFieldSchema>;

/** "now": in force when the call returns; "reconnect": guests see it once they renew their lease or reconnect. */
export const ChangeEffectSchema = z.enum(['now', 'reconnect']);
export type ChangeEffect = z.infer<typeof ChangeEffectSchema>;

export const NetworkUpdateResultSchema = z.strictObject({
  network: NetworkSchema,
  /** One entry per field that really changed (a value equal to the current one is no change). */
  changes: z.array(z.strictObject({ field: NetworkUpdateFieldSchema, effect: ChangeEffectSchema, note: z.string() })),
});
export type NetworkUpdateResult = z.infer<typeof NetworkUpdateResultSchema>;
