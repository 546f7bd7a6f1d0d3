// The pure half of a WireGuard overlay: VXLAN carried inside a WireGuard tunnel. Every
// host derives each member's tunnel address from the overlay's VNI and that member's
// public key, so peers need only an endpoint and a key. wireguard-tunnel.ts applies it.
import { createHash } from 'node:crypto';
import { NovaError } from '../../../src-shared/errors.js';
import { formatIp, parseIp } from '../../../src-shared/ip-cidr.js';
import { WIREGUARD_DEFAULT_PORT, WIREGUARD_KEY_PATTERN, type NetworkSpec, type WireguardInfo } from '../../../src-shared/network.js';
import { IFNAME_MAX } from './interface-names.js';

export interface WireguardPeerConfig {
  publicKey: string;
  /** "192.0.2.10:51820" or "[2001:db8::1]:51820", as `wg` takes it. */
  endpoint: string;
  tunnelAddress: string;
}

export interface WireguardConfig {
  /** The WireGuard interface (kernel device, or wireguard-go's tun). */
  interface: string;
  listenPort: number;
  publicKey: string;
  /** This host's address inside the tunnel; VXLAN's local address. */
  tunnelAddress: string;
  /** Every member of the overlay shares this /64, so the on-link route covers all peers. */
  tunnelPrefix: number;
  /** MTU of the WireGuard interface: the underlay's less WireGuard's overhead. */
  mtu: number;
  peers: WireguardPeerConfig[];
}

/** Outer IPv4 (20) or IPv6 (40) header, UDP (8) and WireGuard's data header and tag (32). */
export const WIREGUARD_OVERHEAD = { 4: 60, 6: 80 } as const;
/** VXLAN inside the tunnel runs over IPv6 tunnel addresses: IPv6 (40), UDP (8), VXLAN (8), Ethernet (14). */
export const VXLAN_IN_TUNNEL_OVERHEAD = 70;
export const TUNNEL_PREFIX_LENGTH = 64;

const bad = (message: string, details?: unknown) => new NovaError('invalid_argument', message, details);

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\0')).digest();
}

/** The overlay's WireGuard interface: the same rules as interface-names.ts (prefix, kind letter, hash). */
export function wireguardDevice(prefix: string, network: string): string {
  const kind = 'g';
  const room = IFNAME_MAX - prefix.length - kind.length;
  if (room < 6) throw new Error(`interface prefix "${prefix}" is too long: names would exceed ${IFNAME_MAX} characters`);
  return prefix + kind + digest(kind, network).toString('hex').slice(0, Math.min(room, 8));
}

/** fdXX:XXXX:XXXX:XXXX:IID: a ULA /64 from the VNI, the interface id from the key. */
export function tunnelAddress(vni: number, publicKey: string): string {
  const net = digest('nova-wireguard-overlay', String(vni)).subarray(0, 7);
  const iid = digest('nova-wireguard-member', publicKey).subarray(0, 8);
  const bytes = Buffer.concat([Buffer.from([0xfd]), net, iid]);
  const value = BigInt(`0x${bytes.toString('hex')}`);
  return formatIp({ family: 6, value });
}

export function isWireguardKey(text: string): boolean {
  return WIREGUARD_KEY_PATTERN.test(text);
}

function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface WireguardPlanInput {
  spec: NetworkSpec;
  vni: number;
  device: string;
  /** This host's public key (the helper generated its key pair before planning). */
  publicKey: string;
  /** Listen ports of this host's other WireGuard overlays, by network. */
  usedPorts: ReadonlyMap<number, string>;
  resolvedPeers?: Readonly<Record<string, string>>;
  underlayMtu: number;
  minMtu: number;
}

