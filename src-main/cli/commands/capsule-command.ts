// `nova capsule ls|create|start|stop|restart|pause|resume|rm|exec|inspect`, `nova shell
// container NAME` (an interactive terminal over the socket capsule.terminalOpen returns),
// and the capsule side of `nova logs container NAME`. `nova image` is image-command.ts.
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import { brokenHint, brokenRows } from '../broken-format.js';
import { createConnection } from 'node:net';
import { type Command, InvalidArgumentError } from 'commander';
import { NovaError } from '../../../src-shared/errors.js';
import {
  describeUserNamespace,
  formatRestartPolicy,
  type Capsule,
  type CapsuleSpecIn,
  type PublishedPort,
  type RestartPolicy,
  type Volume,
} from '../../../src-shared/capsule.js';
import {
  parseCapsuleUser,
  parseDnsName,
  parseGuestPath,
  parseImageReference,
  parsePortMapping,
  parseRestartPolicy,
} from '../../../src-shared/vocabulary/index.js';
import { healthColumn } from '../../../src-shared/health.js';
import { encodeTerminalData, encodeTerminalResize, TerminalFrameDecoder } from '../../../src-shared/terminal-protocol.js';
import type { HelperClient } from '../../core/helper-client.js';
import { outFn, withHelper, type CliContext } from '../cli-context.js';
import { callOperation, progressStyleFor } from '../operation-call.js';
import { envEntry, parseMemoryLimit, volumeEntry } from './capsule-option-parsers.js';
import { registerCapsuleSetCommand } from './capsule-set-command.js';

export { parseMemoryLimit } from './capsule-option-parsers.js';
import { nameArg, positiveNumber, repeated, single, wholeNumber } from './option-parsers.js';
import { parseGpuNode } from '../../../src-shared/vocabulary/gpu-node.js';

const CAPSULE_KINDS = ['container', 'capsule'] as const;

export function isCapsuleKind(kind: string): boolean {
  return (CAPSULE_KINDS as readonly string[]).includes(kind);
}

// ---- argument parsers (usage errors exit 2 through commander) ----

const imageReference = single((text) => {
  const parsed = parseImageReference(text);
  return parsed.ok ? { ok: true as const, value: text } : parsed;
});

/** `2026-01-02T03:04:05Z`, or a duration back from now: `90s`, `10m`, `2h`, `1d`. */
export function parseSince(text: string, now = Date.now()): string {
  const rel = /^(\d+)(s|m|h|d)$/.exec(text);
  if (rel) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(rel[1]) * unit).toISOString();
  }
  const t = Date.parse(text);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(text)) throw new InvalidArgumentError(`"${text}" is neither a time (2026-01-02T03:04:05Z) nor a duration (10m, 2h)`);
  return new Date(t).toISOString();
}

// ---- formatting ----

export function formatCapsuleTable(list: Capsule[], broken: readonly BrokenRecord[] = []): string {
  const header = 'NAME                 STATE       HEALTH     IMAGE                          LAST EXIT             PID';
  const rows = list.map((c) => {
    const exit = c.lastExit ? `${c.lastExit.reason}${c.lastExit.exitCode === null ? '' : ` (${c.lastExit.exitCode})`}` : '-';
    return [c.name.padEnd(20), c.state.padEnd(11), healthColumn(c.health).padEnd(10), c.imageName.padEnd(30), exit.padEnd(21), c.pid ?? '-'].join(' ');
  });
  return [header, ...rows, ...brokenRows(broken, 20, 11)].join('\n') + brokenHint(broken, 'nova capsule rm');
}

/** `nova capsule inspect` without --json: one `key: value` line per fact. */
export function formatCapsuleDetails(c: Capsule): string {
  const exit = c.lastExit ? `${c.lastExit.reason}${c.lastExit.exitCode === null ? '' : ` (${c.lastExit.exitCode})`} at ${c.lastExit.at}` : '-';
  return [
    `name: ${c.name}`,
    `image: ${c.imageName}`,
    `project: ${c.spec.project ?? '- (unmanaged)'}`,
    `state: ${c.state}${c.pid ? ` (pid ${c.pid})` : ''}`,
    `runtime: ${c.runtime}, root on ${c.rootfsMode === 'overlay' ? 'an overlay' : 'a copy'}`,
    `user namespace: ${c.userNamespace ? describeUserNamespace(c.userNamespace) : 'unknown (the helper does not report it)'}`,
    `network: ${c.network ? `${c.network.name} ${c.network.address} (${c.network.hostname})` : '-'}`,
    `command: ${[...(c.spec.entrypoint ?? []), ...(c.spec.command ?? [])].join(' ') || '(the image\'s)'}`,
    `restart: ${formatRestartPolicy(c.spec.restart)}, ${c.restartCount} restarts`,
    `last exit: ${exit}${c.lastExit?.message ? `: ${c.lastExit.message}` : ''}`,
    `gpus: ${c.gpuDevices ? c.gpuDevices.map((d) => `${d.path} (${d.major}:${d.minor})`).join(', ') : c.spec.gpus ? `${c.spec.gpus === 'all' ? 'all' : c.spec.gpus.join(', ')} (given at start)` : '-'}`,
    `health: ${c.health ? `${c.health.status} since ${c.health.since}${c.health.lastResult ? `, last check: ${c.health.lastResult}` : ''}` : c.spec.health ? '- (checked while running)' : '- (no check)'}`,
  ].join('\n');
}

