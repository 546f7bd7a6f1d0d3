// [vm.NAME.health], [capsule.NAME.health] and `depends_on` in a NovaFile: the contract's
// HealthCheck and Dependency (src-shared/health.ts) under the NovaFile's names. Which
// names a depends_on may list, and cycles, span tables: novafile-dependencies.ts.
import { z } from 'zod';
import { DependencyConditionSchema, HEALTH_DEFAULTS, HttpStatusSchema, type Dependency, type HealthCheck, type HealthProbe } from '../../../src-shared/health.js';
import { describeValue, parseWaitDuration, PortNumberSchema } from '../../../src-shared/vocabulary/index.js';
import { AT_KEY, choiceOf, expected, layered, list, parsedString, table, text } from './novafile-schema-kit.js';

const duration = (example: string) => parsedString(`a duration such as "${example}"`, parseWaitDuration);
const port = layered(PortNumberSchema, 'a port from 1 to 65535');

const httpProbe = table(
  {
    port,
    /** Default "/". */
    path: text('a URL path such as "/healthz"')
      .refine((p) => p.startsWith('/'), { error: 'the path starts with "/", e.g. "/healthz"' })
      .optional(),
    /** Default 200. */
    status: layered(HttpStatusSchema, 'an HTTP status from 100 to 599, such as 200').optional(),
  },
  'a table such as http = { port = 8080, path = "/healthz", status = 200 }',
);

const serialPattern = text('a regular expression such as "login:"').superRefine((pattern, ctx) => {
  try {
    new RegExp(pattern);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(err as Error).message}` });
  }
});

const timing = {
  interval: duration('10s').optional(),
  timeout: duration('5s').optional(),
  retries: layered(z.number().int().min(1).max(100), 'a whole number of tries from 1 to 100').optional(),
  start_period: duration('30s').optional(),
};

const PROBES = { capsule: ['exec', 'tcp', 'http'], vm: ['tcp', 'http', 'serial'] } as const;

export const capsuleHealthShape = {
  /** A command run in the capsule: ["pg_isready", "-U", "postgres"]. */
  exec: list(text('a string'), 'strings, e.g. ["pg_isready"]')
    .refine((words) => words.length > 0, { error: 'the command is empty; name the program to run' })
    .optional(),
  tcp: port.optional(),
  http: httpProbe.optional(),
  ...timing,
};

export const vmHealthShape = {
  tcp: port.optional(),
  http: httpProbe.optional(),
  /** A regular expression matched against each line of the serial console. */
  serial: serialPattern.optional(),
  ...timing,
};

type HealthTable = {
  exec?: string[];
  tcp?: number;
  http?: { port: number; path?: string; status?: number };
  serial?: string;
  interval?: number;
  timeout?: number;
  retries?: number;
  start_period?: number;
};

function probesOf(t: HealthTable): HealthProbe[] {
  const probes: HealthProbe[] = [];
  if (t.exec) probes.push({ kind: 'exec', command: t.exec });
  if (t.tcp !== undefined) probes.push({ kind: 'tcp', port: t.tcp });
  if (t.http) probes.push({ kind: 'http', port: t.http.port, path: t.http.path ?? '/', status: t.http.status ?? 200 });
  if (t.serial !== undefined) probes.push({ kind: 'serial', pattern: t.serial });
  return probes;
}

/** Exactly one probe, and waits longer than zero; said only when every key on its own is right. */
function checkHealth(kind: 'vm' | 'capsule') {
  return (t: HealthTable, ctx: z.core.$RefinementCtx): void => {
    const probes = probesOf(t);
    if (probes.length === 0) {
      const example = kind === 'vm' ? 'serial = "login:"' : 'exec = ["pg_isready"]';
      ctx.addIssue({ code: 'custom', message: `a health check needs a probe; add one of ${PROBES[kind].join(', ')} (e.g. ${example})` });
    } else if (probes.length > 1) {
      ctx.addIssue({ code: 'custom', message: `a health check has one probe; keep one of ${probes.map((p) => p.kind).join(', ')}` });
    }
    for (const key of ['interval', 'timeout'] as const) {
      if (t[key] === 0) ctx.addIssue({ code: 'custom', path: [key], message: `${key} must be longer than 0s` });
    }
  };
}

function healthCheck(t: HealthTable): HealthCheck | typeof z.NEVER {
  const [probe, ...more] = probesOf(t);
  // checkHealth has said why.
  if (!probe || more.length > 0) return z.NEVER;
  return {
    probe,
    intervalMs: t.interval ?? HEALTH_DEFAULTS.intervalMs,
    timeoutMs: t.timeout ?? HEALTH_DEFAULTS.timeoutMs,
    retries: t.retries ?? HEALTH_DEFAULTS.retries,
    startPeriodMs: t.start_period ?? HEALTH_DEFAULTS.startPeriodMs,
  };
}

const onlyWhenKeysAreRight = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

export const CapsuleHealthSchema = table(capsuleHealthShape, 'a table of health check settings, e.g. [capsule.NAME.health] with exec = ["pg_isready"]')
  .superRefine(checkHealth('capsule'), onlyWhenKeysAreRight)
  .transform(healthCheck);
export const VmHealthSchema = table(vmHealthShape, 'a table of health check settings, e.g. [vm.NAME.health] with serial = "login:"')
  .superRefine(checkHealth('vm'), onlyWhenKeysAreRight)
  .transform(healthCheck);

const condition = layered(DependencyConditionSchema, choiceOf(DependencyConditionSchema.options, 'a condition'));
const dependencyTable = table({ condition: condition.optional() }, 'a table such as { condition = "healthy" }');

/**
 * `depends_on = ["db"]` (each started first) or `depends_on.db = { condition = "healthy" }`.
 * Whether each name is a guest of the file, and cycles, are checked across tables.
 */
export const dependsOn = z.unknown().transform((value, ctx): Dependency[] => {
  const out: Dependency[] = [];
  let failed = false;
  const problem = (path: PropertyKey[], message: string, atKey = false) => {
    failed = true;
    ctx.addIssue({ code: 'custom', path, message, ...(atKey ? { params: AT_KEY } : {}) });
  };
  if (Array.isArray(value)) {
    (value as unknown[]).forEach((item, index) => {
      if (typeof item !== 'string') problem([index], `expected the name of a VM or capsule, got ${describeValue(item)}`);
      else if (out.some((d) => d.name === item)) problem([index], `"${item}" is listed twice`);
      else out.push({ name: item, condition: 'started' });
    });
  } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [name, body] of Object.entries(value)) {
      const parsed = dependencyTable.safeParse(body);
      if (parsed.success) {
        out.push({ name, condition: parsed.data.condition ?? 'started' });
        continue;
      }
      for (const issue of parsed.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) problem([name, key], `unknown key "${key}"; a dependency takes only condition`, true);
        } else problem([name, ...issue.path], issue.message);
      }
    }
  } else {
    problem([], expected('a list of names, e.g. ["db"], or depends_on.db = { condition = "healthy" }')({ input: value }));
  }
  return failed ? z.NEVER : out;
});
