// How a capsule joins a Nova network: the capsule manager asks this port for a veth into
// the capsule's own network namespace, an address on the network (static, so it works for
// any image: no DHCP client is needed inside) and the port forwards it publishes.
// The helper's composition root backs it with the NetworkManager; tests may use a fake.
import type { PublishedPort } from '../../../src-shared/capsule.js';
import { isNovaError, NovaError } from '../../../src-shared/errors.js';
import type { Attachment, DhcpLease, Forward, Protocol } from '../../../src-shared/network.js';
import { formatIp, parseCidr } from '../../../src-shared/ip-cidr.js';
import { guestSideCounters, metricsFiles, NET_DEV_FRESH_MS, type KernelFiles } from '../metrics/kernel-files.js';
import type { RecordedNetwork } from '../network/network-config.js';

export interface CapsuleAttachment {
  network: string;
  /** `address/prefix` inside the capsule. */
  address: string;
  hostIfname: string;
  /** `NAME.NETWORK.nova`, served by the network's dnsmasq. */
  hostname: string;
  /** The capsule's nameserver (the network's dnsmasq) and search domain, when the network has DNS. */
  dns: { server: string; domain: string } | null;
}

export interface CapsuleNetworkPort {
  /** Throws not_found when the network does not exist, invalid_argument when capsules cannot join it. */
  checkNetwork(network: string, ports: readonly PublishedPort[]): Promise<void>;
  /** Attaches a veth whose guest end (eth0) goes into the named namespace, addressed and routed. */
  attach(network: string, capsule: string, netns: string, address: string | undefined): Promise<CapsuleAttachment>;
  /** Idempotent: an attachment already gone is fine. */
  detach(network: string, capsule: string): Promise<void>;
  /** Replaces any forward of these host ports (left by a crash) with one to `guestAddress`. */
  publish(network: string, guestAddress: string, ports: readonly PublishedPort[]): Promise<void>;
  /** Idempotent: removes the forwards of these host ports that point at `guestAddress`. */
  unpublish(network: string, guestAddress: string, ports: readonly PublishedPort[]): Promise<void>;
  /** The address the capsule's attachment holds, for a start cut short before Nova recorded it; null without one. */
  attachedAddress(network: string, capsule: string): Promise<string | null>;
}

/** The part of NetworkManager this port needs. */
export interface VethNetworks {
  /** The record alone: joining needs settings and addresses, not the kernel's state. */
  recorded(name: string): Promise<RecordedNetwork>;
  leases(name: string): Promise<DhcpLease[]>;
  attach(req: { network: string; resource: string; kind: 'veth'; netns: string; address?: string }): Promise<Attachment>;
  detach(network: string, resource: string): Promise<void>;
  listForwards(network: string): Promise<Forward[]>;
  addForward(network: string, f: { hostPort: number; guestAddress: string; guestPort: number; protocol: Protocol }): Promise<Forward[]>;
  removeForward(network: string, hostPort: number, protocol: Protocol): Promise<Forward[]>;
}

/** FNV-1a: a stable starting point per capsule, so a capsule usually keeps its address. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A free guest address in `cidr` (`gateway/prefix`): probed from a point derived from the
 * capsule's name, skipping the network and broadcast addresses, the gateway and `taken`.
 * Static addresses may lie in the DHCP range: `taken` holds the current leases, and
 * dnsmasq pings an address before it offers it, so a capsule's address is not handed out.
 */
export function pickCapsuleAddress(cidr: string, seed: string, taken: ReadonlySet<string>): string | null {
  const c = parseCidr(cidr);
  if (!c || c.address.family !== 4) return null;
  const first = c.first + 1n;
  const count = c.last - 1n - first + 1n;
  if (count <= 0n) return null;
  const start = BigInt(hash32(seed)) % count;
  const limit = count < 65536n ? count : 65536n;
  for (let i = 0n; i < limit; i++) {
    const value = first + ((start + i) % count);
    if (value === c.address.value) continue;
    const ip = formatIp({ family: 4, value });
    if (!taken.has(ip)) return `${ip}/${c.prefix}`;
  }
  return null;
}

function ipOf(address: string): string {
  return address.split('/')[0] ?? address;
}

