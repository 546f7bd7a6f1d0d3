// The create-network dialog's model: its text fields per profile, the NetworkSpec they
// make, and the errors to show beside each field. The contract's own schema checks the
// shape; the cross-field rules the helper would refuse (DHCP range outside the subnet,
// an external network without uplink) are checked here too, so they show as you type.
import type { z } from 'zod';
import { parseIp } from '../../../src-shared/ip-cidr.js';
import { NetworkSpecSchema, WIREGUARD_DEFAULT_PORT, WIREGUARD_KEY_PATTERN, type NetworkSpecInput } from '../../../src-shared/network.js';
import { cidrContainsIpv4, formatIpv4, parseIpv4, parseIpv4Cidr } from './ipv4.js';

/** What the dialog offers: the three bridge profiles, and an overlay across hosts. */
export type NetworkKind = 'nat' | 'external' | 'internal' | 'overlay';

export const NETWORK_KINDS: readonly { readonly kind: NetworkKind; readonly label: string; readonly hint: string }[] = [
  { kind: 'nat', label: 'NAT', hint: 'A private subnet behind the host, with DHCP and DNS; guests reach out through the host.' },
  { kind: 'external', label: 'External', hint: 'Bridges a host interface, so guests appear on the physical LAN and get addresses from its router.' },
  { kind: 'internal', label: 'Internal', hint: 'An isolated bridge with no way out; DHCP is optional.' },
  { kind: 'overlay', label: 'Overlay', hint: 'One layer-2 network across hosts over VXLAN, in the clear or inside an encrypted WireGuard tunnel, with its peers listed.' },
];

export const OVERLAY_DRIVERS = ['vxlan', 'wireguard'] as const;
export type OverlayDriver = (typeof OVERLAY_DRIVERS)[number];

/**
 * The UI does not know which drivers this host offers (the helper probes at create time),
 * so both are offered and the helper's refusal names the ones it has.
 */
export const OVERLAY_DRIVER_CHOICES: readonly { readonly driver: OverlayDriver; readonly label: string; readonly hint: string }[] = [
  { driver: 'vxlan', label: 'VXLAN', hint: 'Plain VXLAN over UDP 4789: for a trusted LAN between the hosts.' },
  {
    driver: 'wireguard',
    label: 'WireGuard',
    hint: 'VXLAN inside an encrypted WireGuard tunnel: each host lists the others by public key. This host’s key is shown once the network exists.',
  },
];

export interface NetworkFormValues {
  readonly name: string;
  readonly kind: NetworkKind;
  /** The host's address with its prefix length, "192.168.220.1/24". */
  readonly subnet: string;
  readonly dhcp: boolean;
  readonly dhcpStart: string;
  readonly dhcpEnd: string;
  /** nat: the way out (optional); external: the bridged interface; overlay: the underlay. */
  readonly uplink: string;
  readonly driver: string;
  readonly vni: string;
  /** Comma-, space- or line-separated "host" or "host:port"; for wireguard "KEY@host[:port]". */
  readonly peers: string;
  /** wireguard: this host's UDP port; empty for the default. */
  readonly listenPort: string;
}

export type NetworkFormField = 'name' | 'subnet' | 'dhcpStart' | 'dhcpEnd' | 'uplink' | 'driver' | 'vni' | 'peers' | 'listenPort';

export type FieldErrors = Partial<Record<NetworkFormField, string>>;

export interface NetworkFormCheck {
  readonly errors: FieldErrors;
  /** The spec to send, or null while any field is wrong. */
  readonly spec: NetworkSpecInput | null;
}

export function emptyNetworkForm(kind: NetworkKind = 'nat'): NetworkFormValues {
  return { name: '', kind, subnet: '', dhcp: kind === 'nat', dhcpStart: '', dhcpEnd: '', uplink: '', driver: 'vxlan', vni: '', peers: '', listenPort: '' };
}

/** Which fields the dialog shows for a kind (and an overlay's driver): the form follows the choice. */
export function fieldsFor(kind: NetworkKind, driver = 'vxlan'): ReadonlySet<NetworkFormField> {
  switch (kind) {
    case 'nat':
      return new Set(['name', 'subnet', 'dhcpStart', 'dhcpEnd', 'uplink']);
    case 'external':
      return new Set(['name', 'uplink']);
    case 'internal':
      return new Set(['name', 'subnet', 'dhcpStart', 'dhcpEnd']);
    case 'overlay':
      return new Set<NetworkFormField>(['name', 'subnet', 'dhcpStart', 'dhcpEnd', 'uplink', 'driver', 'vni', 'peers', ...(driver === 'wireguard' ? (['listenPort'] as const) : [])]);
  }
}

/** Whether the DHCP switch is offered (nat and internal; an overlay with a subnet). */
export function dhcpOffered(kind: NetworkKind): boolean {
  return kind !== 'external';
}

export function uplinkRequired(kind: NetworkKind): boolean {
  return kind === 'external';
}

