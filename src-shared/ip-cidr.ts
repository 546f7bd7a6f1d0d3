// IPv4/IPv6 addresses and CIDR blocks as numbers, for NovaFile subnets, DHCP ranges,
// forwards and egress rules, and for the helper's network checks: one set of rules on
// both sides. Strict on purpose: no leading zeros (which some tools read as octal), no
// zone ids, so what validates here means one thing everywhere. No Node APIs: the
// contract folder is shared with the renderer.

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  /** The address as written (for a subnet: the host's own address on it). */
  address: IpAddress;
  prefix: number;
  /** The first and last address of the block. */
  first: bigint;
  last: bigint;
}

const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_PATTERN = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);

export function bitsOf(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

export function parseIp(text: string): IpAddress | null {
  if (IPV4_PATTERN.test(text)) {
    let value = 0n;
    for (const octet of text.split('.')) value = (value << 8n) | BigInt(octet);
    return { family: 4, value };
  }
  // Zone ids ("fe80::1%eth0") are refused: they name an interface, not an address.
  if (!isIpv6Text(text)) return null;
  return { family: 6, value: ipv6ToBigInt(text) };
}

/** Every RFC 4291 spelling: 8 groups, one `::` for a run of zeros, an IPv4 tail. */
function isIpv6Text(text: string): boolean {
  if (text.length > 45 || text.includes('%')) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  let count = 0;
  for (const [i, group] of groups.entries()) {
    if (i === groups.length - 1 && group.includes('.')) {
      if (!IPV4_PATTERN.test(group)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) {
      count += 1;
    } else {
      return false;
    }
  }
  // An IPv4 tail must end the address, so it cannot sit before the `::`.
  if (halves.length === 2 && halves[0]!.includes('.')) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function ipv6ToBigInt(text: string): bigint {
  let body = text;
  // An embedded IPv4 tail ("::ffff:10.0.0.1") is two groups written in decimal.
  const lastColon = body.lastIndexOf(':');
  const v4 = parseIp(body.slice(lastColon + 1));
  if (v4) {
    const high = (v4.value >> 16n).toString(16);
    const low = (v4.value & 0xffffn).toString(16);
    body = `${body.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const [head = '', rest] = body.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...restGroups];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  return value;
}

/** Canonical text: dotted quad, or RFC 5952 (lowercase, longest zero run as "::"). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}

/** "10.0.0.0/8", "192.168.220.1/24", "fd00::1/64"; null when not a CIDR. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const address = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^(?:0|[1-9]\d{0,2})$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const bits = bitsOf(address.family);
  if (prefix > bits) return null;
  const hostBits = BigInt(bits - prefix);
  const first = (address.value >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  return { address, prefix, first, last };
}

export function formatCidr(cidr: Cidr, useNetworkAddress: boolean): string {
  const value = useNetworkAddress ? cidr.first : cidr.address.value;
  return `${formatIp({ family: cidr.address.family, value })}/${cidr.prefix}`;
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.address.family === ip.family && ip.value >= cidr.first && ip.value <= cidr.last;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.address.family === b.address.family && a.first <= b.last && b.first <= a.last;
}
