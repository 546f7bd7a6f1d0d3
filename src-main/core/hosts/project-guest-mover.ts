// The GuestMover that `nova up` and the Projects page move a project's guests with: a
// running VM by live migration (vm-migration.ts), a stopped VM or a capsule by a cold move
// (guest-cold-move.ts; a running capsule is stopped, moved and started there). Each send
// is a helper operation of the source, so it shows progress and the apply's cancel
// reaches it. The destination listens on the address its ssh:// address names, or, when
// it is this machine, on this machine's address toward the source.
import type { GuestMove, GuestMover } from '../project/guest-mover.js';
import type { ProjectHelper } from '../project/project-helper.js';
import { moveCapsule, moveStoppedVm } from './guest-cold-move.js';
import type { HostRegistry } from './host-registry.js';
import { migrationListenAddress } from './migration-listen.js';
import { migrateVm } from './vm-migration.js';

export interface GuestMoverDeps {
  helper(host: string): ProjectHelper;
  registry: Pick<HostRegistry, 'resolve'>;
  /** This machine's address toward a host (local-address-toward.ts); replaceable in tests. */
  localAddressToward?: (host: string) => Promise<string | null>;
}

export function hostGuestMover(deps: GuestMoverDeps): GuestMover {
  const listen = (move: GuestMove) => migrationListenAddress(deps.registry, { to: move.to, from: move.from }, deps.localAddressToward);
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
