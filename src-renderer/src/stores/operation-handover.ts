// A long call handed over to the operation store: the dialog that made it waits only
// until the helper runs it as an operation, since from then on the operation's own card
// (in place on its resource's page, and in the activity panel) shows its progress, its
// Cancel and how it ended. A refusal before that is the dialog's to show.
import { toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import type { Operation } from '../../../src-shared/operation.js';
import type { OperationStore } from './operation-store.js';

export type CallOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorShape };

/**
 * Makes the call; resolves once an operation matching `ours` that was not there before
 * runs (or the call is done), rejects with the call's error when it failed before.
 * `after` hears how the call ended once it was handed over.
 */
export function handOverOnceRunning<T>(
  operations: OperationStore,
  ours: (op: Operation) => boolean,
  call: () => Promise<T>,
  after: (outcome: CallOutcome<T>) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let handedOver = false;
    const before = new Set(Object.keys(operations.getState().byId));
    const fresh = (op: Operation) => !before.has(op.id) && ours(op);
    const stopWatching = operations.subscribe((s) => {
      if (!handedOver && Object.values(s.byId).some(fresh)) handOver();
    });
    function handOver(): void {
      handedOver = true;
      stopWatching();
      resolve();
    }
    call().then(
      (value) => {
        if (!handedOver) handOver();
        after({ ok: true, value });
      },
      (err: unknown) => {
        stopWatching();
        if (!handedOver) return reject(err);
        after({ ok: false, error: toErrorShape(err) });
      },
    );
  });
}
