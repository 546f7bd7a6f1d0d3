// An overlay network's peer: another host's address with an optional port, and for
// driver "wireguard" that host's public key before an "@" ("KEY@192.0.2.10:51820").
import { formatIp, parseIp } from '../ip-cidr.js';
import { parseDnsName } from './dns-name.js';
import { describeValue, fail, ok, type Parsed } from './parsed.js';
import { parsePort } from './port.js';
import { WIREGUARD_KEY_HELP, WIREGUARD_KEY_PATTERN } from './wireguard-key.js';

export interface Peer {
  /** A canonical IP address, or a lowercase host name resolved at apply time. */
  host: string;
  port: number | null;
  /** driver "wireguard": the peer's public key. */
  publicKey?: string;
}

const HELP =
  'use an IP address or host name with an optional port (e.g. "192.0.2.10", "peer.lan:4789", "[fd00::2]:4789"), for driver "wireguard" after the peer\'s public key and "@" ("KEY@192.0.2.10:51820")';

/** "address", "address:port", "[ipv6]:port" or a bare IPv6 address, optionally after "KEY@". */
export function parsePeer(input: string): Parsed<Peer> {
  const at = input.lastIndexOf('@');
  if (at < 0) return parsePeerAddress(input);
  const key = input.slice(0, at);
  if (!WIREGUARD_KEY_PATTERN.test(key)) {
    return fail(`${describeValue(key)} is not a WireGuard public key (${WIREGUARD_KEY_HELP}); ${HELP}`);
  }
  const address = parsePeerAddress(input.slice(at + 1));
  return address.ok ? ok({ ...address.value, publicKey: key }) : address;
}

/** A peer's host alone: an IP address (canonical) or a host name (lowercase). */
export function parsePeerHost(text: string): Parsed<string> {
  const ip = parseIp(text);
  if (ip) return ok(formatIp(ip));
  const name = parseDnsName(text, 'peer address');
  // All digits and dots is a mistyped address, not a host name.
  if (!name.ok || /^[\d.]+$/.test(text)) return fail(`${describeValue(text)} is not a peer address; ${HELP}`);
  return name;
}

function parsePeerAddress(text: string): Parsed<Peer> {
  let hostText = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const match = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
    if (!match) return fail(`${describeValue(text)} is not a peer address; ${HELP}`);
    hostText = match[1] ?? '';
    portText = match[2];
    if (parseIp(hostText)?.family !== 6) return fail(`${describeValue(hostText)} is not an IPv6 address; ${HELP}`);
  } else if (parseIp(text)?.family !== 6 && text.includes(':')) {
    const colon = text.lastIndexOf(':');
    hostText = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  const host = parsePeerHost(hostText);
  if (!host.ok) return fail(`${describeValue(text)} is not a peer address; ${HELP}`);
  if (portText === undefined) return ok({ host: host.value, port: null });
  const port = parsePort(portText, 'peer port');
  if (!port.ok) return fail(`${port.message}; ${HELP}`);
  return ok({ host: host.value, port: port.value });
}

/** "KEY@host:port" as `--peer`, `nova net peer set` and the NovaFile write it. */
export function formatPeer(p: Peer): string {
  const host = p.port !== null && p.host.includes(':') ? `[${p.host}]` : p.host;
  return `${p.publicKey ? `${p.publicKey}@` : ''}${p.port !== null ? `${host}:${p.port}` : host}`;
}
