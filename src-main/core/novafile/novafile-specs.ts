// The small string syntaxes inside NovaFile values (sizes, names, volumes, ports,
// forwards, egress rules, restart policies, image references, PCI addresses), each
// parsed into a typed value or a message that tells the user what to write instead.
// The zod schema (novafile-schema.ts) calls these; so do the cross-table checks.
import path from 'node:path';
import { formatCidr, formatIp, parseCidr, parseIp, type Cidr, type IpAddress } from '../../../src-shared/ip-cidr.js';
import { WIREGUARD_KEY_PATTERN } from '../../../src-shared/network.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (message: string): Parsed<never> => ({ ok: false, message });

/** A value as a user would recognise it in a message: strings quoted, tables named. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return `the date ${value.toISOString()}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a table';
  return String(value);
}

// ---------------------------------------------------------------------------------
// Names

/** Longest VM, capsule and project name: one DNS label, one path component. */
export const NAME_MAX = 63;
/** Network names become Linux interface names, which the kernel caps at 15 bytes. */
export const NETWORK_NAME_MAX = 15;

/** Explains why `name` is not a valid resource name, or returns undefined when it is. */
export function nameProblem(name: string, max: number, why = ''): string | undefined {
  const rule = 'use lowercase letters, digits, "-" and "_", starting with a letter or digit';
  if (name === '') return `the name is empty; ${rule}`;
  if (name.includes('/')) return `${JSON.stringify(name)} contains "/"; a name is never a path: ${rule}`;
  if (name.includes('..')) return `${JSON.stringify(name)} contains ".."; ${rule}`;
  if (/\s/.test(name)) return `${JSON.stringify(name)} contains a space; ${rule}`;
  if (name.length > max) return `${JSON.stringify(name)} is ${name.length} characters long; the limit is ${max}${why}`;
  if (/[A-Z]/.test(name) && /^[a-z0-9][a-z0-9_-]*$/.test(name.toLowerCase())) {
    return `${JSON.stringify(name)} has uppercase letters; write it in lowercase: ${JSON.stringify(name.toLowerCase())}`;
  }
  if (/^[-_]/.test(name)) return `${JSON.stringify(name)} starts with "${name[0]}"; ${rule}`;
  const bad = [...name].find((c) => !/[a-z0-9_-]/.test(c));
  if (bad !== undefined) return `${JSON.stringify(name)} contains ${JSON.stringify(bad)}; ${rule}`;
  return undefined;
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS name such as "lab.example" (lowercased); also used for cloud-init hostnames. */
export function parseDnsName(text: string, what: string): Parsed<string> {
  const name = text.toLowerCase().replace(/\.$/, '');
  const example = what === 'hostname' ? '"web-1" or "web-1.lab.example"' : '"lab.example"';
  if (name.length === 0 || name.length > 253 || !name.split('.').every((label) => DNS_LABEL.test(label))) {
    return fail(
      `${describeValue(text)} is not a valid ${what}; use dot-separated labels of letters, digits and "-" (e.g. ${example})`,
    );
  }
  return ok(name);
}

/** A Linux interface name (the kernel's dev_valid_name: 1-15 bytes, no "/", ":" or spaces). */
export function parseInterfaceName(text: string): Parsed<string> {
  if (text === '' || text === '.' || text === '..' || /[/:\s]/.test(text) || Buffer.byteLength(text) > 15) {
    return fail(
      `${describeValue(text)} is not a network interface name; Linux names are 1-15 characters without "/", ":" or spaces (e.g. "enp6s0")`,
    );
  }
  return ok(text);
}

// ---------------------------------------------------------------------------------
// Sizes

/**
 * Binary units only. A bare K/M/G/T also means KiB/MiB/GiB/TiB, as in QEMU's `-m 2G`
 * and Docker's `--memory 2g`, which is where users copy these values from.
 */
const SIZE_UNITS: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };
const SIZE_HELP = 'use a number with Ki, Mi, Gi or Ti (e.g. "16Gi")';
/** 1 PiB, far beyond any workstation, so a slip like "16000Ti" is caught. */
const SIZE_MAX_MIB = 1024 * 1024 * 1024;

