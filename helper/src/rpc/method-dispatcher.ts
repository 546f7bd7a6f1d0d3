// The helper's allow-list in action: a request runs only if its method is a
// helper-served method of the contract, the caller is authorized for the method's
// polkit action, and its params pass that method's schema, in that order. Authorizing
// first means a caller who may not use a method costs no validation and learns nothing
// about its params; no error carries the request back.
import { HELPER_METHOD_NAMES, novaApi, type HelperMethodName } from '../../../src-shared/api/nova-api.js';
import { METHOD_NAME_PATTERN } from '../../../src-shared/api/define.js';
import { NovaError, schemaError } from '../../../src-shared/errors.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { CallContext, HelperHandlers } from '../methods/handler-table.js';

const ALLOWED = new Set<string>(HELPER_METHOD_NAMES);
const MAX_ECHOED_METHOD = 64;

export class MethodDispatcher {
  constructor(
    private readonly handlers: HelperHandlers,
    private readonly authorizer: Authorizer,
  ) {}

  isAllowed(method: string): method is HelperMethodName {
    return ALLOWED.has(method);
  }

  /** `ctx.onOperation` hears the id of the operation the call starts, if it starts one. */
  async dispatch(method: string, rawParams: unknown, ctx: CallContext): Promise<unknown> {
    if (!this.isAllowed(method)) throw unknownMethod(method);
    const def = novaApi[method];
    if (def.served.by !== 'helper') throw unknownMethod(method);
    await this.authorizer.authorize(ctx.caller, def.served.action);
    // polkit may take seconds (an agent's dialog): a caller gone meanwhile asked for nothing
    // anymore, and its pid may already name another process. Nothing of its call runs.
    if (ctx.isConnected && !ctx.isConnected()) throw new NovaError('cancelled', `${method} was not run: the caller hung up while it was being authorized`);
    const parsed = def.params.safeParse(rawParams ?? {});
    if (!parsed.success) throw schemaError(`Invalid parameters for ${method}`, parsed.error);
    const handler = this.handlers[method] as (params: unknown, ctx: CallContext) => Promise<unknown>;
    return handler(parsed.data, ctx);
  }
}

/** Names the method only when it looks like one: a megabyte of "method" is not sent back. */
function unknownMethod(method: string): NovaError {
  return METHOD_NAME_PATTERN.test(method) && method.length <= MAX_ECHOED_METHOD
    ? new NovaError('unknown_method', `Unknown method "${method}"`, { method })
    : new NovaError('unknown_method', 'Unknown method: not a method name');
}
