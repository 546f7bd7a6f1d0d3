// What the kernel has right now: every link with its kind, bridge master, flags and
// addresses, from one `ip -json -details addr show` (one process, however many links).
import { readdir } from 'node:fs/promises';
import { NovaError } from '../../../src-shared/errors.js';
import { runChecked, type CommandRunner } from './command-runner.js';
import { listLinks } from './network-commands.js';

const NETNS_RUN_DIR = '/run/netns';

export interface HostAddress {
  family: 4 | 6;
  local: string;
  prefix: number;
}

export interface HostLink {
  ifname: string;
  /** "bridge", "veth", "tun", "vxlan"... or null for a plain device. */
  kind: string | null;
  master: string | null;
  up: boolean;
  mtu: number;
  mac: string | null;
  addresses: HostAddress[];
}

interface IpJsonAddr {
  family?: string;
  local?: string;
  prefixlen?: number;
}
interface IpJsonLink {
  ifname?: string;
  flags?: string[];
  master?: string;
  mtu?: number;
  address?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: IpJsonAddr[];
}

export function parseIpAddrJson(text: string): HostLink[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new NovaError('internal', 'ip -json printed something that is not JSON');
  }
  if (!Array.isArray(raw)) throw new NovaError('internal', 'ip -json did not print a list');
  return (raw as IpJsonLink[])
    .filter((l) => typeof l.ifname === 'string')
    .map((l) => ({
      // veth peers in another namespace show as "name@ifN" in some versions.
      ifname: (l.ifname as string).split('@')[0] as string,
      kind: l.linkinfo?.info_kind ?? null,
      master: l.master ?? null,
      up: (l.flags ?? []).includes('UP'),
      mtu: l.mtu ?? 1500,
      mac: l.address ?? null,
      addresses: (l.addr_info ?? [])
        .filter((a) => (a.family === 'inet' || a.family === 'inet6') && typeof a.local === 'string')
        .map((a) => ({ family: a.family === 'inet' ? 4 : 6, local: a.local as string, prefix: a.prefixlen ?? 0 }) as HostAddress),
    }));
}

export async function readHostLinks(runner: CommandRunner, signal?: AbortSignal): Promise<Map<string, HostLink>> {
  const out = await runChecked(runner, listLinks(), signal);
  return new Map(parseIpAddrJson(out).map((l) => [l.ifname, l]));
}

/**
 * Named network namespaces: the entries of /run/netns, which is all `ip netns list`
 * reads, without a process for it on every guest that joins a network.
 */
export async function readNetnsNames(dir = NETNS_RUN_DIR): Promise<Set<string>> {
  return new Set(await readdir(dir).catch(() => []));
}