/** "16Gi", "512Mi", "2G", "1.5Gi" or an integer count of MiB; returns MiB. */
export function parseSize(value: unknown): Parsed<number> {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      return fail(`${value} is not a whole number of MiB; write a string with a unit such as "1.5Gi"`);
    }
    if (value < 1) return fail(`${value} MiB is not a size; it must be at least 1 (or a string such as "512Mi")`);
    if (value > SIZE_MAX_MIB) return fail(`${value} MiB is more than 1 PiB`);
    return ok(value);
  }
  if (typeof value !== 'string') {
    return fail(`expected a size such as "16Gi" or an integer number of MiB, got ${describeValue(value)}`);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  if (!match) return fail(`${describeValue(value)} is not a size; ${SIZE_HELP}`);
  const [, amountText = '', unitText = ''] = match;
  if (unitText === '') {
    return fail(`${describeValue(value)} has no unit; write "${amountText}Mi", or the integer ${amountText} for MiB`);
  }
  const unit = /^([kmgt])(?:i?b?)$/i.exec(unitText)?.[1]?.toLowerCase();
  const factor = unit === undefined ? undefined : SIZE_UNITS[unit];
  if (factor === undefined) return fail(`${describeValue(value)} is not a size; ${SIZE_HELP}`);
  const mib = Number(amountText) * factor;
  if (mib <= 0) return fail(`${describeValue(value)} is zero; a size must be more than 0`);
  if (!Number.isInteger(mib)) {
    return fail(`${describeValue(value)} is not a whole number of MiB; Nova sizes memory and disks in MiB`);
  }
  if (mib > SIZE_MAX_MIB) return fail(`${describeValue(value)} is more than 1 PiB`);
  return ok(mib);
}

// ---------------------------------------------------------------------------------
// Paths

/** Paths as written; the config resolves relative ones from the NovaFile's folder. */
export function pathProblem(text: string): string | undefined {
  if (text === '') return 'the path is empty';
  if (text.includes('\0')) return 'the path contains a NUL character';
  if (text === '~' || text.startsWith('~/')) {
    return `${describeValue(text)} starts with "~", which Nova does not expand; write an absolute path or one relative to the NovaFile's folder`;
  }
  return undefined;
}

/** An absolute path inside a capsule ("/srv/api"); ".." is refused so it cannot climb out. */
export function parseGuestPath(text: string, what: string): Parsed<string> {
  if (!text.startsWith('/')) {
    return fail(`${what} ${describeValue(text)} must be absolute (start with "/"), e.g. "/srv/data"`);
  }
  if (text.split('/').includes('..')) return fail(`${what} ${describeValue(text)} contains ".."`);
  const normalized = path.posix.normalize(text);
  return ok(normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized);
}

export interface VolumeSpec {
  /** As written; relative to the NovaFile's folder unless absolute. */
  host: string;
  guest: string;
  readOnly: boolean;
}

const VOLUME_HELP = 'use "host:guest" or "host:guest:ro" (e.g. "./data:/srv/data:ro")';

/** "host:guest[:ro|:rw]". */
export function parseVolume(text: string): Parsed<VolumeSpec> {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) return fail(`${describeValue(text)} is not a volume; ${VOLUME_HELP}`);
  const [host = '', guest = '', mode] = parts;
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') {
    return fail(`${describeValue(mode)} is not a volume option in ${describeValue(text)}; use ":ro" or ":rw"`);
  }
  if (host === '') return fail(`${describeValue(text)} has no host path; ${VOLUME_HELP}`);
  const hostProblem = pathProblem(host);
  if (hostProblem) return fail(`host path: ${hostProblem}`);
  const guestPath = parseGuestPath(guest, 'the guest path');
  if (!guestPath.ok) return guestPath;
  if (guestPath.value === '/') return fail(`${describeValue(text)} would mount over the capsule's root; pick a folder such as "/data"`);
  return ok({ host, guest: guestPath.value, readOnly: mode === 'ro' });
}

// ---------------------------------------------------------------------------------
// Ports, forwards, egress rules

export type Protocol = 'tcp' | 'udp';