export function registerCapsuleCommand(program: Command, ctx: CliContext): void {
  const helper = <T>(work: (h: HelperClient) => Promise<T>) => withHelper(ctx, work);
  const out = outFn(ctx);
  const json = (o: { json?: boolean }) => o.json === true || ctx.globals().json;

  const capsule = program.command('capsule').alias('container').description('Capsules: persistent OCI containers');
  registerCapsuleSetCommand(capsule, ctx);
  capsule
    .command('ls')
    .description('List capsules')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const listed = await helper((h) => h.call('capsule.list', {}));
      out(json(o) ? JSON.stringify(listed, null, 2) : formatCapsuleTable(listed.capsules, listed.broken));
    });
  capsule
    .command('inspect <name>')
    .description('Show a capsule: spec, image, state, user namespace and last exit')
    .option('--json', 'the whole record, machine-readable')
    .action(async (name: string, o: { json?: boolean }) => {
      const c = await helper((h) => h.call('capsule.get', { name }));
      out(json(o) ? JSON.stringify(c, null, 2) : formatCapsuleDetails(c));
    });
  capsule
    .command('create')
    .description('Create a capsule from an image: nova capsule create NAME --image REF [-- COMMAND...]')
    .argument('<name>', 'the capsule name: lowercase letters, digits, "-" and "_"', nameArg('capsule'))
    .argument('[command...]', "what to run instead of the image's command")
    .requiredOption('--image <ref>', 'a registry reference (ubuntu:22.04) or the name of an imported image', imageReference)
    .option('--entrypoint <program>', "replace the image's entrypoint")
    .option('-e, --env <KEY=VALUE>', 'an environment variable (repeatable)', envEntry)
    .option('-v, --volume <host:guest[:ro]>', 'bind a host folder (repeatable)', volumeEntry)
    .option('-w, --workdir <dir>', 'the working directory inside', single((t) => parseGuestPath(t, 'the working directory')))
    .option('-u, --user <uid[:gid]>', 'the user inside, numeric', single(parseCapsuleUser))
    .option('--hostname <name>', 'the hostname inside', single((t) => parseDnsName(t, 'hostname')))
    .option('--cpus <n>', 'CPU time, in CPUs (0.5 is half of one)', positiveNumber('--cpus'))
    .option('--memory <size>', 'memory limit, e.g. 256Mi, 2Gi or 2g; a bare number is MiB (512 = 512 MiB)', single(parseMemoryLimit))
    .option('--pids <n>', 'process limit', wholeNumber('--pids', 1, 4_194_304))
    .option('--io-weight <n>', 'relative block IO weight', wholeNumber('--io-weight', 10, 1000))
    .option('--restart <policy>', 'no, always, on-failure or on-failure:N', single(parseRestartPolicy))
    .option('--stop-timeout <seconds>', 'between SIGTERM and SIGKILL on stop', wholeNumber('--stop-timeout', 0, 3600))
    .option('--runtime <name>', 'crun or runc (the helper probes by default)')
    .option('--network <name>', 'join this Nova network (a veth with a static address, NAME.NETWORK.nova in its DNS)')
    .option('--address <ip[/prefix]>', 'the static address on --network (default: the helper picks a free one)')
    .option('-p, --port <host:guest[/udp]>', 'publish a port of the capsule on the host (repeatable; needs a NAT --network)', repeated(parsePortMapping))
    .option('--gpu <node>', 'give it a GPU: a device node such as renderD128, a CDI device such as nvidia.com/gpu=0 (repeatable), or all', gpuEntry)
    .option('--start', 'start it once created', false)
    .option('--json', 'machine-readable output')
    .action(async (name: string, command: string[], o: CreateOptions) => {
      const spec = capsuleSpecFromOptions(name, command, o);
      const c = await helper(async (h) => {
        const created = await callOperation(h, 'capsule.create', spec, { write: ctx.io.stderr, style: progressStyleFor(json(o)) });
        return o.start ? h.call('capsule.start', { name }) : created;
      });
      out(json(o) ? JSON.stringify(c, null, 2) : `created ${c.name}${o.start ? `: ${c.state}` : ''}`);
    });
  for (const verb of ['start', 'restart', 'pause', 'resume'] as const) {
    capsule
      .command(`${verb} <name>`)
      .description(`${verb[0]!.toUpperCase()}${verb.slice(1)} a capsule`)
      .action(async (name: string) => {
        const c = await helper((h) => h.call(`capsule.${verb}`, { name }));
        out(`${c.name}: ${c.state}`);
      });
  }
  capsule
    .command('stop <name>')
    .description('SIGTERM, then SIGKILL after the timeout')
    .option('-t, --timeout <seconds>', "seconds before SIGKILL (default: the capsule's stop timeout)", wholeNumber('--timeout', 0, 600))
    .option('-f, --force', 'SIGKILL at once, cutting short a stop that waits for the process', false)
    .action(async (name: string, o: { timeout?: number; force: boolean }) => {
      const c = await helper((h) => h.call('capsule.stop', { name, force: o.force, ...(o.timeout !== undefined ? { timeoutSec: o.timeout } : {}) }));
      out(`${c.name}: ${c.state}${c.lastExit ? ` (${c.lastExit.reason})` : ''}`);
    });
  capsule
    .command('rm <name>')
    .alias('delete')
    .description('Delete a capsule with its writable layer, logs and snapshots')
    .option('-f, --force', 'stop it first if it runs', false)
    .action(async (name: string, o: { force: boolean }) => {
      await helper((h) => h.call('capsule.delete', { name, force: o.force }));
      out(`deleted ${name}`);
    });
  capsule
    .command('exec <name> <command...>')
    .description('Run one command in a running capsule: nova capsule exec NAME -- CMD [ARGS...]')
    .option('-e, --env <KEY=VALUE>', 'an environment variable (repeatable)', envEntry)
    .option('-w, --workdir <dir>', 'the working directory')
    .option('--timeout <seconds>', 'give up after this long', wholeNumber('--timeout', 1, 3600), 60)
    .option('--json', 'machine-readable output')
    .action(async (name: string, command: string[], o: { env?: Record<string, string>; workdir?: string; timeout: number; json?: boolean }) => {
      const r = await helper((h) =>
        h.call('capsule.exec', { name, command, timeoutSec: o.timeout, ...(o.env ? { env: o.env } : {}), ...(o.workdir ? { cwd: o.workdir } : {}) }),
      );
      if (json(o)) out(JSON.stringify(r, null, 2));
      else {
        if (r.stdout) ctx.io.stdout(r.stdout);
        if (r.stderr) ctx.io.stderr(r.stderr);
        if (r.truncated) ctx.io.stderr('nova: the output was cut (it exceeded what one call returns)\n');
      }
      if (r.exitCode !== 0) {
        ctx.io.stderr(`nova: the command exited with ${r.exitCode}\n`);
        process.exitCode = 1;
      }
    });

  program
    .command('shell')
    .description('An interactive shell in a running capsule: nova shell container NAME [-- COMMAND...]')
    .argument('<kind>', '"container" (or "capsule")')
    .argument('<name>')
    .argument('[command...]', 'what to run instead of /bin/sh')
    .action(async (kind: string, name: string, command: string[]) => {
      if (!isCapsuleKind(kind)) throw new NovaError('invalid_argument', `expected "container" or "capsule", got "${kind}" (for a VM, use nova vm console)`);
      const cols = process.stdout.columns || 80;
      const rows = process.stdout.rows || 24;
      const term = await helper((h) => h.call('capsule.terminalOpen', { name, cols, rows, ...(command.length > 0 ? { command } : {}) }));
      const code = await attachTerminal(term.socketPath);
      if (code !== 0) process.exitCode = 1;
    });
}

