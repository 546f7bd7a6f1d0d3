// Where a destination's QEMU listens for a migration, for every caller alike (`nova vm
// migrate`, the app's Move dialog): the address given, else the host of the destination's
// ssh:// address, which the caller already reaches it by.
import { NovaError } from '../../../src-shared/errors.js';
import { defaultListenAddress } from '../../../src-shared/api/vm-move-api.js';
import { MigrationHostSchema } from '../../../src-shared/api/vm-migration-api.js';
import type { HostRegistry } from './host-registry.js';

export async function migrationListenAddress(registry: HostRegistry, to: string, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    const parsed = MigrationHostSchema.safeParse(given);
    if (!parsed.success) throw new NovaError('invalid_argument', `${JSON.stringify(given)} is not a host name or an IP address`);
    return parsed.data;
  }
  const address = await registry.resolve(to);
  const host = defaultListenAddress(address);
  if (host !== null) return host;
  if (address.kind === 'local') throw new NovaError('invalid_argument', "the destination is this machine: give the address the source reaches this machine by (--listen)");
  throw new NovaError('invalid_argument', `${JSON.stringify(address.host)} (the host of ${to}) is not a host name or an IP address a migration can listen on: give one (--listen)`);
}
