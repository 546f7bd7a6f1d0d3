// How a VM joins a Nova network: the VM engine asks this port for a tap on the
// network's bridge before QEMU starts and gives it back when QEMU ends. The helper's
// composition root backs it with the NetworkManager; tests may back it with a fake.
import { isNovaError, NovaError } from '../../../src-shared/errors.js';
import type { Attachment, DhcpLease } from '../../../src-shared/network.js';
import { guestSideCounters, metricsFiles, NET_DEV_FRESH_MS, type KernelFiles } from '../metrics/kernel-files.js';

export interface VmTap {
  network: string;
  /** The tap on the bridge; QEMU opens it by name. */
  ifname: string;
  /** Locally administered and stable per VM, NIC and network, so DHCP leases and DNS names stay. */
  mac: string;
  /** The NIC it serves (netN). */
  index: number;
  /** Its attachment's name on the network (nicAttachmentName). */
  resource: string;
}

/**
 * The name NIC `index` is attached under: the VM's own for its first NIC on a network
 * (so a VM made before several NICs keeps its MAC, lease and DNS name), and
 * `VM_nicN` for a further NIC on the same network (`_` never occurs in a VM name).
 */
export function nicAttachmentName(vm: string, index: number, networks: ReadonlyArray<string | null>): string {
  const network = networks[index];
  if (networks.indexOf(network ?? null) === index) return vm;
  const suffix = `_nic${index}`;
  return vm.slice(0, 63 - suffix.length) + suffix;
}

/** The Nova network of each NIC (null for user mode), the input nicAttachmentName takes. */
export function nicNetworks(nics: ReadonlyArray<{ network: { mode: string; network?: string } }>): Array<string | null> {
  return nics.map((n) => (n.network.mode === 'nova' ? (n.network.network ?? null) : null));
}

export interface VmNetworkPort {
  /** Throws not_found when the network does not exist. */
  checkNetwork(network: string): Promise<void>;
  /** `resource`: nicAttachmentName's; `owner`: the user QEMU runs as when not root, who must be able to open the tap. */
  attachTap(network: string, resource: string, owner?: { uid: number; gid: number }): Promise<{ network: string; ifname: string; mac: string }>;
  /** Idempotent: a tap already gone is fine. */
  detachTap(network: string, resource: string): Promise<void>;
  /** The guest's address behind an attachment: its static one, else the lease its MAC holds; null while none. */
  addressOf(network: string, resource: string): Promise<string | null>;
}

/** The part of NetworkManager this port needs. */
export interface TapNetworks {
  get(name: string): Promise<{ attachments: Attachment[] }>;
  leases?(network: string): Promise<DhcpLease[]>;
  attach(req: { network: string; resource: string; kind: 'tap' }, opts?: { tapOwner?: { uid: number; gid: number } }): Promise<Attachment>;
  detach(network: string, resource: string): Promise<void>;
}

export function networkManagerPort(networks: TapNetworks): VmNetworkPort {
  const detach = async (network: string, vm: string) => {
    try {
      await networks.detach(network, vm);
    } catch (err) {
      if (!isNovaError(err) || err.code !== 'not_found') throw err;
    }
  };
  return {
    async checkNetwork(network) {
      await networks.get(network);
    },
    async attachTap(network, vm, owner) {
      // A tap left by a crash or a killed helper is this VM's own (its name is derived): replace it.
      await detach(network, vm);
      const a = await networks.attach({ network, resource: vm, kind: 'tap' }, owner ? { tapOwner: owner } : {});
      return { network, ifname: a.hostIfname, mac: a.mac };
    },
    detachTap: detach,
    async addressOf(network, resource) {
      const attachment = (await networks.get(network)).attachments.find((a) => a.resource === resource);
      if (!attachment) return null;
      if (attachment.address) return attachment.address.split('/')[0]!;
      const lease = (await networks.leases?.(network))?.find((l) => l.mac.toLowerCase() === attachment.mac.toLowerCase());
      return lease?.address ?? null;
    },
  };
}

/** A port for a helper without a network engine: every Nova network is refused clearly. */
export const noNetworkPort: VmNetworkPort = {
  checkNetwork: async (network) => {
    throw noEngine(network);
  },
  attachTap: async (network) => {
    throw noEngine(network);
  },
  detachTap: async () => undefined,
  addressOf: async () => null,
};

function noEngine(network: string): NovaError {
  return new NovaError('unsupported', `this helper has no network engine, so a VM cannot join network ${network}; use network "user" or "none"`);
}

/**
 * Bytes through the tap, from the guest's side: what the tap sends is what the guest
 * receives. sysfs first; /proc/net/dev when sysfs shows another namespace's devices
 * (a helper started by `ip netns exec` whose /sys remount failed): /proc/net always
 * shows the reading process's own namespace.
 */
export async function readTapCounters(
  ifname: string,
  sysRoot = '/sys/class/net',
  procNetDev = '/proc/net/dev',
  files: KernelFiles = metricsFiles,
): Promise<{ rxBytes: number; txBytes: number } | null> {
  const rx = files.read(`${sysRoot}/${ifname}/statistics/rx_bytes`);
  const tx = rx === null ? null : files.read(`${sysRoot}/${ifname}/statistics/tx_bytes`);
  if (rx !== null && tx !== null) return { rxBytes: Number(tx.trim()), txBytes: Number(rx.trim()) };
  return guestSideCounters(files.recent(procNetDev, NET_DEV_FRESH_MS) ?? '', ifname);
}
