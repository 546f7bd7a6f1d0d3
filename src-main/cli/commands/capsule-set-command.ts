// `nova capsule set NAME [flags] [-- COMMAND...]`: changes a stopped capsule's spec through
// capsule.update, taking effect at its next start. `none` removes a limit or the network;
// --env adds to the capsule's environment and --unset-env takes from it (the rest replace
// what was there); the --health-* flags make or change its health check.
import type { Command } from 'commander';
import type { Capsule, CapsuleUpdateSpecIn, PublishedPort, RestartPolicy, Volume } from '../../../src-shared/capsule.js';
import { HEALTH_DEFAULTS, type HealthCheck, type HealthProbe } from '../../../src-shared/health.js';
import { parseCapsuleUser, parseDnsName, parseGuestPath, parsePort, parsePortMapping, parseRestartPolicy, parseWaitDuration, type Parsed } from '../../../src-shared/vocabulary/index.js';
import { outFn, withHelper, type CliContext } from '../cli-context.js';
import { envEntry, parseMemoryLimit, volumeEntry } from './capsule-option-parsers.js';
import { positiveNumber, repeated, single, wholeNumber } from './option-parsers.js';

type OrNone<T> = T | null;

/** A flag that also takes `none`, which removes what it sets. */
function orNone<T>(parse: (text: string) => T): (text: string) => OrNone<T> {
  return (text) => (text === 'none' ? null : parse(text));
}

/** `8080/healthz` (port and path), `8080` alone for `/`. */
function parseHttpTarget(text: string): Parsed<{ port: number; path: string }> {
  const slash = text.indexOf('/');
  const port = parsePort(slash < 0 ? text : text.slice(0, slash), 'the port');
  if (!port.ok) return port;
  return { ok: true, value: { port: port.value, path: slash < 0 ? '/' : text.slice(slash) } };
}

export interface SetOptions {
  entrypoint?: OrNone<string>;
  env?: Record<string, string>;
  unsetEnv?: string[];
  volume?: Volume[];
  /** false with --no-volumes (commander's negation). */
  volumes?: boolean;
  workdir?: OrNone<string>;
  user?: OrNone<string>;
  hostname?: OrNone<string>;
  cpus?: OrNone<number>;
  memory?: OrNone<number>;
  pids?: OrNone<number>;
  ioWeight?: OrNone<number>;
  restart?: RestartPolicy;
  stopTimeout?: number;
  network?: OrNone<string>;
  address?: OrNone<string>;
  port?: PublishedPort[];
  /** false with --no-ports. */
  ports?: boolean;
  healthCmd?: string;
  healthTcp?: number;
  healthHttp?: { port: number; path: string };
  healthStatus?: number;
  healthInterval?: number;
  healthTimeout?: number;
  healthRetries?: number;
  healthStartPeriod?: number;
  /** false with --no-health. */
  health?: boolean;
  json?: boolean;
}

function healthProbe(o: SetOptions): HealthProbe | null {
  // A shell line, as Docker's --health-cmd: the image is expected to have /bin/sh.
  if (o.healthCmd !== undefined) return { kind: 'exec', command: ['/bin/sh', '-c', o.healthCmd] };
  if (o.healthTcp !== undefined) return { kind: 'tcp', port: o.healthTcp };
  if (o.healthHttp !== undefined) return { kind: 'http', ...o.healthHttp, status: o.healthStatus ?? 200 };
  return null;
}

/** The health check the flags ask for: undefined leaves it, null removes it. */
export function healthFromOptions(o: SetOptions, current: HealthCheck | undefined): HealthCheck | null | undefined {
  if (o.health === false) return null;
  const probes = [o.healthCmd, o.healthTcp, o.healthHttp].filter((p) => p !== undefined).length;
  if (probes > 1) throw new Error('give one of --health-cmd, --health-tcp and --health-http');
  const probe = healthProbe(o) ?? current?.probe;
  const timing = [o.healthInterval, o.healthTimeout, o.healthRetries, o.healthStartPeriod].some((v) => v !== undefined);
  if (!probe) {
    if (timing) throw new Error('the capsule has no health check to time: add one with --health-cmd, --health-tcp or --health-http');
    return undefined;
  }
  if (probes === 0 && !timing) return undefined;
  const base = current ?? { probe, ...HEALTH_DEFAULTS };
  return {
    probe,
    intervalMs: o.healthInterval ?? base.intervalMs,
    timeoutMs: o.healthTimeout ?? base.timeoutMs,
    retries: o.healthRetries ?? base.retries,
    startPeriodMs: o.healthStartPeriod ?? base.startPeriodMs,
  };
}

