// VM and image handlers: thin adapters from validated contract params to the VmManager.
// QEMU runs as the caller when the caller is not root and can reach its files (see run-as-user.ts).
import type { z } from 'zod';
import type { vmMethods } from '../../../src-shared/api/vm-api.js';
import type { VmManager } from '../vm/vm-manager.js';
import type { CallContext } from './handler-table.js';

type VmTable = typeof vmMethods;
export type VmMethodName = keyof VmTable;

/** Structurally Pick<HelperHandlers, VmMethodName> once vmMethods is part of novaApi. */
export type VmHandlers = {
  [M in VmMethodName]: (params: z.output<VmTable[M]['params']>, ctx: CallContext) => Promise<z.output<VmTable[M]['result']>>;
};

export interface VmMethodDeps {
  vms: VmManager;
}

export function vmHandlers(deps: VmMethodDeps): VmHandlers {
  const { vms } = deps;
  return {
    'vm.list': async () => vms.list(),
    'vm.get': async ({ name }) => vms.get(name),
    'vm.create': async (spec) => vms.create(spec),
    'vm.update': async (spec) => vms.update(spec),
    'vm.start': async ({ name }, { caller }) =>
      vms.start(name, caller.uid === 0 ? {} : { runAsUid: caller.uid, runAsGid: caller.gid }),
    'vm.stop': async ({ name, force, timeoutMs }) => vms.stop(name, { force, timeoutMs }),
    'vm.pause': async ({ name }) => vms.pause(name),
    'vm.resume': async ({ name }) => vms.resume(name),
    'vm.reboot': async ({ name }) => vms.reboot(name),
    'vm.delete': async ({ name, force, keepDisks }) => {
      await vms.delete(name, { force, keepDisks });
      return { ok: true as const };
    },
    'vm.setTemplate': async ({ name, template }) => vms.setTemplate(name, template),
    'vm.clone': async ({ source, target, linked }) => vms.clone(source, target, { linked }),
    'vm.snapshotCreate': async ({ name, snapshot, description }) => vms.snapshotCreate(name, snapshot, description),
    'vm.snapshotList': async ({ name }) => vms.snapshotList(name),
    'vm.snapshotRestore': async ({ name, snapshot }) => {
      await vms.snapshotRestore(name, snapshot);
      return { ok: true as const };
    },
    'vm.snapshotDelete': async ({ name, snapshot }) => {
      await vms.snapshotDelete(name, snapshot);
      return { ok: true as const };
    },
    'vm.consoleInfo': async ({ name }, { caller }) => vms.consoleInfo(name, caller),
    'vm.metrics': async ({ name }) => vms.metrics(name),
    'image.list': async () => vms.images.list(),
    'image.import': async ({ path, name }, ctx) => vms.images.import(path, name, ctx),
    'image.remove': async ({ name }) => {
      await vms.images.remove(name, (p) => vms.userOf(p));
      return { ok: true as const };
    },
  };
}
