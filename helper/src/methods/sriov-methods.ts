// SR-IOV handler: a PF's virtual functions made or removed (devices/sriov-vfs.ts), under
// the PF's lock so two callers never write its sriov_numvfs at once.
import { NovaError } from '../../../src-shared/errors.js';
import type { HostIO } from '../devices/host-io.js';
import { disableVfs, enableVfs, readSriov } from '../devices/sriov-vfs.js';
import type { OperationManager } from '../operations/operation-manager.js';
import type { HelperHandlers } from './handler-table.js';

export function sriovHandlers(io: HostIO, operations: OperationManager): Pick<HelperHandlers, 'device.sriovSet'> {
  return {
    'device.sriovSet': ({ address, count }, ctx) =>
      operations.exclusive([{ kind: 'device', name: address }], `SR-IOV on ${address}`, ctx, async () => {
        if (count === 0) await disableVfs(io, address);
        else await enableVfs(io, address, count);
        const state = await readSriov(io, address);
        if (state === null) throw new NovaError('failed_precondition', `${address} has no SR-IOV capability`);
        return { address, totalVfs: state.totalVfs, vfs: state.vfs };
      }),
  };
}
