// Health checks and start-up dependencies of guests, as a NovaFile declares them and as
// `nova up` and `nova ps` will use them: what to probe, how often, and what a guest waits
// for before it starts. Pure data and zod, shared by every process.
import { z } from 'zod';
import { formatDuration } from './vocabulary/duration.js';
import { PortNumberSchema } from './vocabulary/port.js';

/** What a dependent waits for: started (default), healthy (its check passes) or completed (exited 0). */
export const DependencyConditionSchema = z.enum(['started', 'healthy', 'completed']);
export type DependencyCondition = z.infer<typeof DependencyConditionSchema>;

export interface Dependency {
  /** A VM or capsule of the same project. */
  name: string;
  condition: DependencyCondition;
}

export const HttpStatusSchema = z.number().int().min(100, 'an HTTP status is from 100 to 599').max(599, 'an HTTP status is from 100 to 599');

export const HealthProbeSchema = z.discriminatedUnion('kind', [
  /** A command run inside a capsule; healthy when it exits 0. */
  z.strictObject({ kind: z.literal('exec'), command: z.array(z.string()).min(1) }),
  /** A TCP connection to this port of the guest's address. */
  z.strictObject({ kind: z.literal('tcp'), port: PortNumberSchema }),
  /** An HTTP GET of `path` on this port of the guest's address, answered with `status`. */
  z.strictObject({ kind: z.literal('http'), port: PortNumberSchema, path: z.string().startsWith('/'), status: HttpStatusSchema }),
  /** VMs: a line of the serial console matching this regular expression. */
  z.strictObject({ kind: z.literal('serial'), pattern: z.string().min(1) }),
]);
export type HealthProbe = z.infer<typeof HealthProbeSchema>;

export const HEALTH_DEFAULTS = { intervalMs: 10_000, timeoutMs: 5_000, retries: 3, startPeriodMs: 0 } as const;

export const HealthCheckSchema = z.strictObject({
  probe: HealthProbeSchema,
  intervalMs: z.number().int().positive(),
  timeoutMs: z.number().int().positive(),
  /** Failures in a row before the guest counts as unhealthy. */
  retries: z.number().int().min(1).max(100),
  /** Failures during this time after a start do not count. */
  startPeriodMs: z.number().int().nonnegative(),
});
export type HealthCheck = z.infer<typeof HealthCheckSchema>;

/**
 * A running guest's health as the helper's probes see it. `starting`: no verdict yet (inside
 * the start period, or fewer than `retries` checks so far); `healthy`: the last check passed;
 * `unhealthy`: `retries` checks in a row failed.
 */
export const HealthStatusSchema = z.enum(['starting', 'healthy', 'unhealthy']);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

export const GuestHealthSchema = z.strictObject({
  status: HealthStatusSchema,
  /** When the status last changed (ISO time). */
  since: z.string(),
  /** Failed checks in a row. */
  failingStreak: z.number().int().nonnegative(),
  /** The last check's result in a line a person reads ("exit 1: connection refused", "timed out after 5 s"). */
  lastResult: z.string().max(512).nullable(),
  lastCheckedAt: z.string().nullable(),
});
export type GuestHealth = z.infer<typeof GuestHealthSchema>;

/**
 * The payload of `vm.healthChanged` and `capsule.healthChanged`, one shape for both kinds:
 * sent when a guest's verdict changes (status, or the start of a failing streak), and with
 * null when its checks stop (the guest stopped, or its check was removed).
 */
export const HealthChangedSchema = z.strictObject({ name: z.string(), health: GuestHealthSchema.nullable() });
export type HealthChanged = z.infer<typeof HealthChangedSchema>;

/**
 * Why this check cannot run on this guest, or null when it can: exec runs only in capsules,
 * serial only on VMs, tcp and http need the guest on a Nova network (its address is what they
 * reach; a capsule without one has loopback only), and a serial pattern must compile.
 * create and update refuse what this names, so a check never fails for want of a channel.
 */
export function healthCheckProblem(kind: 'vm' | 'capsule', check: HealthCheck, onNovaNetwork: boolean): string | null {
  const probe = check.probe;
  if (probe.kind === 'exec' && kind === 'vm') return 'an exec health check runs a command inside a capsule; a VM has no such channel: use serial, tcp or http';
  if (probe.kind === 'serial' && kind === 'capsule') return "a serial health check reads a VM's serial console; a capsule uses exec, tcp or http";
  if ((probe.kind === 'tcp' || probe.kind === 'http') && !onNovaNetwork) {
    return `a ${probe.kind} health check connects to the ${kind === 'vm' ? 'VM' : 'capsule'}'s address on its Nova network, and it joins none: give it a Nova network or use ${kind === 'vm' ? 'serial' : 'exec'}`;
  }
  if (probe.kind === 'serial') {
    try {
      new RegExp(probe.pattern);
    } catch (err) {
      return `the serial health check's pattern is not a regular expression: ${(err as Error).message}`;
    }
  }
  return null;
}

/** What a list shows in its HEALTH column: the status, or `-` for a guest without checks running. */
export function healthColumn(health: GuestHealth | null | undefined): string {
  return health ? health.status : '-';
}

/** A check in one line a person reads: "http :8080/healthz = 200 every 10s, timeout 5s, 3 retries". */
export function describeHealthCheck(check: HealthCheck): string {
  const p = check.probe;
  const probe =
    p.kind === 'exec' ? `exec ${p.command.join(' ')}` : p.kind === 'tcp' ? `tcp :${p.port}` : p.kind === 'http' ? `http :${p.port}${p.path} = ${p.status}` : `serial /${p.pattern}/`;
  const start = check.startPeriodMs > 0 ? `, start period ${formatDuration(check.startPeriodMs)}` : '';
  return `${probe} every ${formatDuration(check.intervalMs)}, timeout ${formatDuration(check.timeoutMs)}, ${check.retries} ${check.retries === 1 ? 'retry' : 'retries'}${start}`;
}
