// A single IPv4 or IPv6 address in canonical text (dotted quad, RFC 5952), for forward
// targets, DHCP range ends, static addresses and overlay peers.
import { formatCidr, formatIp, parseCidr, parseIp } from '../ip-cidr.js';
import { describeValue, fail, ok, parseText, type Parsed } from './parsed.js';
import { syntaxSchema } from './syntax-schema.js';

/** "10.0.0.5", "FD00::0005" -> "fd00::5". */
export function parseIpAddress(text: string, what = 'an IP address'): Parsed<string> {
  const ip = parseIp(text);
  return ip ? ok(formatIp(ip)) : fail(`${describeValue(text)} is not ${what} (e.g. "10.203.0.10" or "fd00::10")`);
}

export const IpAddressSchema = syntaxSchema<string>((input) => parseText(input, 'an IP address', (t) => parseIpAddress(t)));

/** "192.168.220.10": cloud-init's static addresses are IPv4. */
export function parseIpv4Address(text: string): Parsed<string> {
  const ip = parseIp(text);
  return ip?.family === 4 ? ok(formatIp(ip)) : fail(`${describeValue(text)} is not an IPv4 address`);
}

/** "192.168.220.10/24": an address with the prefix length of its network. */
export function parseIpv4WithPrefix(text: string): Parsed<string> {
  const cidr = parseCidr(text);
  if (cidr?.address.family !== 4) return fail(`${describeValue(text)}: write the address with its prefix, e.g. 192.168.220.10/24`);
  return ok(formatCidr(cidr, false));
}