function parsePort(text: string, what: string): Parsed<number> {
  if (!/^\d{1,5}$/.test(text)) return fail(`${describeValue(text)} is not a ${what} number`);
  const port = Number(text);
  if (port < 1 || port > 65535) return fail(`${what} ${port} is out of range; ports are 1-65535`);
  return ok(port);
}

function parseProtocol(text: string | undefined): Parsed<Protocol | undefined> {
  if (text === undefined) return ok(undefined);
  const lower = text.toLowerCase();
  if (lower === 'tcp' || lower === 'udp') return ok(lower);
  return fail(`${describeValue(text)} is not a protocol; use "/tcp" or "/udp"`);
}

export interface PortMapping {
  hostPort: number;
  guestPort: number;
  protocol: Protocol;
}

const PORT_HELP = 'use "host:guest" with an optional "/tcp" or "/udp" (e.g. "8080:80" or "5353:53/udp")';

/** "host:guest[/tcp|/udp]"; TCP when no protocol is given. */
export function parsePortMapping(text: string): Parsed<PortMapping> {
  const match = /^([^:/]+):([^:/]+)(?:\/(.*))?$/.exec(text);
  if (!match) return fail(`${describeValue(text)} is not a port mapping; ${PORT_HELP}`);
  const [, hostText = '', guestText = '', protocolText] = match;
  const hostPort = parsePort(hostText, 'host port');
  if (!hostPort.ok) return fail(`${hostPort.message}; ${PORT_HELP}`);
  const guestPort = parsePort(guestText, 'guest port');
  if (!guestPort.ok) return fail(`${guestPort.message}; ${PORT_HELP}`);
  const protocol = parseProtocol(protocolText);
  if (!protocol.ok) return protocol;
  return ok({ hostPort: hostPort.value, guestPort: guestPort.value, protocol: protocol.value ?? 'tcp' });
}

export interface Forward {
  hostPort: number;
  guestAddress: string;
  guestPort: number;
  protocol: Protocol;
}

const FORWARD_HELP =
  'use "hostport:guestaddress:guestport" with an optional "/tcp" or "/udp" (e.g. "8080:10.203.0.10:80", "2222:[fd00::10]:22")';

/** "hostport:guestaddr:guestport[/tcp|/udp]"; an IPv6 guest address goes in brackets. */
export function parseForward(text: string): Parsed<Forward> {
  const match = /^([^:]+):(\[[^\]]*\]|[^:[\]]+):([^:/]+)(?:\/(.*))?$/.exec(text);
  if (!match) return fail(`${describeValue(text)} is not a forward; ${FORWARD_HELP}`);
  const [, hostText = '', addressText = '', guestText = '', protocolText] = match;
  const hostPort = parsePort(hostText, 'host port');
  if (!hostPort.ok) return fail(`${hostPort.message}; ${FORWARD_HELP}`);
  const bare = addressText.startsWith('[') ? addressText.slice(1, -1) : addressText;
  const address = parseIp(bare);
  if (!address || (address.family === 6) !== addressText.startsWith('[')) {
    return fail(`${describeValue(bare)} is not a guest IP address; ${FORWARD_HELP}`);
  }
  const guestPort = parsePort(guestText, 'guest port');
  if (!guestPort.ok) return fail(`${guestPort.message}; ${FORWARD_HELP}`);
  const protocol = parseProtocol(protocolText);
  if (!protocol.ok) return protocol;
  return ok({
    hostPort: hostPort.value,
    guestAddress: formatIp(address),
    guestPort: guestPort.value,
    protocol: protocol.value ?? 'tcp',
  });
}

export interface EgressRule {
  /** Canonical network CIDR, or null for any destination. */
  destination: string | null;
  /** Inclusive port range, or null for every port. */
  ports: { from: number; to: number } | null;
  /** null: both TCP and UDP (and, without ports, any protocol). */
  protocol: Protocol | null;
}

const EGRESS_HELP =
  'use "CIDR" ("10.0.0.0/8" or one address), "CIDR:port[/proto]" ("10.0.0.0/8:443/tcp", "[fd00::/8]:443"), or "port[/proto]" ("53/udp", "8000-8100/tcp")';

