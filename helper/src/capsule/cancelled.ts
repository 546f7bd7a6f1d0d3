// The words a cancelled capsule or image operation ends with: what was cancelled and what
// it left, rather than the name of the tool that was stopped mid-way.
import { NovaError } from '../../../src-shared/errors.js';
import type { OperationHandle } from '../operations/operation-manager.js';

/** For `.catch()`: a failure after a cancel becomes `cancelled` with `message`; any other passes. */
export function whenCancelled(op: OperationHandle, message: string): (err: unknown) => never {
  return (err) => {
    throw op.signal.aborted ? new NovaError('cancelled', message, { operationId: op.id }) : err;
  };
}
