// A capsule's published port, "host:guest[/tcp|/udp]" as Docker's -p writes it.
import { fail, ok, describeValue, type Parsed } from './parsed.js';
import { parsePort, parseProtocol, type Protocol } from './port.js';

export interface PortMapping {
  hostPort: number;
  guestPort: number;
  protocol: Protocol;
}

const HELP = 'use "host:guest" with an optional "/tcp" or "/udp" (e.g. "8080:80" or "5353:53/udp")';

/** "host:guest[/tcp|/udp]"; TCP when no protocol is given. */
export function parsePortMapping(text: string): Parsed<PortMapping> {
  const match = /^([^:/]+):([^:/]+)(?:\/(.*))?$/.exec(text);
  if (!match) return fail(`${describeValue(text)} is not a port mapping; ${HELP}`);
  const [, hostText = '', guestText = '', protocolText] = match;
  const hostPort = parsePort(hostText, 'host port');
  if (!hostPort.ok) return fail(`${hostPort.message}; ${HELP}`);
  const guestPort = parsePort(guestText, 'guest port');
  if (!guestPort.ok) return fail(`${guestPort.message}; ${HELP}`);
  const protocol = parseProtocol(protocolText);
  if (!protocol.ok) return protocol;
  return ok({ hostPort: hostPort.value, guestPort: guestPort.value, protocol: protocol.value ?? 'tcp' });
}

/** "8080:80" or "5353:53/udp": the text parsePortMapping reads back. */
export function formatPortMapping(p: PortMapping): string {
  return `${p.hostPort}:${p.guestPort}${p.protocol === 'udp' ? '/udp' : ''}`;
}
