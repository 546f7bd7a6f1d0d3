// One allowed egress destination of a network with an allow-list: "CIDR", "CIDR:port"
// or "port", each with an optional protocol; everything else leaving the network is dropped.
import { formatCidr, formatIp, parseCidr, parseIp } from '../ip-cidr.js';
import { describeValue, fail, ok, type Parsed } from './parsed.js';
import { parsePort, parseProtocol, type Protocol } from './port.js';

export interface PortRange {
  from: number;
  to: number;
}

export interface EgressRule {
  /** Canonical network CIDR, or null for any destination. */
  destination: string | null;
  /** Inclusive port range, or null for every port. */
  ports: PortRange | null;
  /** null: both TCP and UDP (and, without ports, any protocol). */
  protocol: Protocol | null;
}

const HELP =
  'use "CIDR" ("10.0.0.0/8" or one address), "CIDR:port[/proto]" ("10.0.0.0/8:443/tcp", "[fd00::/8]:443"), or "port[/proto]" ("53/udp", "8000-8100/tcp")';

/** A destination network in canonical form; one address means /32 or /128. */
export function parseEgressDestination(text: string): Parsed<string> {
  const cidr = parseCidr(text);
  if (cidr) {
    if (cidr.address.value !== cidr.first) {
      return fail(`${describeValue(text)} has host bits set; did you mean "${formatCidr(cidr, true)}"?`);
    }
    return ok(formatCidr(cidr, true));
  }
  const ip = parseIp(text);
  if (ip) return ok(`${formatIp(ip)}/${ip.family === 4 ? 32 : 128}`);
  return fail(`${describeValue(text)} is not an address or CIDR; ${HELP}`);
}

function parsePortRange(text: string): Parsed<{ ports: PortRange; protocol: Protocol | null }> {
  const match = /^(\d+)(?:-(\d+))?(?:\/(.*))?$/.exec(text);
  if (!match) return fail(`${describeValue(text)} is not a port or port range; ${HELP}`);
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
 * Three forms: "CIDR" (any port to that destination), "CIDR:port[/proto]" (IPv6 CIDRs in
 * brackets) and "port[/proto]" (that port to any destination). Ports may be ranges
 * ("8000-8100"); without "/tcp" or "/udp" a port rule covers both.
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
    if (close < 0) return fail(`${describeValue(text)} has no closing "]"; ${HELP}`);
    destinationText = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return fail(`${describeValue(text)}: expected ":port" after "]"; ${HELP}`);
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
  const destination = parseEgressDestination(destinationText);
  if (!destination.ok) return destination;
  if (portText === undefined) return ok({ destination: destination.value, ports: null, protocol: null });
  const range = parsePortRange(portText);
  if (!range.ok) return range;
  return ok({ destination: destination.value, ...range.value });
}

/** "10.0.0.0/8:443/tcp", "[fd00::/8]:443", "53/udp", "10.0.0.0/8": the text parseEgressRule reads back. */
export function formatEgressRule(rule: EgressRule): string {
  const ports = rule.ports === null ? '' : rule.ports.from === rule.ports.to ? `${rule.ports.from}` : `${rule.ports.from}-${rule.ports.to}`;
  const proto = rule.protocol === null ? '' : `/${rule.protocol}`;
  if (rule.destination === null) return `${ports}${proto}`;
  if (ports === '') return rule.destination;
  const destination = rule.destination.includes(':') ? `[${rule.destination}]` : rule.destination;
  return `${destination}:${ports}${proto}`;
}
