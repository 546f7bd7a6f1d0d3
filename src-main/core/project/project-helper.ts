// What applying a project needs from the helper: quick calls (reads, stop, delete) and
// long ones that are helper operations, shown with progress and cancelled with the
// apply. The CLI gives progress lines and Ctrl+C; tests and the web mode give their own.
import type { HelperMethodName, ParamsIn, ResultOf } from '../../../src-shared/api/nova-api.js';

export interface ProjectHelper {
  call<M extends HelperMethodName>(method: M, params: ParamsIn<M>): Promise<ResultOf<M>>;
  /** A call that may start a helper operation; `subject` ("capsule db") prefixes its progress. */
  operation<M extends HelperMethodName>(method: M, params: ParamsIn<M>, subject: string): Promise<ResultOf<M>>;
}
