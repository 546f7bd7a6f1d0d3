// Host inspection handlers: the host check (cached, refreshed on request) and liveness.
import { NOVA_VERSION } from '../../../src-shared/defaults.js';
import type { NovaEvent } from '../../../src-shared/api/events.js';
import type { HostCheckService } from '../host-check/host-check-service.js';
import type { HelperHandlers } from './handler-table.js';

export interface HostMethodDeps {
  hostCheck: HostCheckService;
  stateDir: string;
  startedAt: Date;
  emit: (event: NovaEvent) => void;
}

export function hostHandlers(
  deps: HostMethodDeps,
): Pick<HelperHandlers, 'host.check' | 'helper.ping' | 'helper.info'> {
  return {
    'host.check': async ({ refresh }, { caller }) => {
      const report = await deps.hostCheck.report({ refresh, callerPid: caller.pid });
      if (!report.cached) deps.emit({ name: 'host.checked', payload: { generatedAt: report.generatedAt } });
      return report;
    },
    'helper.ping': async ({ payload }) => ({ payload }),
    'helper.info': async () => ({
      version: NOVA_VERSION,
      pid: process.pid,
      stateDir: deps.stateDir,
      startedAt: deps.startedAt.toISOString(),
    }),
  };
}
