// Nova networks as the contract sees them: what a caller asks for (NetworkSpec), what
// the helper reports back (Network, with attachments, forwards and status), and the
// small value types both use. Semantic checks (CIDR math, overlaps) live in the helper.
import { z } from 'zod';

/** Network names become bridge names, which the kernel caps at 15 bytes. */
export const NETWORK_NAME_MAX = 15;
export const NETWORK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
/** VM and capsule names (one DNS label; "_" becomes "-" in host names). */
export const ATTACHMENT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** A Linux interface name: 1-15 bytes, no "/", ":", whitespace; "." and ".." are reserved. */
export const IFNAME_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9_.@-]{1,15}$/;

export const NetworkNameSchema = z
  .string()
  .regex(NETWORK_NAME_PATTERN, 'use lowercase letters, digits, "-" and "_", starting with a letter or digit')
  .max(NETWORK_NAME_MAX, `network names become Linux interface names, which are at most ${NETWORK_NAME_MAX} characters`);

export const InterfaceNameSchema = z.string().regex(IFNAME_PATTERN, 'not a Linux interface name (1-15 characters, no "/", ":" or spaces)');
export const AttachmentNameSchema = z.string().regex(ATTACHMENT_NAME_PATTERN, 'use lowercase letters, digits, "-" and "_" (at most 63)');

export const NetworkTypeSchema = z.enum(['bridge', 'overlay']);
export const NetworkProfileSchema = z.enum(['nat', 'external', 'internal']);
export type NetworkType = z.infer<typeof NetworkTypeSchema>;
export type NetworkProfile = z.infer<typeof NetworkProfileSchema>;

export const ProtocolSchema = z.enum(['tcp', 'udp']);
export type Protocol = z.infer<typeof ProtocolSchema>;
const PortSchema = z.number().int().min(1).max(65_535);

export const PortRangeSchema = z.strictObject({ from: PortSchema, to: PortSchema });

/** One allowed egress destination, in the NovaFile parser's shape (novafile-specs.ts EgressRule). */
export const EgressRuleSchema = z.strictObject({
  /** A CIDR ("10.0.0.0/8", "192.0.2.7/32"), or null for any destination. */
  destination: z.string().max(64).nullable(),
  /** Inclusive port range, or null for every port. */
  ports: PortRangeSchema.nullable(),
  /** null: TCP and UDP (and, without ports, any protocol). */
  protocol: ProtocolSchema.nullable(),
});
export type EgressRule = z.infer<typeof EgressRuleSchema>;

export const ForwardSchema = z.strictObject({
  hostPort: PortSchema,
  guestAddress: z.string().max(64),
  guestPort: PortSchema,
  protocol: ProtocolSchema.default('tcp'),
});
export type Forward = z.output<typeof ForwardSchema>;

/** A WireGuard key as `wg genkey` / `wg pubkey` print it: 32 bytes in base64. */
export const WIREGUARD_KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
export const WireguardKeySchema = z.string().regex(WIREGUARD_KEY_PATTERN, 'not a WireGuard public key (44 characters of base64, as `wg pubkey` prints)');
/** A WireGuard overlay's UDP port when none is given, on this host and for its peers. */
export const WIREGUARD_DEFAULT_PORT = 51820;

export const PeerSchema = z.strictObject({
  host: z.string().min(1).max(253),
  port: PortSchema.nullable().default(null),
  /** driver "wireguard": the peer's public key (its `nova net inspect` shows it). */
  publicKey: WireguardKeySchema.optional(),
});
export type Peer = z.output<typeof PeerSchema>;

export const DhcpRangeSchema = z.strictObject({ start: z.string().max(64), end: z.string().max(64) });
export type DhcpRange = z.infer<typeof DhcpRangeSchema>;

/** What `network.create` takes; mirrors a NovaFile [network.NAME] table. */
export const NetworkSpecSchema = z.strictObject({
  name: NetworkNameSchema,
  type: NetworkTypeSchema.default('bridge'),
  /** Default: nat for a bridge without uplinks, external for one with, internal for an overlay. */
  profile: NetworkProfileSchema.optional(),
  /** The host's own address with the prefix length: "192.168.220.1/24". */
  subnet: z.string().max(64).optional(),
  /** Default for nat: the larger side of the subnet next to the host's address. */
  dhcpRange: DhcpRangeSchema.optional(),
  /** Run a DHCP server. Default: on for nat, on for internal when a range is given. */
  dhcp: z.boolean().optional(),
  /** Host uplinks: bridged (external), the way out (nat), the underlay (overlay). */
  uplinks: z.array(InterfaceNameSchema).max(8).default([]),
  /** Serve DNS (NAME.<domain>) for attached guests; default on when dnsmasq runs. */
  dns: z.boolean().optional(),
  /** Default "<network>.nova". */
  domain: z
    .string()
    .max(200)
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'not a DNS domain such as "lab.example"')
    .optional(),
  driver: z.string().min(1).max(32).optional(),
  vni: z.number().int().min(1).max(16_777_215).optional(),
  peers: z.array(PeerSchema).max(64).default([]),
  /** driver "wireguard": the UDP port this host's tunnel listens on (default 51820). */
  listenPort: PortSchema.optional(),
  /** Once set (even empty), everything else leaving the network is dropped. */
  egressAllow: z.array(EgressRuleSchema).max(256).optional(),
  forwards: z.array(ForwardSchema).max(256).default([]),
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
