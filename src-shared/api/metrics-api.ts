// Methods main serves from its own memory for the VM pages: the metrics history it
// keeps from the helper's 1 Hz `vm.metricsSampled` events, and where the console
// proxy listens. Neither needs the helper, so neither needs a polkit action.
import { z } from 'zod';
import { VmNameSchema } from '../vm.js';
import { defineMethod } from './define.js';

const main = { by: 'main' } as const;

/** 1 min and 1 h come from the 1 s samples, 1 day from the 1 min averages. */
export const MetricsRangeSchema = z.enum(['1m', '1h', '1d']);
export type MetricsRange = z.infer<typeof MetricsRangeSchema>;

/** One point of a VM's graphs: counters already turned into rates (bytes per second). */
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

export const MetricsHistorySchema = z.strictObject({
  name: VmNameSchema,
  range: MetricsRangeSchema,
  /** Seconds each point covers (1 for 1m, 10 for 1h, 60 for 1d). */
  stepSeconds: z.number().int().positive(),
  points: z.array(MetricsPointSchema).max(3600),
});
export type MetricsHistory = z.infer<typeof MetricsHistorySchema>;

export const metricsMethods = {
  'vm.metricsHistory': defineMethod({
    summary: 'A VM\'s CPU, memory, disk and network history over the last minute, hour or day',
    params: z.strictObject({ name: VmNameSchema, range: MetricsRangeSchema.default('1m') }),
    result: MetricsHistorySchema,
    served: main,
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
