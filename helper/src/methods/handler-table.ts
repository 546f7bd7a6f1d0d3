// The shape every helper feature implements: one async handler per helper-served
// method of the contract, receiving already-validated params and the caller.
import type { HelperMethodName, ParamsOf, ResultOf } from '../../../src-shared/api/nova-api.js';
import type { Caller } from '../auth/peer-credentials.js';
import type { Requester } from '../operations/operation-manager.js';

export interface CallContext extends Requester {
  caller: Caller;
  /** Subscribes the caller's connection to events; absent where there is no connection. */
  subscribeEvents?: () => void;
  /** Whether the caller's connection is still open; absent where there is no connection. */
  isConnected?: () => boolean;
}

export type HelperHandler<M extends HelperMethodName> = (
  params: ParamsOf<M>,
  ctx: CallContext,
) => Promise<ResultOf<M>>;

/** Composition roots check with `satisfies HelperHandlers` that every method is served. */
export type HelperHandlers = { [M in HelperMethodName]: HelperHandler<M> };
