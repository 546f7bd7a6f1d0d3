// A network's subnet, written as the host's own address on it with the prefix length
// ("192.168.220.1/24"): the gateway, DNS and DHCP server the guests see. Written as the
// network's own address ("10.250.2.0/24"), it means the first usable one is the host's.
import { formatCidr, formatIp, parseCidr, type Cidr, type IpFamily } from '../ip-cidr.js';
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export interface Subnet {
  /** The network block, e.g. "192.168.220.0/24". */
  cidr: string;
  /** The host's own address on it, e.g. "192.168.220.1". */
  gateway: string;
  prefix: number;
  family: IpFamily;
}

export interface ParsedSubnet {
  subnet: Subnet;
  /** The numbers, for checks against ranges and addresses. */
  block: Cidr;
}

/**
 * "192.168.220.1/24" -> the block and the host's address; "192.168.220.0/24" -> the same
 * with the host on .1. Refuses blocks with no room for guests.
 */
export function parseSubnet(text: string): Parsed<ParsedSubnet> {
  const shown = `subnet ${describeValue(text)}`;
  const help = (example: string) => `write the host's address on the network with a prefix length (e.g. "${example}")`;
  const block = parseCidr(text);
  if (!block) return fail(`${shown} is not a CIDR; ${help('192.168.220.1/24')}`);
  const family = block.address.family;
  const smallest = family === 4 ? 30 : 126;
  if (block.prefix > smallest) return fail(`${shown} leaves no room for guests; use a prefix of /${smallest} or shorter`);
  if (block.prefix < 8) return fail(`${shown} is too large a network; use a prefix of /8 or longer`);
  const firstHost = `${formatIp({ family, value: block.first + 1n })}/${block.prefix}`;
  if (family === 4 && block.address.value === block.last) return fail(`${shown} is the broadcast address; ${help(firstHost)}`);
  const host = block.address.value === block.first ? { family, value: block.first + 1n } : block.address;
  return ok({
    subnet: { cidr: formatCidr(block, true), gateway: formatIp(host), prefix: block.prefix, family },
    block: { ...block, address: host },
  });
}

/** The canonical text the contract stores ("192.168.220.1/24"). */
export function subnetText(s: Subnet): string {
  return `${s.gateway}/${s.prefix}`;
}

/** Whether `value` is an address a guest may have: inside, and neither the network nor the broadcast address. */
export function isGuestAddress(block: Cidr, family: IpFamily, value: bigint): boolean {
  return family === block.address.family && value > block.first && (family === 6 || value < block.last);
}
