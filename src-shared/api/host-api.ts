// Host inspection: the host check and the helper's own liveness.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { HostReportSchema } from '../host.js';
import { defineMethod } from './define.js';

const inspect = { by: 'helper', action: POLKIT_ACTIONS.hostInspect } as const;

export const hostMethods = {
  'host.check': defineMethod({
    summary: 'Report what this host can run (cached; refresh re-runs every probe)',
    params: z.strictObject({ refresh: z.boolean().default(false) }),
    result: HostReportSchema,
    served: inspect,
    timeoutMs: 60_000,
  }),
  'helper.ping': defineMethod({
    summary: 'Echo a payload: a liveness check through validation and authorization',
    params: z.strictObject({ payload: z.string().max(4096).default('') }),
    result: z.strictObject({ payload: z.string() }),
    served: inspect,
  }),
  'helper.info': defineMethod({
    summary: 'The helper daemon: version, pid, state directory, uptime',
    params: z.strictObject({}),
    result: z.strictObject({
      version: z.string(),
      pid: z.number().int(),
      stateDir: z.string(),
      startedAt: z.string(),
    }),
    served: inspect,
  }),
} as const;
