// Per-request authorization. Root is allowed; everyone else is asked of polkit for
// the action guarding the method, with the caller named by pid *and* start time.
// Any error while checking is a denial (fail closed).
import { authorizationHint, type PolkitAction } from '../../../src-shared/actions.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { Logger } from '../util/logger.js';
import type { Caller } from './peer-credentials.js';

export interface Authorizer {
  authorize(caller: Caller, action: PolkitAction): Promise<void>;
}

export interface PkcheckResult {
  exitCode: number | null;
  stderr: string;
}

export type RunPkcheck = (argv: string[]) => Promise<PkcheckResult>;

export class PolkitAuthorizer implements Authorizer {
  constructor(
    private readonly runPkcheck: RunPkcheck,
    private readonly logger: Logger,
  ) {}

  async authorize(caller: Caller, action: PolkitAction): Promise<void> {
    if (caller.uid === 0) return;
    if (caller.startTime === null) {
      throw denied(action, caller, 'the calling process could not be identified');
    }
    const argv = pkcheckArgv(caller, action);
    let result: PkcheckResult;
    try {
      result = await this.runPkcheck(argv);
    } catch (err) {
      this.logger.warn({ err, action, uid: caller.uid }, 'pkcheck failed to run; denying');
      throw denied(action, caller, 'polkit could not be asked (is polkitd running?)');
    }
    if (result.exitCode === 0) return;
    this.logger.info({ action, uid: caller.uid, pid: caller.pid, exit: result.exitCode }, 'denied by polkit');
    const answer = POLKIT_ANSWERS[result.exitCode ?? -1];
    // When polkit itself said no, the caller learns what would let them in; a failed check says only that it failed.
    const reason = answer
      ? `${answer}. ${authorizationHint(action)}`
      : `polkit check failed (${result.stderr.trim() || `exit ${String(result.exitCode)}`})`;
    throw denied(action, caller, reason);
  }
}

/** pkcheck's exit codes for an answer polkit gave (rather than a failure to ask). */
const POLKIT_ANSWERS: Record<number, string> = {
  1: 'polkit does not allow it',
  2: 'authentication is required and no polkit agent answered',
  3: 'the authentication dialog was dismissed',
};

/** The exact pkcheck command line for a caller; golden-tested. */
export function pkcheckArgv(caller: Caller, action: PolkitAction): string[] {
  return [
    'pkcheck',
    '--action-id',
    action,
    '--process',
    `${caller.pid},${caller.startTime ?? ''},${caller.uid}`,
    '--allow-user-interaction',
  ];
}

function denied(action: PolkitAction, caller: Caller, reason: string): NovaError {
  return new NovaError('not_authorized', `Not authorized: ${action} for uid ${caller.uid}: ${reason}`, {
    action,
    uid: caller.uid,
  });
}
