// The resolved, validated form of a network as the helper keeps it: what the spec
// said, with every default decided (bridge name, gateway, DHCP range, overlay device).
// network-plan.ts makes one from a NetworkSpec; everything else consumes it.
import type { AttachmentKind, EgressRule, Forward, NetworkProfile, NetworkType, Peer } from '../../../src-shared/network.js';
import type { WireguardConfig } from './wireguard-plan.js';

export interface SubnetConfig {
  /** Canonical block, e.g. "192.168.220.0/24". */
  cidr: string;
  /** The host's address on the bridge, e.g. "192.168.220.1". */
  gateway: string;
  prefix: number;
  family: 4 | 6;
}

export interface OverlayConfig {
  /** wireguard: the VXLAN device runs inside the tunnel described by `wireguard`. */
  driver: 'vxlan' | 'wireguard';
  vni: number;
  /** The VXLAN device enslaved to the bridge. */
  device: string;
  /** The underlay interface, or null to let the kernel route to the peers. */
  underlay: string | null;
  /** Resolved peer addresses (IP literals) with their UDP ports. */
  peers: Array<{ address: string; port: number }>;
  port: number;
  /**
   * MTU of the bridge and every port on it: the underlay's less the VXLAN headers, so
   * a guest never sends a frame the tunnel must drop. Absent in records from before it was kept.
   */
  mtu?: number;
  wireguard?: WireguardConfig;
}

export interface NetworkConfig {
  name: string;
  type: NetworkType;
  profile: NetworkProfile;
  bridge: string;
  /** Stable bridge MAC, so the bridge does not take a new address whenever a port joins. */
  bridgeMac: string;
  subnet: SubnetConfig | null;
  /** null: no DHCP server. */
  dhcp: { start: string; end: string } | null;
  dns: boolean;
  domain: string;
  uplinks: string[];
  /** As the caller wrote them (host names kept for display); overlay.peers holds the resolved ones. */
  peers: Peer[];
  overlay: OverlayConfig | null;
  /** null: no egress policy; a list (even empty): only these leave the network. */
  egressAllow: EgressRule[] | null;
  forwards: Forward[];
  /** The NovaFile project that owns the network; absent in records of unmanaged networks. */
  project?: string;
}

export interface AttachmentRecord {
  resource: string;
  kind: AttachmentKind;
  hostIfname: string;
  mac: string;
  /** Static "address/prefix", or null for DHCP. */
  address: string | null;
  netns: string | null;
  guestIfname: string | null;
  /**
   * tap: the user (and group) that may open it, so a QEMU running as the calling user,
   * not root, can use it. Absent in records written before owners existed: root only.
   */
  tapOwner?: { uid: number; gid: number } | null;
}

/** One file per network in the state dir. */
export interface NetworkRecord {
  version: 1;
  config: NetworkConfig;
  attachments: AttachmentRecord[];
  createdAt: string;
  /**
   * Set while a create or delete is under way; a record found with it on start is
   * finished by tearing the network down (a create never completed, or a delete did not).
   */
  pending?: 'create' | 'delete';
}

/** A network as its record has it (no kernel state): what a guest joining it needs. */
export interface RecordedNetwork {
  profile: NetworkConfig['profile'];
  /** "10.0.0.0/24", or null without a Nova subnet. */
  subnet: string | null;
  gateway: string | null;
  dns: boolean;
  domain: string | null;
  attachments: { resource: string; address: string | null }[];
}

/** VXLAN over IPv4 with a 1500-byte underlay, for overlays recorded before their MTU was. */
export const DEFAULT_OVERLAY_MTU = 1450;

/** The MTU Nova sets on the bridge and its ports, or null to leave the kernel's default. */
export function networkMtu(config: NetworkConfig): number | null {
  return config.overlay ? (config.overlay.mtu ?? DEFAULT_OVERLAY_MTU) : null;
}

/** Runs dnsmasq when it has something to serve. */
export function needsDnsmasq(config: NetworkConfig): boolean {
  return config.subnet !== null && (config.dhcp !== null || config.dns);
}

/** The name a guest is resolved by: its resource name as a DNS label under the network's domain. */
export function guestHostLabel(resource: string): string {
  return resource.replace(/_/g, '-');
}
