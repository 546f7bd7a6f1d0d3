// IPv4 addresses and CIDR blocks as plain numbers, for the create dialog's checks as
// you type. The helper's ip-cidr.ts stays the authority (and knows IPv6); this copy
// only lets the form say "outside the subnet" before anything is sent.

export interface Ipv4Cidr {
  /** The address as written (for a subnet: the host's own address on it). */
  readonly address: number;
  readonly prefix: number;
  /** First (network) and last (broadcast) address of the block. */
  readonly first: number;
  readonly last: number;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** "192.168.1.10" -> 3232235786; null for anything that is not a dotted quad. */
export function parseIpv4(text: string): number | null {
  if (!IPV4.test(text)) return null;
  return text.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** "192.168.220.1/24"; null when not an IPv4 address with a prefix length 0-32. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | null {
  const [addressText, prefixText, extra] = text.split('/');
  if (addressText === undefined || prefixText === undefined || extra !== undefined) return null;
  const address = parseIpv4(addressText);
  if (address === null || !/^(?:\d|[12]\d|3[0-2])$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(address / size) * size;
  return { address, prefix, first, last: first + size - 1 };
}

export function cidrContainsIpv4(cidr: Ipv4Cidr, ip: number): boolean {
  return ip >= cidr.first && ip <= cidr.last;
}

export function ipv4CidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}
