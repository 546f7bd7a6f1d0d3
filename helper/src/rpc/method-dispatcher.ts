// The helper's allow-list in action: a request runs only if its method is a
// helper-served method of the contract, its params pass that method's schema, and
// the caller is authorized for the method's polkit action, in that order.
import { HELPER_METHOD_NAMES, novaApi, type HelperMethodName } from '../../../src-shared/api/nova-api.js';
import { NovaError, schemaError } from '../../../src-shared/errors.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { Caller } from '../auth/peer-credentials.js';
import type { CallContext, HelperHandlers } from '../methods/handler-table.js';

const ALLOWED = new Set<string>(HELPER_METHOD_NAMES);

export class MethodDispatcher {
  constructor(
    private readonly handlers: HelperHandlers,
    private readonly authorizer: Authorizer,
  ) {}

  isAllowed(method: string): method is HelperMethodName {
    return ALLOWED.has(method);
  }

  /** `onOperation` hears the id of the operation the call starts, if it starts one. */
  async dispatch(method: string, rawParams: unknown, caller: Caller, onOperation?: (id: string) => void): Promise<unknown> {
    if (!this.isAllowed(method)) {
      throw new NovaError('unknown_method', `Unknown method "${method}"`, { method });
    }
    const def = novaApi[method];
    const parsed = def.params.safeParse(rawParams ?? {});
    if (!parsed.success) throw schemaError(`Invalid parameters for ${method}`, parsed.error);
    if (def.served.by !== 'helper') throw new NovaError('unknown_method', `Unknown method "${method}"`);
    await this.authorizer.authorize(caller, def.served.action);
    const handler = this.handlers[method] as (params: unknown, ctx: CallContext) => Promise<unknown>;
    return handler(parsed.data, { caller, ...(onOperation ? { onOperation } : {}) });
  }
}