interface CreateOptions {
  image: string;
  entrypoint?: string;
  env?: Record<string, string>;
  volume?: Volume[];
  workdir?: string;
  user?: string;
  hostname?: string;
  cpus?: number;
  memory?: number;
  pids?: number;
  ioWeight?: number;
  restart?: RestartPolicy;
  stopTimeout?: number;
  runtime?: string;
  network?: string;
  address?: string;
  port?: PublishedPort[];
  gpu?: string[] | 'all';
  start: boolean;
  json?: boolean;
}

/** `--gpu renderD128 --gpu card0`, or `--gpu all` (which wins over any named node). */
function gpuEntry(text: string, previous?: string[] | 'all'): string[] | 'all' {
  if (text === 'all' || previous === 'all') return 'all';
  return [...(previous ?? []), single(parseGpuNode)(text)];
}

export function capsuleSpecFromOptions(name: string, command: string[], o: CreateOptions): CapsuleSpecIn {
  return {
    name,
    image: o.image,
    ...(command.length > 0 ? { command } : {}),
    ...(o.entrypoint ? { entrypoint: [o.entrypoint] } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.volume ? { volumes: o.volume } : {}),
    ...(o.network ? { network: o.network } : {}),
    ...(o.address ? { address: o.address } : {}),
    ...(o.port ? { ports: o.port } : {}),
    ...(o.workdir ? { workdir: o.workdir } : {}),
    ...(o.user ? { user: o.user } : {}),
    ...(o.hostname ? { hostname: o.hostname } : {}),
    ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
    ...(o.memory !== undefined ? { memoryBytes: o.memory } : {}),
    ...(o.pids !== undefined ? { pids: o.pids } : {}),
    ...(o.ioWeight !== undefined ? { ioWeight: o.ioWeight } : {}),
    ...(o.restart ? { restart: o.restart } : {}),
    ...(o.stopTimeout !== undefined ? { stopTimeoutSec: o.stopTimeout } : {}),
    ...(o.runtime ? { runtime: o.runtime } : {}),
    ...(o.gpu ? { gpus: o.gpu } : {}),
  };
}