export interface PeerInput {
  host: string;
  port: number | null;
  publicKey?: string;
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** "host", "host:port", "[ipv6]:port" or a bare IPv6 address, as the CLI and the NovaFile take them. */
function parseEndpoint(item: string, text: string): { host: string; port: number | null } | string {
  let host = text;
  let portText: string | null = null;
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracket) {
    host = bracket[1] ?? '';
    portText = bracket[2] ?? null;
    if (parseIp(host)?.family !== 6) return `"${item}": brackets hold an IPv6 address, e.g. [2001:db8::2]:51820`;
  } else if (text.split(':').length === 2) {
    // One colon is host:port; more is an IPv6 address, written without a port (or in brackets with one).
    [host = '', portText = ''] = text.split(':');
  }
  if (portText !== null) {
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (host === '' || !(port >= 1 && port <= 65_535)) return `"${item}": write host:port with a port from 1 to 65535`;
    return { host, port };
  }
  if (host === '') return `"${item}": write the peer’s address after the key, e.g. KEY@192.0.2.10`;
  if (!parseIp(host) && !HOST_NAME.test(host)) return `"${item}": ${JSON.stringify(host)} is neither an IP address nor a host name`;
  return { host, port: null };
}

/** "KEY@host:port" (or "host:port"), as parsePeers reads it back; IPv6 in brackets when a port follows. */
export function peerText(p: PeerInput): string {
  const host = p.port !== null && p.host.includes(':') ? `[${p.host}]` : p.host;
  return `${p.publicKey ? `${p.publicKey}@` : ''}${host}${p.port !== null ? `:${p.port}` : ''}`;
}

/**
 * The peers list of an overlay: for driver "wireguard" each peer is "KEY@host[:port]",
 * for "vxlan" only "host[:port]". Returns the first problem in words instead, naming the
 * item; `ownKey` (the network's own public key, once known) may not be listed.
 */
export function parsePeers(text: string, driver = 'vxlan', ownKey?: string): PeerInput[] | string {
  const peers: PeerInput[] = [];
  const keys = new Map<string, string>();
  const wireguard = driver === 'wireguard';
  for (const item of text.split(/[\s,]+/).filter((s) => s !== '')) {
    const at = item.lastIndexOf('@');
    const key = at >= 0 ? item.slice(0, at) : null;
    if (key === null && wireguard) return `"${item}": write the peer’s public key first, KEY@${item} (the key its Networks page or \`nova net inspect\` shows)`;
    if (key !== null && !wireguard) return `"${item}": a public key is for driver WireGuard only; write the address alone`;
    if (key !== null && !WIREGUARD_KEY_PATTERN.test(key)) {
      const shown = key.length > 12 ? `${key.slice(0, 12)}…` : key;
      return `"${shown}" is not a WireGuard public key: 44 characters of base64 ending in “=”, as \`wg pubkey\` prints`;
    }
    const endpoint = parseEndpoint(item, at >= 0 ? item.slice(at + 1) : item);
    if (typeof endpoint === 'string') return endpoint;
    if (key !== null) {
      if (key === ownKey) return `${endpoint.host}: that is this host’s own public key; list the other hosts’ keys`;
      const twin = keys.get(key);
      if (twin !== undefined) return `${twin} and ${endpoint.host} have the same public key; each host has its own`;
      keys.set(key, endpoint.host);
      peers.push({ ...endpoint, publicKey: key });
    } else {
      peers.push(endpoint);
    }
  }
  return peers;
}

/** The spec the form describes, before any check; fields a kind does not show are left out. */
export function formToSpec(values: NetworkFormValues): NetworkSpecInput {
  const shown = fieldsFor(values.kind);
  const spec: NetworkSpecInput = {
    name: values.name.trim(),
    type: values.kind === 'overlay' ? 'overlay' : 'bridge',
    profile: values.kind === 'overlay' ? 'internal' : values.kind,
  };
  const subnet = values.subnet.trim();
  if (shown.has('subnet') && subnet !== '') spec.subnet = subnet;
  if (dhcpOffered(values.kind)) {
    const wantsDhcp = values.dhcp && (values.kind === 'nat' || subnet !== '');
    spec.dhcp = wantsDhcp;
    const start = values.dhcpStart.trim();
    const end = values.dhcpEnd.trim();
    if (wantsDhcp && (start !== '' || end !== '')) spec.dhcpRange = { start, end };
  }
  const uplink = values.uplink.trim();
  if (shown.has('uplink') && uplink !== '') spec.uplinks = [uplink];
  if (values.kind === 'overlay') {
    spec.driver = values.driver.trim();
    const vni = values.vni.trim();
    if (vni !== '') spec.vni = /^\d+$/.test(vni) ? Number(vni) : NaN;
    const peers = parsePeers(values.peers, spec.driver);
    if (typeof peers !== 'string') spec.peers = peers;
    const listenPort = values.listenPort.trim();
    if (spec.driver === 'wireguard' && listenPort !== '') spec.listenPort = /^\d+$/.test(listenPort) ? Number(listenPort) : NaN;
  }
  return spec;
}

const ISSUE_FIELDS: Record<string, NetworkFormField> = {
  name: 'name',
  subnet: 'subnet',
  uplinks: 'uplink',
  driver: 'driver',
  vni: 'vni',
  peers: 'peers',
  listenPort: 'listenPort',
};