function parseDestination(text: string): Parsed<string> {
  const cidr = parseCidr(text);
  if (cidr) {
    if (cidr.address.value !== cidr.first) {
      return fail(`${describeValue(text)} has host bits set; did you mean "${formatCidr(cidr, true)}"?`);
    }
    return ok(formatCidr(cidr, true));
  }
  const ip = parseIp(text);
  if (ip) return ok(`${formatIp(ip)}/${ip.family === 4 ? 32 : 128}`);
  return fail(`${describeValue(text)} is not an address or CIDR; ${EGRESS_HELP}`);
}

function parsePortRange(text: string): Parsed<{ ports: { from: number; to: number }; protocol: Protocol | null }> {
  const match = /^(\d+)(?:-(\d+))?(?:\/(.*))?$/.exec(text);
  if (!match) return fail(`${describeValue(text)} is not a port or port range; ${EGRESS_HELP}`);
  const [, fromText = '', toText, protocolText] = match;
  const from = parsePort(fromText, 'port');
  if (!from.ok) return from;
  const to = toText === undefined ? from : parsePort(toText, 'port');
  if (!to.ok) return to;
  if (to.value < from.value) return fail(`port range ${describeValue(text)} ends before it starts`);
  const protocol = parseProtocol(protocolText);
  if (!protocol.ok) return protocol;
  return ok({ ports: { from: from.value, to: to.value }, protocol: protocol.value ?? null });
}

/**
 * One allowed egress destination. Three forms: "CIDR" (any port to that destination;
 * a single address means /32 or /128), "CIDR:port[/proto]" (IPv6 CIDRs in brackets),
 * and "port[/proto]" (that port to any destination). Ports may be ranges ("8000-8100");
 * without "/tcp" or "/udp" a port rule covers both.
 */
