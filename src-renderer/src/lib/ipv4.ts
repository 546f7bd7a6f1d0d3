// IPv4 addresses and CIDR blocks as plain numbers, for the create dialog's checks as
// you type. The parsing is the contract's own (src-shared/ip-cidr.ts, which the helper
// and the NovaFile use too); this module only gives the form a number-shaped view.
import { formatIp, parseCidr, parseIp } from '../../../src-shared/ip-cidr.js';

export interface Ipv4Cidr {
  /** The address as written (for a subnet: the host's own address on it). */
  readonly address: number;
  readonly prefix: number;
  /** First (network) and last (broadcast) address of the block. */
  readonly first: number;
  readonly last: number;
}

/** "192.168.1.10" -> 3232235786; null for anything that is not a dotted quad. */
export function parseIpv4(text: string): number | null {
  const ip = parseIp(text);
  return ip?.family === 4 ? Number(ip.value) : null;
}

export function formatIpv4(value: number): string {
  return formatIp({ family: 4, value: BigInt(value) });
}

export function parseIpv4Cidr(text: string): Ipv4Cidr | null {
  const cidr = parseCidr(text);
  if (!cidr || cidr.address.family !== 4) return null;
  return { address: Number(cidr.address.value), prefix: cidr.prefix, first: Number(cidr.first), last: Number(cidr.last) };
}

export function cidrContainsIpv4(cidr: Ipv4Cidr, ip: number): boolean {
  return ip >= cidr.first && ip <= cidr.last;
}

export function ipv4CidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}
