// The GuestMover that `nova up` and the Projects page move a project's guests with: a
// running VM by live migration (vm-migration.ts), a stopped VM or a capsule by a cold move
// (guest-cold-move.ts; a running capsule is stopped, moved and started there). Each send
// is a helper operation of the source, so it shows progress and the apply's cancel
// reaches it. The destination listens on the address its ssh:// address names, or, when
// it is this machine, on this machine's address toward the source.
import { NovaError } from '../../../src-shared/errors.js';
import { MigrationHostSchema } from '../../../src-shared/api/vm-migration-api.js';
import { LOCAL_HOST } from '../../../src-shared/vocabulary/index.js';
import type { GuestMove, GuestMover } from '../project/guest-mover.js';
import type { ProjectHelper } from '../project/project-helper.js';
import { moveCapsule, moveStoppedVm } from './guest-cold-move.js';
import type { HostRegistry } from './host-registry.js';
import { localAddressToward } from './local-address-toward.js';
import { migrateVm } from './vm-migration.js';

export interface GuestMoverDeps {
  helper(host: string): ProjectHelper;
  registry: Pick<HostRegistry, 'resolve'>;
  /** This machine's address toward a host (local-address-toward.ts); replaceable in tests. */
  localAddressToward?: (host: string) => Promise<string | null>;
}

export function hostGuestMover(deps: GuestMoverDeps): GuestMover {
  const listen = (move: GuestMove) => listenAddress(deps, move);
  return {
    live: async (move) => {
      const source = deps.helper(move.from);
      await migrateVm(
        {
          source,
          destination: deps.helper(move.to),
          send: (params) => source.operation('vm.migrateSend', params, `vm ${move.name}`),
          note: move.say,
        },
        { name: move.name, listen: await listen(move), postcopy: false },
      );
    },
    cold: async (move) => {
      const source = deps.helper(move.from);
      const destination = deps.helper(move.to);
      const subject = `${move.kind} ${move.name}`;
      if (move.kind === 'vm') {
        await moveStoppedVm({ source, destination, sendVm: (params) => source.operation('vm.moveSend', params, subject), note: move.say }, { name: move.name, listen: await listen(move) });
        return;
      }
      // The file places the capsule elsewhere; whether it runs is the rest of the apply's business.
      await moveCapsule({ source, destination, sendCapsule: (params) => source.operation('capsule.moveSend', params, subject), note: move.say }, { name: move.name, listen: await listen(move), restart: true });
    },
  };
}

/** Where the destination listens for the source: the host its ssh:// address names, or this machine's address toward the source. */
async function listenAddress(deps: GuestMoverDeps, move: GuestMove): Promise<string> {
  const address = await hostAddress(deps.registry, move.to === LOCAL_HOST ? move.from : move.to);
  const host = move.to === LOCAL_HOST ? await (deps.localAddressToward ?? localAddressToward)(address) : address;
  if (!host) throw new NovaError('failed_precondition', `this machine has no route to ${move.from} (${address}) to take ${move.kind} ${move.name} back on: move it with "nova ${move.kind === 'vm' ? 'vm' : 'capsule'} migrate ${move.name} --from ${move.from} --to local --listen ADDRESS"`);
  const parsed = MigrationHostSchema.safeParse(host);
  if (!parsed.success) throw new NovaError('invalid_argument', `${JSON.stringify(host)} is not a host name or an IP address a move can listen on`);
  return parsed.data;
}

async function hostAddress(registry: Pick<HostRegistry, 'resolve'>, host: string): Promise<string> {
  const address = await registry.resolve(host);
  if (address.kind !== 'ssh') throw new NovaError('invalid_argument', `${host} names this machine, so nothing moves between ${host} and it`);
  return address.host;
}