export function parseEgressRule(text: string): Parsed<EgressRule> {
  if (/^\d/.test(text) && !text.includes('.') && !text.includes(':')) {
    const range = parsePortRange(text);
    if (!range.ok) return range;
    return ok({ destination: null, ...range.value });
  }
  let destinationText = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return fail(`${describeValue(text)} has no closing "]"; ${EGRESS_HELP}`);
    destinationText = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return fail(`${describeValue(text)}: expected ":port" after "]"; ${EGRESS_HELP}`);
      portText = rest.slice(1);
    }
  } else if (!parseCidr(text) && !parseIp(text)) {
    // IPv4 with a port ("10.0.0.0/8:443"); bare IPv6 ("fd00::/8") has parsed above.
    const colon = text.lastIndexOf(':');
    if (colon > 0 && !text.slice(0, colon).includes(':')) {
      destinationText = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  const destination = parseDestination(destinationText);
  if (!destination.ok) return destination;
  if (portText === undefined) return ok({ destination: destination.value, ports: null, protocol: null });
  const range = parsePortRange(portText);
  if (!range.ok) return range;
  return ok({ destination: destination.value, ...range.value });
}

export interface Peer {
  host: string;
  port: number | null;
  /** driver "wireguard": the peer's public key, written "KEY@address[:port]". */
  publicKey?: string;
}

const PEER_HELP =
  'use an IP address or host name with an optional port (e.g. "192.0.2.10", "peer.lan:4789", "[fd00::2]:4789"), for driver "wireguard" after the peer\'s public key and "@" ("KEY@192.0.2.10:51820")';

/** An overlay peer: "address", "address:port", "[ipv6]:port" or a bare IPv6 address, optionally after "KEY@". */
export function parsePeer(input: string): Parsed<Peer> {
  const at = input.lastIndexOf('@');
  if (at < 0) return parsePeerAddress(input);
  const key = input.slice(0, at);
  if (!WIREGUARD_KEY_PATTERN.test(key)) {
    return fail(`${describeValue(key)} is not a WireGuard public key (44 characters of base64, as \`wg pubkey\` prints); ${PEER_HELP}`);
  }
  const address = parsePeerAddress(input.slice(at + 1));
  return address.ok ? ok({ ...address.value, publicKey: key }) : address;
}

function parsePeerAddress(text: string): Parsed<Peer> {
  let hostText = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const match = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
    if (!match) return fail(`${describeValue(text)} is not a peer address; ${PEER_HELP}`);
    hostText = match[1] ?? '';
    portText = match[2];
    if (parseIp(hostText)?.family !== 6) return fail(`${describeValue(hostText)} is not an IPv6 address; ${PEER_HELP}`);
  } else if (parseIp(text)?.family !== 6 && text.includes(':')) {
    const colon = text.lastIndexOf(':');
    hostText = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  let host: string;
  const ip = parseIp(hostText);
  if (ip) host = formatIp(ip);
  else {
    const name = parseDnsName(hostText, 'peer address');
    if (!name.ok || /^[\d.]+$/.test(hostText)) return fail(`${describeValue(text)} is not a peer address; ${PEER_HELP}`);
    host = name.value;
  }
  if (portText === undefined) return ok({ host, port: null });
  const port = parsePort(portText, 'peer port');
  if (!port.ok) return fail(`${port.message}; ${PEER_HELP}`);
  return ok({ host, port: port.value });
}

// ---------------------------------------------------------------------------------
// Subnets

export interface SubnetSpec {
  /** The network block, e.g. "192.168.220.0/24". */
  cidr: string;
  /** The host's own address on it (gateway, DNS and DHCP server), e.g. "192.168.220.1". */
  gateway: string;
  prefix: number;
  family: 4 | 6;
}

/** "192.168.220.1/24": the host's address on the network, with the prefix length. */
export function parseSubnet(text: string): Parsed<{ spec: SubnetSpec; cidr: Cidr }> {
  const help = (example: string) =>
    `write the host's address on the network with a prefix length (e.g. "${example}")`;
  const cidr = parseCidr(text);
  if (!cidr) return fail(`${describeValue(text)} is not a subnet; ${help('192.168.220.1/24')}`);
  const family = cidr.address.family;
  const smallest = family === 4 ? 30 : 126;
  if (cidr.prefix > smallest) {
    return fail(`${describeValue(text)} leaves no room for guests; use a prefix of /${smallest} or shorter`);
  }
  if (cidr.prefix < 8) return fail(`${describeValue(text)} is too large a network; use a prefix of /8 or longer`);
  const firstHost = `${formatIp({ family, value: cidr.first + 1n })}/${cidr.prefix}`;
  if (cidr.address.value === cidr.first) {
    return fail(`${describeValue(text)} is the network's own address; ${help(firstHost)}`);
  }
  if (family === 4 && cidr.address.value === cidr.last) {
    return fail(`${describeValue(text)} is the broadcast address; ${help(firstHost)}`);
  }
  return ok({
    spec: { cidr: formatCidr(cidr, true), gateway: formatIp(cidr.address), prefix: cidr.prefix, family },
    cidr,
  });
}

export interface DhcpRange {
  start: string;
  end: string;
}

/** "A-B" as two addresses; whether they sit inside the subnet is checked by the caller. */
export function parseDhcpRange(text: string): Parsed<{ start: IpAddress; end: IpAddress }> {
  const help = 'use "first-last" with two addresses (e.g. "10.203.0.100-10.203.0.199")';
  const parts = text.split('-').map((p) => p.trim());
  if (parts.length !== 2) return fail(`${describeValue(text)} is not a range; ${help}`);
  const start = parseIp(parts[0] ?? '');
  const end = parseIp(parts[1] ?? '');
  if (!start || !end) return fail(`${describeValue(text)} is not a range of addresses; ${help}`);
  if (start.family !== end.family) return fail(`${describeValue(text)} mixes IPv4 and IPv6`);
  if (end.value < start.value) return fail(`${describeValue(text)} ends before it starts`);
  return ok({ start, end });
}

// ---------------------------------------------------------------------------------
// Capsule details

export type RestartPolicy =
  | { policy: 'no' }
  | { policy: 'always' }
  | { policy: 'on-failure'; maxRetries: number | null };

/** "no", "always", "on-failure" or "on-failure:N" (at most N restarts). */
export function parseRestartPolicy(text: string): Parsed<RestartPolicy> {
  if (text === 'no' || text === 'always') return ok({ policy: text });
  if (text === 'on-failure') return ok({ policy: 'on-failure', maxRetries: null });
  const match = /^on-failure:(\d+)$/.exec(text);
  const retries = match ? Number(match[1]) : NaN;
  if (match && retries >= 1 && retries <= 1000) return ok({ policy: 'on-failure', maxRetries: retries });
  if (text.startsWith('on-failure:')) {
    return fail(`${describeValue(text)}: the retry count must be a whole number from 1 to 1000 (e.g. "on-failure:5")`);
  }
  return fail(`${describeValue(text)} is not a restart policy; use "no", "always", "on-failure" or "on-failure:N"`);
}

export interface ImageReference {
  /** As written; `nova up` resolves short names against imported images, then registries. */
  text: string;
  registry: string | null;
  repository: string;
  tag: string | null;
  digest: string | null;
}

// The grammar of github.com/distribution/reference, which every OCI tool accepts.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::\\d+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** "ubuntu:22.04", "docker.io/library/alpine:3.20", "registry.example:5000/ns/img@sha256:...". */
export function parseImageReference(text: string): Parsed<ImageReference> {
  const help = 'use an image reference such as "ubuntu:22.04", "docker.io/library/alpine:3.20" or the name of an imported image';
  if (text === '') return fail(`the image reference is empty; ${help}`);
  if (/\s/.test(text)) return fail(`${describeValue(text)} contains a space; ${help}`);
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return fail(`${describeValue(digest)} is not a digest; use "@sha256:" followed by 64 hex digits`);
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) {
      return fail(`${describeValue(tag)} is not an image tag; tags are up to 128 letters, digits, "_", "." and "-"`);
    }
  }
  const components = rest.split('/');
  let registry: string | null = null;
  const first = components[0] ?? '';
  // As Docker decides: the first component is a registry if it has a "." or ":" or is localhost.
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    components.shift();
    if (!DOMAIN.test(registry)) return fail(`${describeValue(registry)} is not a registry host; ${help}`);
  }
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      const hint = /[A-Z]/.test(component) ? '; repository names must be lowercase' : '';
      return fail(`${describeValue(text)} is not a valid image reference${hint}; ${help}`);
    }
  }
  return ok({ text, registry, repository: components.join('/'), tag, digest });
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function envNameProblem(name: string): string | undefined {
  return ENV_NAME.test(name)
    ? undefined
    : `${describeValue(name)} is not an environment variable name; use letters, digits and "_", not starting with a digit`;
}