export function networkManagerCapsulePort(networks: VethNetworks): CapsuleNetworkPort {
  const detach = async (network: string, capsule: string) => {
    try {
      await networks.detach(network, capsule);
    } catch (err) {
      if (!isNovaError(err) || err.code !== 'not_found') throw err;
    }
  };
  const removeForward = async (network: string, p: PublishedPort) => {
    try {
      await networks.removeForward(network, p.hostPort, p.protocol);
    } catch (err) {
      if (!isNovaError(err) || err.code !== 'not_found') throw err;
    }
  };
  return {
    async checkNetwork(network, ports) {
      const net = await networks.recorded(network);
      if (ports.length > 0 && (net.profile !== 'nat' || !net.subnet)) {
        throw new NovaError('invalid_argument', `published ports need a NAT network; ${network} is ${net.profile}: drop the ports or choose a NAT network`);
      }
    },
    async attach(network, capsule, netns, address) {
      const net = await networks.recorded(network);
      // A veth left by a crash or a killed helper is this capsule's own (its name is derived).
      await detach(network, capsule);
      if (address === undefined && (!net.subnet || !net.gateway)) {
        throw new NovaError('invalid_argument', `network ${network} has no Nova subnet, so the helper cannot pick an address: give the capsule a static address`);
      }
      let attachment: Attachment | null = null;
      // Another attach may take the picked address between the read and ours: try the next.
      for (let attempt = 0; attachment === null; attempt++) {
        let wanted = address;
        if (wanted === undefined) {
          const fresh = await networks.recorded(network);
          const taken = new Set<string>(fresh.attachments.flatMap((a) => (a.address ? [ipOf(a.address)] : [])));
          for (const l of await networks.leases(network).catch(() => [])) taken.add(l.address);
          const prefix = (net.subnet ?? '').split('/')[1];
          const picked = pickCapsuleAddress(`${net.gateway}/${prefix}`, `${capsule}#${attempt}`, taken);
          if (!picked) throw new NovaError('failed_precondition', `network ${network} has no free address left for capsule ${capsule}`);
          wanted = picked;
        }
        try {
          attachment = await networks.attach({ network, resource: capsule, kind: 'veth', netns, address: wanted });
        } catch (err) {
          const clash = isNovaError(err) && err.code === 'already_exists' && /address/.test(err.message);
          if (!clash || address !== undefined || attempt >= 8) throw err;
        }
      }
      if (!attachment.address) throw new NovaError('internal', `the veth of capsule ${capsule} on ${network} has no address`);
      return {
        network,
        address: attachment.address,
        hostIfname: attachment.hostIfname,
        hostname: attachment.hostname,
        dns: net.dns && net.gateway && net.domain ? { server: net.gateway, domain: net.domain } : null,
      };
    },
    detach,
    async attachedAddress(network, capsule) {
      const net = await networks.recorded(network);
      return net.attachments.find((a) => a.resource === capsule)?.address ?? null;
    },
    async publish(network, guestAddress, ports) {
      const added: PublishedPort[] = [];
      try {
        for (const p of ports) {
          await removeForward(network, p);
          await networks.addForward(network, { hostPort: p.hostPort, guestAddress: ipOf(guestAddress), guestPort: p.guestPort, protocol: p.protocol });
          added.push(p);
        }
      } catch (err) {
        for (const p of added) await removeForward(network, p).catch(() => undefined);
        throw err;
      }
    },
    async unpublish(network, guestAddress, ports) {
      const current = await networks.listForwards(network).catch((err: unknown) => {
        if (isNovaError(err) && err.code === 'not_found') return [];
        throw err;
      });
      const ip = ipOf(guestAddress);
      for (const p of ports) {
        if (current.some((f) => f.hostPort === p.hostPort && f.protocol === p.protocol && f.guestAddress === ip)) await removeForward(network, p);
      }
    },
  };
}

/** A port for a helper without a network engine: every Nova network is refused clearly. */
export const noCapsuleNetworkPort: CapsuleNetworkPort = {
  checkNetwork: async (network) => {
    throw new NovaError('unsupported', `this helper has no network engine, so a capsule cannot join network ${network}; create it without a network`);
  },
  attach: async (network) => {
    throw new NovaError('unsupported', `this helper has no network engine, so a capsule cannot join network ${network}`);
  },
  detach: async () => undefined,
  publish: async () => undefined,
  unpublish: async () => undefined,
  attachedAddress: async () => null,
};

/**
 * Bytes through the capsule's veth from the capsule's side (what the host end sends, the
 * capsule receives), from /proc/net/dev: it always shows the reading process's own network
 * namespace, where sysfs may show another one (a helper started under `nsenter --net`).
 */
export async function readVethCounters(hostIfname: string, procNetDev = '/proc/net/dev', files: KernelFiles = metricsFiles): Promise<{ rxBytes: number; txBytes: number } | null> {
  return guestSideCounters(files.recent(procNetDev, NET_DEV_FRESH_MS) ?? '', hostIfname);
}

