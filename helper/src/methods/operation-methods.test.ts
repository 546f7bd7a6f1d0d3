import { describe, expect, it } from 'vitest';
import type { PolkitAction } from '../../../src-shared/actions.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { Operation, ResourceKind } from '../../../src-shared/operation.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { Caller } from '../auth/peer-credentials.js';
import type { OperationManager } from '../operations/operation-manager.js';
import type { CallContext } from './handler-table.js';
import { operationHandlers } from './operation-methods.js';

const ID = 'abcdef0123456789';

function setup(kind: ResourceKind, ownerUid: number | null, allowed: PolkitAction[] = []) {
  const asked: Array<[number, PolkitAction]> = [];
  const cancelled: number[] = [];
  const op = { id: ID, resource: { kind, name: 'nv13a-r' }, owner: ownerUid === null ? null : { uid: ownerUid, pid: 10 } } as Operation;
  const operations = {
    get: () => op,
    cancel: (_id: string, by: { uid: number }) => {
      cancelled.push(by.uid);
      return op;
    },
  } as unknown as OperationManager;
  const authorizer: Authorizer = {
    authorize: async (caller, action) => {
      asked.push([caller.uid, action]);
      if (!allowed.includes(action)) throw new NovaError('not_authorized', `Not authorized: ${action}`);
    },
  };
  const cancel = (uid: number) => {
    const caller: Caller = { uid, gid: uid, pid: 20, startTime: '1' };
    return operationHandlers({ operations, authorizer })['operation.cancel']({ id: ID }, { caller } as CallContext);
  };
  return { asked, cancelled, cancel };
}

describe('operation.cancel', () => {
  it('lets the owner cancel without asking polkit again', async () => {
    const { asked, cancelled, cancel } = setup('vm', 1000);
    await cancel(1000);
    expect(asked).toEqual([]);
    expect(cancelled).toEqual([1000]);
  });

  it.each([
    ['vm', 'org.nova.vm.manage'],
    ['image', 'org.nova.vm.manage'],
    ['capsule', 'org.nova.capsule.manage'],
    ['ociImage', 'org.nova.capsule.manage'],
    ['network', 'org.nova.network.manage'],
  ] as const)("asks for the manage action of a %s before cancelling someone else's operation", async (kind, action) => {
    const { asked, cancelled, cancel } = setup(kind, 1000, [action]);
    await cancel(1001);
    expect(asked).toEqual([[1001, action]]);
    expect(cancelled).toEqual([1001]);
  });

  it("refuses a viewer who may not manage the resource, and Nova's own work is nobody's to cancel but a manager's", async () => {
    const other = setup('capsule', 1000, ['org.nova.capsule.view']);
    await expect(other.cancel(1001)).rejects.toMatchObject({ code: 'not_authorized' });
    expect(other.cancelled).toEqual([]);
    const novas = setup('vm', null);
    await expect(novas.cancel(1000)).rejects.toMatchObject({ code: 'not_authorized' });
    expect(novas.asked).toEqual([[1000, 'org.nova.vm.manage']]);
  });

  it('lets root cancel anything without asking', async () => {
    const { asked, cancelled, cancel } = setup('network', 1000);
    await cancel(0);
    expect(asked).toEqual([]);
    expect(cancelled).toEqual([0]);
  });
});
