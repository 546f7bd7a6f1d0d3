// The create-network dialog's model: its text fields per profile, the NetworkSpec they
// make, and the errors to show beside each field. The contract's own schema checks the
// shape and the vocabulary's parsers the syntaxes (subnets, addresses, peers); the
// cross-field rules the helper would refuse (DHCP range outside the subnet, an external
// network without uplink) are the vocabulary's too, checked here so they show as you type.
import type { z } from 'zod';
import { NetworkSpecSchema, WIREGUARD_DEFAULT_PORT, type NetworkSpecInput, type Peer } from '../../../src-shared/network.js';
import {
  checkDhcpRange,
  defaultDhcpRange as vocabularyDefaultDhcpRange,
  dhcpRangeEndProblem,
  dhcpRangeProblem,
  parseIpAddress,
  parsePeer,
  parseSubnet,
  type ParsedSubnet,
} from '../../../src-shared/vocabulary/index.js';

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

export type PeerInput = Peer;

/**
 * The peers list of an overlay: for driver "wireguard" each peer is "KEY@host[:port]",
 * for "vxlan" only "host[:port]" (the vocabulary's peer syntax, as the CLI and the
 * NovaFile take it). Returns the first problem in words instead, naming the item;
 * `ownKey` (the network's own public key, once known) may not be listed.
 */
export function parsePeers(text: string, driver = 'vxlan', ownKey?: string): PeerInput[] | string {
  const peers: PeerInput[] = [];
  const keys = new Map<string, string>();
  const wireguard = driver === 'wireguard';
  for (const item of text.split(/[\s,]+/).filter((s) => s !== '')) {
    const parsed = parsePeer(item);
    if (!parsed.ok) return parsed.message;
    const peer = parsed.value;
    const key = peer.publicKey;
    if (key === undefined && wireguard) return `"${item}": write the peer’s public key first, KEY@${item} (the key its Networks page or \`nova net inspect\` shows)`;
    if (key !== undefined && !wireguard) return `"${item}": a public key is for driver WireGuard only; write the address alone`;
    if (key !== undefined) {
      if (key === ownKey) return `${peer.host}: that is this host’s own public key; list the other hosts’ keys`;
      const twin = keys.get(key);
      if (twin !== undefined) return `${twin} and ${peer.host} have the same public key; each host has its own`;
      keys.set(key, peer.host);
    }
    peers.push(peer);
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
    const [head] = issue.path.map(String);
    // The range is checked end by end below, with messages for a half-typed range.
    const field = head === 'dhcpRange' ? undefined : ISSUE_FIELDS[head ?? ''];
    if (field && !errors[field]) errors[field] = field === 'vni' ? 'a whole number from 1 to 16777215' : field === 'listenPort' ? LISTEN_PORT_HELP : issue.message;
  }
  return errors;
}

/** The subnet as the vocabulary reads it, or what is wrong with it. */
function checkSubnet(text: string): ParsedSubnet | string {
  const parsed = parseSubnet(text);
  return parsed.ok ? parsed.value : parsed.message;
}

/** Rules across fields that the helper would refuse; only where the fields themselves parse. */
function crossFieldErrors(values: NetworkFormValues, spec: NetworkSpecInput, errors: FieldErrors): void {
  const set = (field: NetworkFormField, message: string): void => {
    if (!errors[field]) errors[field] = message;
  };
  const { kind } = values;
  if (kind === 'nat' && !spec.subnet) set('subnet', 'a NAT network needs a subnet, e.g. 192.168.220.1/24');
  const subnet = typeof spec.subnet === 'string' ? checkSubnet(spec.subnet) : null;
  if (typeof subnet === 'string') set('subnet', subnet);
  if (uplinkRequired(kind) && !spec.uplinks?.length) set('uplink', 'an external network bridges a host interface onto the LAN; name it, e.g. enp6s0');
  if (spec.uplinks?.[0] !== undefined && spec.uplinks[0] === spec.name) set('uplink', 'the network’s own name names its bridge; name the host interface');
  if (kind === 'overlay') {
    if (spec.driver === '') set('driver', 'name the overlay driver, e.g. vxlan');
    if (spec.vni === undefined) set('vni', 'an overlay needs a VXLAN network identifier (1-16777215), the same on every host');
    const peers = parsePeers(values.peers, spec.driver);
    if (typeof peers === 'string') set('peers', peers);
  }

  if (!spec.dhcpRange) return;
  const startText = values.dhcpStart.trim();
  const endText = values.dhcpEnd.trim();
  const start = startText === '' ? null : parseIpAddress(startText);
  const end = endText === '' ? null : parseIpAddress(endText);
  if (start === null) set('dhcpStart', 'write the first address, or leave both empty for the default range');
  else if (!start.ok) set('dhcpStart', start.message);
  if (end === null) set('dhcpEnd', 'write the last address, or leave both empty for the default range');
  else if (!end.ok) set('dhcpEnd', end.message);
  if (!subnet || typeof subnet === 'string') return;
  // Each end on its own first, so a wrong start shows before the end is typed.
  if (start?.ok) {
    const problem = dhcpRangeEndProblem(start.value, subnet);
    if (problem) set('dhcpStart', problem);
  }
  if (end?.ok) {
    const problem = dhcpRangeEndProblem(end.value, subnet);
    if (problem) set('dhcpEnd', problem);
  }
  if (!start?.ok || !end?.ok) return;
  const order = checkDhcpRange({ start: start.value, end: end.value });
  if (!order.ok) return set('dhcpEnd', order.message);
  const problem = dhcpRangeProblem(order.value, subnet);
  if (problem) set('dhcpStart', problem);
}

/** The range the helper picks when none is given: the larger run beside the host's address. */
export function defaultDhcpRange(subnet: string): { start: string; end: string } | null {
  const parsed = checkSubnet(subnet.trim());
  return typeof parsed === 'string' ? null : vocabularyDefaultDhcpRange(parsed);
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
