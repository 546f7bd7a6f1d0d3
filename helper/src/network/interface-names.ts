// Names and MACs Nova derives for the kernel objects a network owns: hashed from the
// network and resource names, so a re-created tap or veth gets the same name and the
// same locally administered MAC, and the guest keeps its DHCP lease and DNS name.
import { createHash } from 'node:crypto';

/** The kernel's interface name limit (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;
export const DEFAULT_IF_PREFIX = 'nv';

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\0')).digest();
}

/** Unicast (bit 0 clear), locally administered (bit 1 set): never a vendor's address. */
export function stableMac(...parts: string[]): string {
  const bytes = [...digest('mac', ...parts).subarray(0, 6)];
  bytes[0] = ((bytes[0] ?? 0) & 0xfc) | 0x02;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function hashedName(prefix: string, kind: string, ...parts: string[]): string {
  const room = IFNAME_MAX - prefix.length - kind.length;
  if (room < 6) throw new Error(`interface prefix "${prefix}" is too long: names would exceed ${IFNAME_MAX} characters`);
  return prefix + kind + digest(kind, ...parts).toString('hex').slice(0, Math.min(room, 8));
}

/** The host side of an attachment: a tap for a VM, the host end of a capsule's veth. */
export function attachmentIfname(prefix: string, network: string, resource: string): string {
  return hashedName(prefix, 'a', network, resource);
}

/** The VXLAN device of an overlay network. */
export function overlayDevice(prefix: string, network: string): string {
  return hashedName(prefix, 'x', network);
}

/** A temporary name for a veth's guest end before it moves into the guest's namespace. */
export function vethPeerTempName(prefix: string, network: string, resource: string): string {
  return hashedName(prefix, 'p', network, resource);
}
