// The two helpers a move between hosts talks to (`nova vm migrate`, `nova capsule migrate`):
// the source (--from, else --host, else this machine) and the destination (--to), each
// connected as `nova --host` connects, and the address the source reaches the destination by.
import { NovaError } from '../../src-shared/errors.js';
import type { HelperClient } from '../core/helper-client.js';
import { HostRegistry } from '../core/hosts/host-registry.js';
import { migrationListenAddress } from '../core/hosts/migration-listen.js';
import { realConnectHelper, type CliContext } from './cli-context.js';

export interface HostPair {
  source: HelperClient;
  destination: HelperClient;
  /** The destination's address as the source reaches it. */
  listen: string;
}

/** Connects to both hosts, runs `work`, and closes both connections whatever happens. */
export async function withHostPair<T>(ctx: CliContext, o: { from?: string; to: string; listen?: string }, work: (pair: HostPair) => Promise<T>): Promise<T> {
  const from = o.from ?? ctx.globals().host ?? 'local';
  const listen = await migrationListenAddress(new HostRegistry(), { to: o.to, from, ...(o.listen !== undefined ? { given: o.listen } : {}) });
  if (from === o.to) throw new NovaError('invalid_argument', `--from and --to are the same host (${from})`);
  const connect = (host: string) => realConnectHelper(() => ({ ...ctx.globals(), host }))();
  const source = await connect(from);
  let destination: HelperClient | null = null;
  try {
    destination = await connect(o.to);
    return await work({ source, destination, listen });
  } finally {
    destination?.close();
    source.close();
  }
}