/** The capsule.update params the flags ask for, given the capsule as it is. */
export function updateFromOptions(current: Capsule, command: string[], o: SetOptions): CapsuleUpdateSpecIn {
  const spec = current.spec;
  let env: Record<string, string> | undefined;
  if (o.env || o.unsetEnv) {
    env = { ...spec.env, ...o.env };
    for (const key of o.unsetEnv ?? []) delete env[key];
  }
  const health = healthFromOptions(o, spec.health);
  return {
    name: current.name,
    ...(command.length > 0 ? { command } : {}),
    ...(o.entrypoint !== undefined ? { entrypoint: o.entrypoint === null ? null : [o.entrypoint] } : {}),
    ...(env ? { env } : {}),
    ...(o.volumes === false ? { volumes: [] } : o.volume ? { volumes: o.volume } : {}),
    ...(o.workdir !== undefined ? { workdir: o.workdir } : {}),
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(o.hostname !== undefined ? { hostname: o.hostname } : {}),
    ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
    ...(o.memory !== undefined ? { memoryBytes: o.memory } : {}),
    ...(o.pids !== undefined ? { pids: o.pids } : {}),
    ...(o.ioWeight !== undefined ? { ioWeight: o.ioWeight } : {}),
    ...(o.restart ? { restart: o.restart } : {}),
    ...(o.stopTimeout !== undefined ? { stopTimeoutSec: o.stopTimeout } : {}),
    ...(o.network !== undefined ? { network: o.network } : {}),
    ...(o.address !== undefined ? { address: o.address } : {}),
    ...(o.ports === false ? { ports: [] } : o.port ? { ports: o.port } : {}),
    ...(health !== undefined ? { health } : {}),
  };
}

const duration = single(parseWaitDuration);

export function registerCapsuleSetCommand(capsule: Command, ctx: CliContext): void {
  const out = outFn(ctx);
  capsule
    .command('set')
    .description('Change a stopped capsule (nova capsule set NAME [flags] [-- COMMAND...]); the next start runs with it. "none" removes a limit or the network')
    .argument('<name>', 'the capsule')
    .argument('[command...]', "what to run instead of the image's command")
    .option('--entrypoint <program|none>', "replace the image's entrypoint", orNone(String))
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable; the others stay)', envEntry)
    .option('--unset-env <KEY>', 'remove an environment variable (repeatable)', (k: string, prev: string[] = []) => [...prev, k])
    .option('-v, --volume <host:guest[:ro]>', 'bind a host folder (repeatable; replaces the volumes)', volumeEntry)
    .option('--no-volumes', 'bind no host folder')
    .option('-w, --workdir <dir|none>', 'the working directory inside', orNone(single((t) => parseGuestPath(t, 'the working directory'))))
    .option('-u, --user <uid[:gid]|none>', 'the user inside, numeric', orNone(single(parseCapsuleUser)))
    .option('--hostname <name|none>', 'the hostname inside', orNone(single((t) => parseDnsName(t, 'hostname'))))
    .option('--cpus <n|none>', 'CPU time, in CPUs (0.5 is half of one)', orNone(positiveNumber('--cpus')))
    .option('--memory <size|none>', 'memory limit, e.g. 256Mi, 2Gi or 2g; a bare number is MiB', orNone(single(parseMemoryLimit)))
    .option('--pids <n|none>', 'process limit', orNone(wholeNumber('--pids', 1, 4_194_304)))
    .option('--io-weight <n|none>', 'relative block IO weight', orNone(wholeNumber('--io-weight', 10, 1000)))
    .option('--restart <policy>', 'no, always, on-failure or on-failure:N', single(parseRestartPolicy))
    .option('--stop-timeout <seconds>', 'between SIGTERM and SIGKILL on stop', wholeNumber('--stop-timeout', 0, 3600))
    .option('--network <name|none>', 'join this Nova network, or none')
    .option('--address <ip[/prefix]|none>', 'the static address on its network')
    .option('-p, --port <host:guest[/udp]>', 'publish a port (repeatable; replaces the published ports)', repeated(parsePortMapping))
    .option('--no-ports', 'publish no port')
    .option('--health-cmd <shell line>', 'health check: this command in the capsule (run by /bin/sh -c) exits 0')
    .option('--health-tcp <port>', "health check: the capsule's address accepts a connection on this port", single((t) => parsePort(t, 'the port')))
    .option('--health-http <port/path>', 'health check: GET of this path answers --health-status (e.g. 8080/healthz)', single(parseHttpTarget))
    .option('--health-status <code>', 'the HTTP status --health-http expects (default 200)', wholeNumber('--health-status', 100, 599))
    .option('--health-interval <duration>', 'between checks (default 10s)', duration)
    .option('--health-timeout <duration>', 'a check taking longer fails (default 5s)', duration)
    .option('--health-retries <n>', 'failures in a row before unhealthy (default 3)', wholeNumber('--health-retries', 1, 100))
    .option('--health-start-period <duration>', 'failures this soon after a start do not count (default 0s)', duration)
    .option('--no-health', 'remove the health check')
    .option('--json', 'machine-readable output')
    .action(async (name: string, command: string[], o: SetOptions) => {
      const c = await withHelper(ctx, async (h) => h.call('capsule.update', updateFromOptions(await h.call('capsule.get', { name }), command, o)));
      out(o.json === true || ctx.globals().json ? JSON.stringify(c, null, 2) : `${c.name} changed; its next start runs with it`);
    });
}
