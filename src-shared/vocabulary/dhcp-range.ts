// A DHCP pool, "first-last", and the rule that places it inside a subnet beside the
// host's own address. The NovaFile, the create dialog and the helper apply the same rule.
import { formatIp, parseIp } from '../ip-cidr.js';
import { describeValue, fail, ok, type Parsed } from './parsed.js';
import { isGuestAddress, type ParsedSubnet } from './subnet.js';

export interface DhcpRange {
  start: string;
  end: string;
}

const HELP = 'use "first-last" with two addresses (e.g. "10.203.0.100-10.203.0.199")';

/** Two canonical addresses of one family, in order. */
export function checkDhcpRange(range: DhcpRange): Parsed<DhcpRange> {
  const text = describeValue(`${range.start}-${range.end}`);
  const start = parseIp(range.start);
  const end = parseIp(range.end);
  if (!start || !end) return fail(`${text} is not a range of addresses; ${HELP}`);
  if (start.family !== end.family) return fail(`${text} mixes IPv4 and IPv6`);
  if (end.value < start.value) return fail(`${text} ends before it starts`);
  return ok({ start: formatIp(start), end: formatIp(end) });
}

/** "A-B" as two addresses; whether they sit inside the subnet is dhcpRangeProblem's question. */
export function parseDhcpRange(text: string): Parsed<DhcpRange> {
  const parts = text.split('-').map((p) => p.trim());
  if (parts.length !== 2) return fail(`${describeValue(text)} is not a range; ${HELP}`);
  return checkDhcpRange({ start: parts[0] ?? '', end: parts[1] ?? '' });
}

/** Why one end of a range cannot be in this subnet's pool, or undefined. */
export function dhcpRangeEndProblem(address: string, { subnet, block }: ParsedSubnet): string | undefined {
  const ip = parseIp(address);
  if (ip !== null && isGuestAddress(block, ip.family, ip.value)) return undefined;
  return `the range is outside the subnet ${subnet.cidr} (its usable addresses, without the network and broadcast address)`;
}

/** Why the range cannot serve this subnet (outside it, or over the host's address), or undefined. */
export function dhcpRangeProblem(range: DhcpRange, subnet: ParsedSubnet): string | undefined {
  const outside = dhcpRangeEndProblem(range.start, subnet) ?? dhcpRangeEndProblem(range.end, subnet);
  if (outside) return outside;
  const { block } = subnet;
  const start = parseIp(range.start);
  const end = parseIp(range.end);
  if (start && end && start.value <= block.address.value && block.address.value <= end.value) {
    return `the range includes the host's own address ${subnet.subnet.gateway}; start it after that address`;
  }
  return undefined;
}

/** The larger run of usable addresses beside the host's own address: the pool when none is given. */
export function defaultDhcpRange({ block }: Pick<ParsedSubnet, 'block'>): DhcpRange {
  const family = block.address.family;
  const gateway = block.address.value;
  const lastUsable = family === 4 ? block.last - 1n : block.last;
  const below = gateway - (block.first + 1n);
  const above = lastUsable - gateway;
  const [start, end] = above >= below ? [gateway + 1n, lastUsable] : [block.first + 1n, gateway - 1n];
  return { start: formatIp({ family, value: start }), end: formatIp({ family, value: end }) };
}
