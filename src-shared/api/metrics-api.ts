// Metrics history, kept by the helper on disk (helper/src/metrics/): the host, each VM and
// each capsule, 1 s for an hour, 1 min for a day, 10 min for 30 days. Listed with the
// resources' viewing actions; and where main's console proxy listens (main's own answer).
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { CapsuleNameSchema } from '../capsule.js';
import { VmNameSchema } from '../vm.js';
import { defineMethod } from './define.js';

const main = { by: 'main' } as const;

/** 1 min and 1 h come from the 1 s archive, 1 day from the 1 min one, 7 and 30 days from the 10 min one. */
export const MetricsRangeSchema = z.enum(['1m', '1h', '1d', '7d', '30d']);
export type MetricsRange = z.infer<typeof MetricsRangeSchema>;

/**
 * One point of a graph: counters already turned into rates (bytes per second). `rssBytes`
 * is memory in use: QEMU's resident set, a capsule's cgroup, the host's total less available.
 */
export const MetricsPointSchema = z.strictObject({
  /** Epoch milliseconds at the start of the point's interval. */
  t: z.number(),
  cpuPercent: z.number().nonnegative(),
  rssBytes: z.number().nonnegative(),
  diskReadBps: z.number().nonnegative(),
  diskWriteBps: z.number().nonnegative(),
  netRxBps: z.number().nonnegative(),
  netTxBps: z.number().nonnegative(),
});
export type MetricsPoint = z.infer<typeof MetricsPointSchema>;

export const MetricsKindSchema = z.enum(['host', 'vm', 'capsule']);
export type MetricsKind = z.infer<typeof MetricsKindSchema>;
/** A series: the host (named "host") or one VM or capsule. */
export interface MetricsResource {
  readonly kind: MetricsKind;
  readonly name: string;
}

export const MetricsHistorySchema = z.strictObject({
  kind: MetricsKindSchema,
  name: z.string(),
  range: MetricsRangeSchema,
  /** Seconds each point covers (1 for 1m, 10 for 1h, 60 for 1d, 600 for 7d and 30d). */
  stepSeconds: z.number().int().positive(),
  points: z.array(MetricsPointSchema).max(4400),
});
export type MetricsHistory = z.infer<typeof MetricsHistorySchema>;

const rangeParam = MetricsRangeSchema.default('1m');

export const metricsMethods = {
  'vm.metricsHistory': defineMethod({
    summary: 'A VM\'s CPU, memory, disk and network history over the last minute, hour, day, 7 or 30 days',
    params: z.strictObject({ name: VmNameSchema, range: rangeParam }),
    result: MetricsHistorySchema,
    served: { by: 'helper', action: POLKIT_ACTIONS.vmView },
  }),
  'capsule.metricsHistory': defineMethod({
    summary: 'A capsule\'s CPU, memory, IO and network history over the last minute, hour, day, 7 or 30 days',
    params: z.strictObject({ name: CapsuleNameSchema, range: rangeParam }),
    result: MetricsHistorySchema,
    served: { by: 'helper', action: POLKIT_ACTIONS.capsuleView },
  }),
  'host.metricsHistory': defineMethod({
    summary: 'The host\'s CPU, memory, disk and network history over the last minute, hour, day, 7 or 30 days',
    params: z.strictObject({ range: rangeParam }),
    result: MetricsHistorySchema,
    served: { by: 'helper', action: POLKIT_ACTIONS.hostInspect },
  }),
  'vm.consoleEndpoint': defineMethod({
    summary: 'Where console WebSockets go: null for this page\'s own origin (web mode), else the proxy\'s ws:// base',
    params: z.strictObject({}),
    result: z.strictObject({ base: z.string().nullable(), token: z.string().nullable() }),
    served: main,
  }),
} as const;

/** Console WebSockets: `${CONSOLE_WS_PREFIX}vnc/NAME` (raw RFB) and `${CONSOLE_WS_PREFIX}serial/NAME`. */
export const CONSOLE_WS_PREFIX = '/nova-console/';
export type ConsoleKind = 'vnc' | 'serial';
