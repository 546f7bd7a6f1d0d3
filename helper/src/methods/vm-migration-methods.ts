// Live migration handlers: the source's offer, send and complete, the destination's
// incoming, finish and discard (vm/migration-source.ts, vm/migration-destination.ts).
import type { VmManager } from '../vm/vm-manager.js';
import { incomingIdleMs } from '../vm/incoming-migration-guard.js';
import { MigrationDestination } from '../vm/migration-destination.js';
import { MigrationSource } from '../vm/migration-source.js';
import type { HelperHandlers } from './handler-table.js';

export type VmMigrationMethodName = 'vm.migrateOffer' | 'vm.migrateIncoming' | 'vm.migrateSend' | 'vm.migrateFinish' | 'vm.migrateDiscard' | 'vm.migrateComplete';

export function vmMigrationHandlers(vms: VmManager): Pick<HelperHandlers, VmMigrationMethodName> {
  const host = vms.migrationHost();
  const source = new MigrationSource(host);
  const destination = new MigrationDestination(host, incomingIdleMs(process.env));
  return {
    'vm.migrateOffer': ({ name }, ctx) => source.offer(name, ctx),
    'vm.migrateIncoming': ({ offer, listen, postcopy }, ctx) => destination.prepare(offer, listen, postcopy, ctx),
    'vm.migrateSend': ({ name, to, postcopy }, ctx) => source.send(name, to, postcopy, ctx),
    'vm.migrateFinish': async ({ name }, ctx) => {
      await destination.finish(name, ctx);
      return vms.get(name);
    },
    'vm.migrateDiscard': async ({ name }, ctx) => {
      await destination.discard(name, ctx);
      return { ok: true as const };
    },
    'vm.migrateComplete': async ({ name }, ctx) => {
      await source.complete(name, ctx);
      return { ok: true as const };
    },
  };
}
