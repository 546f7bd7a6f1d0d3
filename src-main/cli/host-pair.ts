// The two helpers a move between hosts talks to (`nova vm migrate`, `nova capsule migrate`):
// the source (--from, else --host, else this machine) and the destination (--to), each
// connected as `nova --host` connects, and the address the source reaches the destination by.
import { NovaError } from '../../src-shared/errors.js';
import { MigrationHostSchema } from '../../src-shared/api/vm-migration-api.js';
import type { HelperClient } from '../core/helper-client.js';
import { HostRegistry } from '../core/hosts/host-registry.js';
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
  const listen = await listenAddress(o.to, o.listen);
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

/** Where the destination listens: given, or the host the caller's ssh reaches it by. */
async function listenAddress(to: string, given: string | undefined): Promise<string> {
  const address = given ?? (await hostOf(to));
  const parsed = MigrationHostSchema.safeParse(address);
  if (!parsed.success) throw new NovaError('invalid_argument', `${JSON.stringify(address)} is not a host name or an IP address`);
  return parsed.data;
}

async function hostOf(to: string): Promise<string> {
  const address = await new HostRegistry().resolve(to);
  if (address.kind === 'ssh') return address.host;
  throw new NovaError('invalid_argument', "the destination is this machine: give --listen with this machine's address as the source reaches it");
}
