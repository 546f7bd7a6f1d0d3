// The GuestMover that `nova up` and the Projects page move a project's guests with: a
// running VM by live migration (vm-migration.ts), with the send as a helper operation of
// the source, so it shows progress and the apply's cancel reaches it; its destination
// QEMU listens on the address the destination's ssh:// address names. A stopped VM or a
// capsule needs cold migration, which this mover refuses clearly.
import { NovaError } from '../../../src-shared/errors.js';
import { MigrationHostSchema } from '../../../src-shared/api/vm-migration-api.js';
import { LOCAL_HOST } from '../../../src-shared/vocabulary/index.js';
import type { GuestMove, GuestMover } from '../project/guest-mover.js';
import type { ProjectHelper } from '../project/project-helper.js';
import type { HostRegistry } from './host-registry.js';
import { migrateVm } from './vm-migration.js';

export interface GuestMoverDeps {
  helper(host: string): ProjectHelper;
  registry: Pick<HostRegistry, 'resolve'>;
  /** Stopped VMs and capsules; by default refused (coldMoveUnavailable). */
  cold?: (move: GuestMove) => Promise<void>;
}

export function hostGuestMover(deps: GuestMoverDeps): GuestMover {
  return {
    live: async (move) => {
      const source = deps.helper(move.from);
      const subject = `vm ${move.name}`;
      await migrateVm(
        {
          source,
          destination: deps.helper(move.to),
          send: (params) => source.operation('vm.migrateSend', params, subject),
          note: move.say,
        },
        { name: move.name, listen: await listenAddress(deps.registry, move.to), postcopy: false },
      );
    },
    cold: deps.cold ?? coldMoveUnavailable,
  };
}

/** What a stopped VM or a capsule meets until cold migration is wired in. */
export function coldMoveUnavailable(move: GuestMove): Promise<void> {
  const what = move.kind === 'vm' ? `VM ${move.name} is stopped, and moving a stopped VM` : `capsule ${move.name}: moving a capsule`;
  return Promise.reject(
    new NovaError('failed_precondition', `${what} between hosts needs cold migration (moving a stopped VM or a capsule between hosts needs cold migration), which this Nova cannot do yet; it stays on ${move.from}. Remove it there (nova --host ${move.from} ${move.kind} rm ${move.name}) to have nova up create it anew on ${move.to}`, { kind: move.kind, name: move.name, from: move.from, to: move.to }),
  );
}

/** Where the destination's QEMU listens for the source: the host its ssh:// address names. */
async function listenAddress(registry: Pick<HostRegistry, 'resolve'>, host: string): Promise<string> {
  const address = host === LOCAL_HOST ? null : await registry.resolve(host);
  if (address?.kind !== 'ssh') {
    throw new NovaError('failed_precondition', 'a running VM moves to this machine with "nova vm migrate VM --from HOST --to local --listen ADDRESS" (the address the other host reaches this one by); nova up moves running VMs only to saved ssh hosts');
  }
  const parsed = MigrationHostSchema.safeParse(address.host);
  if (!parsed.success) throw new NovaError('invalid_argument', `${host}: ${JSON.stringify(address.host)} is not a host name or an IP address a migration can listen on`);
  return parsed.data;
}
