// Operation handlers: list and inspect what runs, and cancel it. Anyone who may look at
// the host sees operations; cancelling one takes its owner, root, or someone polkit lets
// manage the operation's resource.
import { POLKIT_ACTIONS, type PolkitAction } from '../../../src-shared/actions.js';
import type { ResourceKind } from '../../../src-shared/operation.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { OperationManager } from '../operations/operation-manager.js';
import type { HelperHandlers } from './handler-table.js';

const MANAGE_ACTION: Record<ResourceKind, PolkitAction> = {
  vm: POLKIT_ACTIONS.vmManage,
  image: POLKIT_ACTIONS.vmManage,
  capsule: POLKIT_ACTIONS.capsuleManage,
  ociImage: POLKIT_ACTIONS.capsuleManage,
  network: POLKIT_ACTIONS.networkManage,
  // A project spans VMs, capsules and networks: cancelling someone else's apply takes the strongest of them.
  project: POLKIT_ACTIONS.vmManage,
  device: POLKIT_ACTIONS.devicePassthrough,
};

export interface OperationMethodDeps {
  operations: OperationManager;
  authorizer: Authorizer;
}

export function operationHandlers(deps: OperationMethodDeps): Pick<HelperHandlers, 'operation.list' | 'operation.get' | 'operation.cancel'> {
  const { operations } = deps;
  return {
    'operation.list': async ({ resource, state }) => ({ operations: operations.list({ state, ...(resource ? { resource } : {}) }) }),
    'operation.get': async ({ id }) => operations.get(id),
    'operation.cancel': async ({ id }, { caller }) => {
      const op = operations.get(id);
      if (caller.uid !== 0 && op.owner?.uid !== caller.uid) await deps.authorizer.authorize(caller, MANAGE_ACTION[op.resource.kind]);
      return operations.cancel(id, { uid: caller.uid });
    },
  };
}