/** Validates the peers and port of a wireguard overlay; returns the tunnel and the guests' MTU. */
export function planWireguard(input: WireguardPlanInput): { wireguard: WireguardConfig; mtu: number } {
  const { spec, vni, publicKey } = input;
  if (!isWireguardKey(publicKey)) throw new NovaError('internal', 'this host\'s WireGuard public key is malformed; delete the network and create it again');
  const listenPort = spec.listenPort ?? WIREGUARD_DEFAULT_PORT;
  const owner = input.usedPorts.get(listenPort);
  if (owner) {
    throw new NovaError('already_exists', `listen port ${listenPort}/udp is already used by WireGuard network ${JSON.stringify(owner)}; set another listen port (e.g. --listen-port ${listenPort + 1})`, {
      network: owner,
    });
  }
  const byKey = new Map<string, string>();
  const byEndpoint = new Set<string>();
  const peers = spec.peers.map((p): WireguardPeerConfig => {
    const label = p.port ? `${p.host}:${p.port}` : p.host;
    if (p.publicKey === undefined) {
      throw bad(`wireguard peer ${JSON.stringify(label)} has no public key; write it as "KEY@${label}" with the key \`nova net inspect ${spec.name}\` prints on that host`, {
        peer: label,
      });
    }
    if (!isWireguardKey(p.publicKey)) {
      throw bad(`wireguard peer ${JSON.stringify(label)}: ${JSON.stringify(p.publicKey)} is not a WireGuard public key (44 characters of base64, as \`wg pubkey\` prints)`, { peer: label });
    }
    if (p.publicKey === publicKey) throw bad(`wireguard peer ${JSON.stringify(label)} has this host's own public key; list the other hosts' keys`, { peer: label });
    const twin = byKey.get(p.publicKey);
    if (twin !== undefined) throw bad(`wireguard peers ${JSON.stringify(twin)} and ${JSON.stringify(label)} have the same public key; each host has its own`, { peer: label });
    byKey.set(p.publicKey, label);
    const ip = parseIp(p.host);
    const address = ip ? formatIp(ip) : input.resolvedPeers?.[p.host];
    if (!address) throw bad(`overlay peer ${JSON.stringify(p.host)} is not an IP address and could not be resolved`, { peer: label });
    const endpoint = endpointText(address, p.port ?? WIREGUARD_DEFAULT_PORT);
    if (byEndpoint.has(endpoint)) throw bad(`wireguard peer ${endpoint} is listed twice; list each host once`, { peer: label });
    byEndpoint.add(endpoint);
    return { publicKey: p.publicKey, endpoint, tunnelAddress: tunnelAddress(vni, p.publicKey) };
  });
  const family = peers.some((p) => p.endpoint.startsWith('[')) ? 6 : 4;
  const wgMtu = input.underlayMtu - WIREGUARD_OVERHEAD[family];
  const mtu = wgMtu - VXLAN_IN_TUNNEL_OVERHEAD;
  if (mtu < input.minMtu) {
    throw bad(
      `the underlay's MTU ${input.underlayMtu} leaves ${mtu} bytes for guests after WireGuard's ${WIREGUARD_OVERHEAD[family]} and VXLAN's ${VXLAN_IN_TUNNEL_OVERHEAD}; an overlay needs at least ${input.minMtu} (raise the underlay's MTU)`,
    );
  }
  return {
    wireguard: {
      interface: input.device,
      listenPort,
      publicKey,
      tunnelAddress: tunnelAddress(vni, publicKey),
      tunnelPrefix: TUNNEL_PREFIX_LENGTH,
      mtu: wgMtu,
      peers,
    },
    mtu,
  };
}

/** The whole device configuration for `wg setconf` (which replaces what was there): idempotent. */
export function renderWireguardConf(wg: WireguardConfig, privateKey: string): string {
  const lines = ['[Interface]', `PrivateKey = ${privateKey}`, `ListenPort = ${wg.listenPort}`];
  for (const p of wg.peers) {
    lines.push('', '[Peer]', `PublicKey = ${p.publicKey}`, `AllowedIPs = ${p.tunnelAddress}/128`, `Endpoint = ${p.endpoint}`);
  }
  return lines.join('\n') + '\n';
}

/** `ip -batch` lines for the tunnel's address and MTU, once the WireGuard device exists. */
export function wireguardAddressLines(wg: WireguardConfig): string[] {
  return [`addr replace ${wg.tunnelAddress}/${wg.tunnelPrefix} dev ${wg.interface} nodad`, `link set dev ${wg.interface} mtu ${wg.mtu} up`];
}

/** The VXLAN device inside the tunnel: local is our tunnel address, so it speaks IPv6 to the peers' ones. */
export function vxlanInTunnelLines(device: string, vni: number, port: number, mtu: number, wg: WireguardConfig): { host: string[]; fdb: string[] } {
  return {
    host: [`link add name ${device} mtu ${mtu} type vxlan id ${vni} dstport ${port} local ${wg.tunnelAddress}`],
    fdb: wg.peers.map((p) => `fdb append 00:00:00:00:00:00 dev ${device} dst ${p.tunnelAddress} port ${port}`),
  };
}

/** What `network.inspect` shows, so the user can list this host on the others. */
export function wireguardInfo(wg: WireguardConfig): WireguardInfo {
  return { publicKey: wg.publicKey, listenPort: wg.listenPort, interface: wg.interface, tunnelAddress: wg.tunnelAddress };
}
