// Where a destination listens for a move, for every caller alike (`nova vm|capsule
// migrate`, the app's Move dialog, `nova up`): the address given, else the host of the
// destination's ssh:// address, which the caller already reaches it by; when the
// destination is this machine, this machine's address toward the source (the source
// address of the route to it, local-address-toward.ts).
import { NovaError } from '../../../src-shared/errors.js';
import { defaultListenAddress } from '../../../src-shared/api/vm-move-api.js';
import { MigrationHostSchema } from '../../../src-shared/api/vm-migration-api.js';
import type { HostRegistry } from './host-registry.js';
import { localAddressToward as routeToward } from './local-address-toward.js';

export interface ListenQuery {
  to: string;
  /** The source; with a destination that is this machine, the address toward it is the one. */
  from?: string;
  given?: string;
}

export async function migrationListenAddress(
  registry: Pick<HostRegistry, 'resolve'>,
  q: ListenQuery,
  localAddressToward: (host: string) => Promise<string | null> = routeToward,
): Promise<string> {
  if (q.given !== undefined) return checked(q.given, 'is not a host name or an IP address');
  const address = await registry.resolve(q.to);
  const host = defaultListenAddress(address);
  if (host !== null) return host;
  if (address.kind === 'ssh') throw new NovaError('invalid_argument', `${JSON.stringify(address.host)} (the host of ${q.to}) is not a host name or an IP address a migration can listen on: give one (--listen)`);
  const source = q.from === undefined ? null : await registry.resolve(q.from);
  if (source?.kind !== 'ssh') throw new NovaError('invalid_argument', "the destination is this machine: give the address the source reaches this machine by (--listen)");
  const toward = await localAddressToward(source.host).catch(() => null);
  if (toward === null) throw new NovaError('invalid_argument', `this machine has no route to ${q.from} (${source.host}): give the address ${q.from} reaches this machine by (--listen)`);
  return checked(toward, 'is not an address a migration can listen on');
}

function checked(address: string, problem: string): string {
  const parsed = MigrationHostSchema.safeParse(address);
  if (!parsed.success) throw new NovaError('invalid_argument', `${JSON.stringify(address)} ${problem}`);
  return parsed.data;
}
