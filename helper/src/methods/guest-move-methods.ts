// Cold move handlers for VMs and capsules: the source's offer, send and complete, the
// destination's incoming, finish and discard (vm/vm-cold-move.ts, capsule/capsule-move.ts),
// sharing one table of arrivals (move/move-arrivals.ts).
import type { CapsuleManager } from '../capsule/capsule-manager.js';
import { CapsuleMove } from '../capsule/capsule-move.js';
import { MoveArrivals } from '../move/move-arrivals.js';
import { ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import { VmColdMove } from '../vm/vm-cold-move.js';
import type { VmManager } from '../vm/vm-manager.js';
import type { HelperHandlers } from './handler-table.js';

export type GuestMoveMethodName = `${'vm' | 'capsule'}.move${'Offer' | 'Incoming' | 'Send' | 'Finish' | 'Discard' | 'Complete'}`;

export function guestMoveHandlers(deps: { vms: VmManager; capsules: CapsuleManager; logger?: Logger }): Pick<HelperHandlers, GuestMoveMethodName> {
  const arrivals = new MoveArrivals({ runner: new ProcessRunner(), ...(deps.logger ? { logger: deps.logger } : {}) });
  const vmHost = deps.vms.migrationHost();
  const capsuleHost = deps.capsules.moveHost();
  const vm = new VmColdMove(vmHost, arrivals);
  const capsule = new CapsuleMove(capsuleHost, arrivals);
  // Before the first incoming move: a fresh table knows none of the staging folders on disk.
  void arrivals.removeLeftovers([vmHost.layout.vmsDir, capsuleHost.layout.root]).catch((err: unknown) => deps.logger?.warn({ err }, 'removing staging folders of interrupted moves failed'));
  const ok = { ok: true as const };
  return {
    'vm.moveOffer': ({ name }, ctx) => vm.offer(name, ctx),
    'vm.moveIncoming': ({ offer, listen }, ctx) => vm.incoming(offer, listen, ctx),
    'vm.moveSend': ({ name, to }, ctx) => vm.send(name, to, ctx),
    'vm.moveFinish': async ({ name, sent }, ctx) => {
      await vm.finish(name, sent, ctx);
      return deps.vms.get(name);
    },
    'vm.moveDiscard': async ({ name }, ctx) => {
      await vm.discard(name, ctx);
      return ok;
    },
    'vm.moveComplete': async ({ name }, ctx) => {
      await vm.complete(name, ctx);
      return ok;
    },
    'capsule.moveOffer': ({ name }, ctx) => capsule.offer(name, ctx),
    'capsule.moveIncoming': ({ offer, listen }, ctx) => capsule.incoming(offer, listen, ctx),
    'capsule.moveSend': ({ name, to, sendImage }, ctx) => capsule.send(name, to, sendImage, ctx),
    'capsule.moveFinish': ({ name, sent }, ctx) => capsule.finish(name, sent, ctx),
    'capsule.moveDiscard': async ({ name }, ctx) => {
      await capsule.discard(name, ctx);
      return ok;
    },
    'capsule.moveComplete': async ({ name }, ctx) => {
      await capsule.complete(name, ctx);
      return ok;
    },
  };
}