/** "name", "uid", "uid:gid" or "name:group" as the capsule's process user. */
export function parseCapsuleUser(text: string): Parsed<string> {
  if (/^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/.test(text)) return ok(text);
  return fail(`${describeValue(text)} is not a user; use "name", "uid" or "uid:gid" (e.g. "1000:1000")`);
}

/** A Linux login name for cloud-init (what useradd accepts by default). */
export function parseLoginName(text: string): Parsed<string> {
  if (/^[a-z_][a-z0-9_-]{0,31}$/.test(text)) return ok(text);
  return fail(`${describeValue(text)} is not a user name; use up to 32 lowercase letters, digits, "_" and "-", starting with a letter`);
}

/** An OpenSSH public key line: "<type> <base64> [comment]". */
export function parseSshPublicKey(text: string): Parsed<string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    return fail('this is a private key; paste the public key (the ".pub" file) instead, and keep the private key out of the NovaFile');
  }
  if (/^(?:ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}(?: .*)?$/.test(trimmed)) return ok(trimmed);
  return fail(`${describeValue(text.length > 40 ? `${text.slice(0, 37)}...` : text)} is not an SSH public key; paste a line from a ".pub" file, e.g. "ssh-ed25519 AAAA... you@host"`);
}

// ---------------------------------------------------------------------------------
// PCI addresses

/** "0000:01:00.0" or the short "01:00.0"; returned in sysfs's full lowercase form. */
export function parsePciAddress(text: string): Parsed<string> {
  const match = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-1][0-9a-fA-F])\.([0-7])$/.exec(text);
  if (!match) {
    return fail(`${describeValue(text)} is not a PCI address; use domain:bus:device.function as "lspci -D" prints it (e.g. "0000:01:00.0")`);
  }
  const [, domain = '0000', bus = '', device = '', fn = ''] = match;
  return ok(`${domain}:${bus}:${device}.${fn}`.toLowerCase());
}
