// The ProjectHelper that nova up and nova down apply through: quick calls straight to
// the helper, long ones through callOperation, so each shows its progress on stderr
// under the resource's name and one Ctrl+C (the InterruptHub) cancels all in flight.
import type { HelperClient } from '../core/helper-client.js';
import type { ProjectHelper } from '../core/project/project-helper.js';
import type { CliContext } from './cli-context.js';
import type { InterruptHub } from './interrupt-hub.js';
import { callOperation, progressStyleFor } from './operation-call.js';

export const EXIT_INTERRUPTED = 130;

export function cliProjectHelper(ctx: CliContext, h: HelperClient, hub: InterruptHub, quiet: boolean): ProjectHelper {
  // Several guests may be in flight at once: a line per phase, never a redrawn bar.
  const style = quiet ? 'none' : progressStyleFor(false, false);
  return {
    call: (method, params) => h.call(method, params),
    operation: (method, params, subject) =>
      callOperation(h, method, params, {
        style,
        write: (text) => ctx.io.stderr(`  ${subject}: ${text}`),
        onInterrupt: hub.register,
        exitNow: () => process.exit(EXIT_INTERRUPTED),
      }),
  };
}
