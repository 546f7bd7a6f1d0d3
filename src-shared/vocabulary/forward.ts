// A network's port forward, "hostport:guestaddress:guestport[/tcp|/udp]": a host port
// forwarded to one guest on the network. An IPv6 guest address goes in brackets.
import { formatIp, parseIp } from '../ip-cidr.js';
import { describeValue, fail, ok, type Parsed } from './parsed.js';
import { parsePort, parseProtocol, type Protocol } from './port.js';

export interface Forward {
  hostPort: number;
  guestAddress: string;
  guestPort: number;
  protocol: Protocol;
}

const HELP =
  'use "hostport:guestaddress:guestport" with an optional "/tcp" or "/udp" (e.g. "8080:10.203.0.10:80", "2222:[fd00::10]:22")';

export function parseForward(text: string): Parsed<Forward> {
  const match = /^([^:]+):(\[[^\]]*\]|[^:[\]]+):([^:/]+)(?:\/(.*))?$/.exec(text);
  if (!match) return fail(`${describeValue(text)} is not a forward; ${HELP}`);
  const [, hostText = '', addressText = '', guestText = '', protocolText] = match;
  const hostPort = parsePort(hostText, 'host port');
  if (!hostPort.ok) return fail(`${hostPort.message}; ${HELP}`);
  const bracketed = addressText.startsWith('[');
  const bare = bracketed ? addressText.slice(1, -1) : addressText;
  const address = parseIp(bare);
  if (!address || (address.family === 6) !== bracketed) {
    return fail(`${describeValue(bare)} is not a guest IP address; ${HELP}`);
  }
  const guestPort = parsePort(guestText, 'guest port');
  if (!guestPort.ok) return fail(`${guestPort.message}; ${HELP}`);
  const protocol = parseProtocol(protocolText);
  if (!protocol.ok) return protocol;
  return ok({ hostPort: hostPort.value, guestAddress: formatIp(address), guestPort: guestPort.value, protocol: protocol.value ?? 'tcp' });
}

/** "8080:10.203.0.10:80/udp": the text parseForward reads back. */
export function formatForward(f: Forward): string {
  const address = f.guestAddress.includes(':') ? `[${f.guestAddress}]` : f.guestAddress;
  return `${f.hostPort}:${address}:${f.guestPort}${f.protocol === 'udp' ? '/udp' : ''}`;
}