/**
 * Joins this terminal to a capsule terminal socket until the session ends: raw mode while
 * stdin is a TTY (restored on every way out), keystrokes in, output out, SIGWINCH as resize.
 * Resolves with the session's exit code.
 */
export async function attachTerminal(socketPath: string): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const socket = createConnection(socketPath);
  await new Promise<void>((res, rej) => {
    socket.once('connect', res);
    socket.once('error', (err) => rej(new NovaError('unavailable', `Cannot open the terminal at ${socketPath}: ${err.message}`)));
  });
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  let exitCode = 0;
  const onInput = (chunk: Buffer) => {
    for (const f of encodeTerminalData(chunk)) socket.write(f);
  };
  const onResize = () => {
    if (stdout.columns && stdout.rows) socket.write(encodeTerminalResize(stdout.columns, stdout.rows));
  };
  try {
    await new Promise<void>((res) => {
      const decoder = new TerminalFrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        try {
          for (const frame of decoder.push(chunk)) {
            if (frame.type === 'data') stdout.write(frame.data);
            else if (frame.type === 'exit') exitCode = frame.exitCode;
          }
        } catch {
          exitCode = 1;
          socket.destroy();
        }
      });
      socket.on('error', () => {
        exitCode = exitCode || 1;
      });
      socket.on('close', () => res());
      stdin.on('data', onInput);
      stdin.on('end', () => socket.end());
      process.on('SIGWINCH', onResize);
      stdin.resume();
    });
  } finally {
    process.off('SIGWINCH', onResize);
    stdin.off('data', onInput);
    stdin.pause();
    if (raw) stdin.setRawMode(false);
  }
  return exitCode;
}

/**
 * `nova logs container NAME [--follow] [--since T] [--tail N]`: stdout lines to stdout,
 * stderr lines to stderr; following ends when the capsule stops.
 */
export async function printCapsuleLogs(
  ctx: CliContext,
  name: string,
  o: { follow?: boolean; since?: string; tail?: number; timestamps?: boolean },
): Promise<void> {
  const asJson = ctx.globals().json;
  const since = o.since ? parseSince(o.since) : undefined;
  await withHelper(ctx, async (h) => {
    let page = await h.call('capsule.logs', { name, ...(since ? { since } : {}), ...(o.tail !== undefined ? { tail: o.tail } : {}) });
    for (;;) {
      for (const l of page.lines) {
        if (asJson) ctx.io.stdout(JSON.stringify(l) + '\n');
        else (l.stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout)(`${o.timestamps ? `${l.at} ` : ''}${l.text}\n`);
      }
      if (!o.follow) return;
      const cursor = page.cursor;
      page = await h.call('capsule.logs', { name, afterSeq: cursor, waitMs: 10_000, ...(since ? { since } : {}) });
      if (page.lines.length === 0) {
        const c = await h.call('capsule.get', { name });
        if (c.state === 'stopped' || c.state === 'created') {
          // Lines written between the last read and the stop.
          page = await h.call('capsule.logs', { name, afterSeq: cursor, ...(since ? { since } : {}) });
          o = { ...o, follow: false };
        }
      }
    }
  });
}

/**
 * `nova image`: OCI images for capsules and the VM disk library side by side; `import`
 * decides which kind a file is and says so.
 */