const LISTEN_PORT_HELP = `a UDP port from 1 to 65535, or empty for ${WIREGUARD_DEFAULT_PORT}`;

function schemaErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const [head, second] = issue.path.map(String);
    const field = head === 'dhcpRange' ? (second === 'end' ? 'dhcpEnd' : 'dhcpStart') : ISSUE_FIELDS[head ?? ''];
    if (field && !errors[field]) errors[field] = field === 'vni' ? 'a whole number from 1 to 16777215' : field === 'listenPort' ? LISTEN_PORT_HELP : issue.message;
  }
  return errors;
}

function checkSubnet(text: string): string | null {
  const cidr = parseIpv4Cidr(text);
  if (!cidr) return 'write the host’s IPv4 address with a prefix length, e.g. 192.168.220.1/24';
  if (cidr.prefix > 30) return 'leaves no room for guests; use a prefix of /30 or shorter';
  if (cidr.prefix < 8) return 'too large; use a prefix of /8 or longer';
  const firstHost = `${formatIpv4(cidr.first + 1)}/${cidr.prefix}`;
  if (cidr.address === cidr.first) return `this is the network’s own address; write the host’s address on it, e.g. ${firstHost}`;
  if (cidr.address === cidr.last) return `this is the broadcast address; write the host’s address on it, e.g. ${firstHost}`;
  return null;
}

/** Rules across fields that the helper would refuse; only where the fields themselves parse. */
function crossFieldErrors(values: NetworkFormValues, spec: NetworkSpecInput, errors: FieldErrors): void {
  const set = (field: NetworkFormField, message: string): void => {
    if (!errors[field]) errors[field] = message;
  };
  const { kind } = values;
  if (kind === 'nat' && !spec.subnet) set('subnet', 'a NAT network needs a subnet, e.g. 192.168.220.1/24');
  const subnetProblem = spec.subnet ? checkSubnet(spec.subnet) : null;
  if (subnetProblem) set('subnet', subnetProblem);
  if (uplinkRequired(kind) && !spec.uplinks?.length) set('uplink', 'an external network bridges a host interface onto the LAN; name it, e.g. enp6s0');
  if (spec.uplinks?.[0] !== undefined && spec.uplinks[0] === spec.name) set('uplink', 'the network’s own name names its bridge; name the host interface');
  if (kind === 'overlay') {
    if (spec.driver === '') set('driver', 'name the overlay driver, e.g. vxlan');
    if (spec.vni === undefined) set('vni', 'an overlay needs a VXLAN network identifier (1-16777215), the same on every host');
    const peers = parsePeers(values.peers, spec.driver);
    if (typeof peers === 'string') set('peers', peers);
  }

  const range = spec.dhcpRange;
  if (!range) return;
  const start = parseIpv4(range.start);
  const end = parseIpv4(range.end);
  if (start === null) set('dhcpStart', range.start === '' ? 'write the first address, or leave both empty for the default range' : 'not an IPv4 address');
  if (end === null) set('dhcpEnd', range.end === '' ? 'write the last address, or leave both empty for the default range' : 'not an IPv4 address');
  const cidr = spec.subnet && !subnetProblem ? parseIpv4Cidr(spec.subnet) : null;
  if (!cidr) return;
  // Each end on its own first, so a wrong start shows before the end is typed.
  const usable = (ip: number): boolean => cidrContainsIpv4(cidr, ip) && ip > cidr.first && ip < cidr.last;
  const outside = `outside the subnet ${formatIpv4(cidr.first)}/${cidr.prefix} (or its network or broadcast address)`;
  if (start !== null && !usable(start)) set('dhcpStart', outside);
  if (end !== null && !usable(end)) set('dhcpEnd', outside);
  if (start === null || end === null) return;
  if (end < start) set('dhcpEnd', 'the range ends before it starts');
  if (start <= cidr.address && cidr.address <= end) set('dhcpStart', `the range includes the host’s own address ${formatIpv4(cidr.address)}; start it after that`);
}

/** The range the helper picks when none is given: the larger run beside the host's address. */
export function defaultDhcpRange(subnet: string): { start: string; end: string } | null {
  const cidr = checkSubnet(subnet.trim()) === null ? parseIpv4Cidr(subnet.trim()) : null;
  if (!cidr) return null;
  const below = cidr.address - (cidr.first + 1);
  const above = cidr.last - 1 - cidr.address;
  const [start, end] = above >= below ? [cidr.address + 1, cidr.last - 1] : [cidr.first + 1, cidr.address - 1];
  return { start: formatIpv4(start), end: formatIpv4(end) };
}

/** Every error of the form, and the spec when there is none. */
export function checkNetworkForm(values: NetworkFormValues): NetworkFormCheck {
  const spec = formToSpec(values);
  const parsed = NetworkSpecSchema.safeParse(spec);
  const errors = parsed.success ? {} : schemaErrors(parsed.error);
  if (spec.name === '') errors.name = 'a network needs a name, e.g. lab0';
  crossFieldErrors(values, spec, errors);
  return { errors, spec: Object.keys(errors).length === 0 ? spec : null };
}
