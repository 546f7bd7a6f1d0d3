// VM and image handlers: thin adapters from validated contract params to the VmManager.
// QEMU runs as the caller when the caller is not root, or the start is refused naming
// the file the caller cannot reach (see run-as-user.ts); only root gets a root QEMU.
// Every changing verb passes the call's context on, so its operation or lock names who
// asked and the client hears of the operation it started.
import type { HelperMethodName } from '../../../src-shared/api/nova-api.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { DescriptorInbox } from '../rpc/descriptor-inbox.js';
import type { VmManager } from '../vm/vm-manager.js';
import { readLogPage } from '../vm/log-page.js';
import type { GuestMoveMethodName } from './guest-move-methods.js';
import type { HelperHandlers } from './handler-table.js';
import type { MetricsMethodName } from './metrics-methods.js';
import type { SnapshotPolicyMethodName } from './snapshot-policy-methods.js';
import type { VmUsbMethodName } from './vm-usb-methods.js';
import type { VmMigrationMethodName } from './vm-migration-methods.js';

export type VmMethodName = Exclude<Extract<HelperMethodName, `vm.${string}` | `image.${string}`>, MetricsMethodName | SnapshotPolicyMethodName | VmUsbMethodName | VmMigrationMethodName | GuestMoveMethodName>;
export type VmHandlers = Pick<HelperHandlers, VmMethodName>;

export interface VmMethodDeps {
  vms: VmManager;
  /** Files callers handed over by descriptor, for imports. */
  handedFiles: Pick<DescriptorInbox, 'take'>;
}

export function vmHandlers(deps: VmMethodDeps): VmHandlers {
  const { vms, handedFiles } = deps;
  return {
    'vm.list': async () => ({ vms: await vms.list(), broken: await vms.broken() }),
    'vm.get': async ({ name }) => vms.get(name),
    'vm.showCommand': async ({ name }) => vms.showCommand(name),
    'vm.create': async (spec, ctx) => vms.create(spec, ctx),
    'vm.update': async (spec, ctx) => vms.update(spec, ctx),
    'vm.start': async ({ name }, ctx) =>
      vms.start(name, ctx.caller.uid === 0 ? {} : { runAsUid: ctx.caller.uid, runAsGid: ctx.caller.gid }, ctx),
    'vm.stop': async ({ name, force, timeoutMs }, ctx) => vms.stop(name, { force, timeoutMs }, ctx),
    'vm.pause': async ({ name }, ctx) => vms.pause(name, ctx),
    'vm.resume': async ({ name }, ctx) => vms.resume(name, ctx),
    'vm.reboot': async ({ name }, ctx) => vms.reboot(name, ctx),
    'vm.suspend': async ({ name }, ctx) => vms.suspend(name, ctx),
    'vm.delete': async ({ name, force, keepDisks }, ctx) => {
      await vms.delete(name, { force, keepDisks }, ctx);
      return { ok: true as const };
    },
    'vm.setTemplate': async ({ name, template }, ctx) => vms.setTemplate(name, template, ctx),
    'vm.clone': async ({ source, target, linked }, ctx) => vms.clone(source, target, { linked }, ctx),
    'vm.snapshotCreate': async ({ name, snapshot, description, keepForever, withMemory }, ctx) => vms.snapshotCreate(name, snapshot, description, ctx, { keepForever, withMemory }),
    'vm.adopt': async ({ name, project }, ctx) => vms.adopt(name, project, ctx),
    'vm.snapshotList': async ({ name }) => vms.snapshotList(name),
    'vm.snapshotRestore': async ({ name, snapshot }, ctx) => {
      await vms.snapshotRestore(name, snapshot, ctx);
      return { ok: true as const };
    },
    'vm.snapshotDelete': async ({ name, snapshot }, ctx) => {
      await vms.snapshotDelete(name, snapshot, ctx);
      return { ok: true as const };
    },
    'vm.consoleInfo': async ({ name }, { caller }) => vms.consoleInfo(name, caller),
    'vm.logs': async ({ name, offset, maxBytes }) => {
      await vms.get(name);
      const { root, logPath } = vms.serialLog(name);
      return readLogPage(root, logPath, offset, maxBytes);
    },
    'vm.metrics': async ({ name }) => vms.metrics(name),
    'image.list': async () => vms.imagesWithUsers(),
    'image.import': async ({ path, descriptor, name }, ctx) => {
      if ((path === undefined) === (descriptor === undefined)) throw new NovaError('invalid_argument', 'image.import takes a path or a descriptor, one of the two');
      if (path !== undefined) return vms.images.import(path, name, ctx);
      const file = await handedFiles.take(descriptor!.token, ctx.caller, 'the image to import', descriptor!.fileName);
      return vms.images.importHanded(file, name, ctx);
    },
    'image.detectOs': async ({ path }, ctx) => vms.detectOs(path, ctx),
    'image.remove': async ({ name }) => {
      await vms.images.remove(name, (p) => vms.userOf(p));
      return { ok: true as const };
    },
  };
}
