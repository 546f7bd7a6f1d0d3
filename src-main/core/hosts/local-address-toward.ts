// This machine's address as another host reaches it, for a move whose destination is this
// machine: its QEMU or its file listener must listen where the source can connect. The
// source address the kernel picks for a packet to that host (`ip route get`) is the one
// that host sees this machine by, on a LAN or a VPN alike; behind NAT or a jump host it is
// not, and the caller then names the address itself.
import { lookup } from 'node:dns/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BOUND_MS = 5_000;

/** The `prefsrc` of `ip -j route get` output, or null. */
export function routeSource(json: string): string | null {
  try {
    const routes = JSON.parse(json) as Array<{ prefsrc?: unknown }>;
    const src = routes[0]?.prefsrc;
    return typeof src === 'string' && src.length > 0 ? src : null;
  } catch {
    return null;
  }
}

export async function localAddressToward(host: string): Promise<string | null> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`looking up ${host} took over ${BOUND_MS} ms`)), BOUND_MS).unref());
  const { address } = await Promise.race([lookup(host), timeout]);
  const { stdout } = await run('ip', ['-j', 'route', 'get', address], { timeout: BOUND_MS });
  return routeSource(stdout);
}
