// Every program the helper starts goes through here: argv arrays only (never a shell),
// a fixed environment (a fixed PATH, LC_ALL=C, and only allow-listed extras), only fds
// 0-2, cwd "/", a deadline on every call, and one mapping of failures to NovaErrors that
// name the tool and what it said. Long-lived children (QEMU, monitors, dnsmasq) use
// spawnDetached, with the same environment rules; beyond fds 0-2 a child gets only the
// descriptors listed in its passFds (QEMU's checked disks, each named on its command line).
import { fork, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { execa } from 'execa';
import { NovaError } from '../../../src-shared/errors.js';

export const FIXED_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The only variables a caller may add; PATH and the locale are never theirs to set. */
export const ALLOWED_ENV = ['HOME', 'TMPDIR', 'XDG_RUNTIME_DIR', 'TERM'] as const;
export type AllowedEnvName = (typeof ALLOWED_ENV)[number];
export type ToolEnv = Partial<Record<AllowedEnvName, string>>;

export interface RunSpec {
  argv: readonly string[];
  timeoutMs: number;
  /** Written to stdin (for `ip -batch -`, `nft -f -`); stdin is closed otherwise. */
  input?: string | Uint8Array;
  /**
   * A descriptor the helper opened (a caller's file, checked by a confined open) given to
   * the program as its stdin, which reads it as /dev/stdin: still only fds 0-2, and the
   * program never resolves the caller's path itself.
   */
  stdinFd?: number;
  /** Aborting kills the program (SIGKILL) and the call fails with `cancelled`. */
  signal?: AbortSignal;
  /** Each line of stdout and stderr as it arrives; "\r" also ends a line (progress meters). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Stops the program once this says its stdout so far is enough (probes). */
  stopWhen?: (stdoutSoFar: string) => boolean;
  /** Resolve with a non-zero exit instead of throwing. */
  allowFailure?: boolean;
  env?: ToolEnv;
  uid?: number;
  gid?: number;
  cwd?: string;
  /** Kept of each stream (default 16 MiB); the rest is dropped. */
  maxOutputBytes?: number;
  /** What the call does, for messages: "resizing disk0". Default: the program's name. */
  what?: string;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Stopped by `stopWhen` (not a failure). */
  stopped: boolean;
  durationMs: number;
}

export interface DetachedSpec {
  argv: readonly string[];
  env?: ToolEnv;
  uid?: number;
  gid?: number;
  /** Only fds 0-2: each 'ignore', 'pipe' or an open fd (a log file). */
  stdio?: readonly ['ignore' | 'pipe', 'ignore' | 'pipe' | number, 'ignore' | 'pipe' | number];
  /** Its own session, so it outlives the helper (default true). */
  detached?: boolean;
  /** Where it runs (default "/"): for a program that writes files beside itself. */
  cwd?: string;
  /**
   * Descriptors the helper opened for this child alone, which become its fds 3, 4, ...
   * in this order (QEMU's `-add-fd fd=3`). The one widening of the fds-0-2 rule, and a
   * safe one: only what is listed crosses (everything else the helper holds is
   * close-on-exec, and what it inherited was closed at start-up), and the child's own
   * command line names each of them, so nothing reaches it by accident.
   */
  passFds?: readonly number[];
}

export function toolEnv(extra: ToolEnv = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: FIXED_PATH, LC_ALL: 'C', LANG: 'C' };
  for (const [k, v] of Object.entries(extra)) {
    if (!(ALLOWED_ENV as readonly string[]).includes(k)) throw new Error(`environment variable ${k} is not allowed for tools`);
    if (v !== undefined) env[k] = v;
  }
  return env;
}

export function programName(argv: readonly string[]): string {
  const file = argv[0] ?? '';
  return file.split('/').pop() || file;
}

/** The last meaningful line of a tool's output: what messages quote. */
export function lastLine(text: string): string {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines[lines.length - 1] ?? '';
}

export class ProcessRunner {
  /**
   * @param prefix put before every argv (`ip netns exec NS` for a runner confined to a
   *   network namespace in tests); empty on the host.
   */
  constructor(private readonly prefix: readonly string[] = []) {}

  /** A runner whose every program runs inside the named network namespace. */
  inNetns(netns: string): ProcessRunner {
    return new ProcessRunner([...this.prefix, 'ip', 'netns', 'exec', netns]);
  }

  async run(spec: RunSpec): Promise<RunResult> {
    const argv = [...this.prefix, ...spec.argv];
    const [file, ...args] = argv;
    if (!file) throw new NovaError('internal', 'no program to run (empty argv)');
    const what = spec.what ?? programName(spec.argv);
    const cap = spec.maxOutputBytes ?? 16 * 1024 * 1024;
    const started = performance.now();
    if (spec.signal?.aborted) throw cancelledError(what);
    const child = execa(file, args, {
      reject: false,
      buffer: false,
      // execa hands a descriptor number to spawn() as it is (its types only list 0 and 3-9).
      stdin: spec.stdinFd !== undefined ? (spec.stdinFd as 0) : spec.input === undefined ? 'ignore' : 'pipe',
      env: toolEnv(spec.env),
      extendEnv: false,
      cwd: spec.cwd ?? '/',
      cleanup: true,
      ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid ?? spec.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let cancelled = false;
    let stopped = false;
    // Our own SIGKILL and stream teardown: a grandchild that inherited the pipes would
    // otherwise keep the call waiting for end-of-stream after the program itself died.
    const kill = () => {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, spec.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      kill();
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const feed = (stream: 'stdout' | 'stderr') => {
      let pending = '';
      return (chunk: string) => {
        if (stream === 'stdout') {
          if (stdout.length < cap) stdout += chunk;
        } else if (stderr.length < cap) {
          stderr += chunk;
        }
        if (spec.onLine) {
          pending += chunk;
          const parts = pending.split(/\r\n|\r|\n/);
          pending = parts.pop() ?? '';
          for (const line of parts) spec.onLine(line, stream);
        }
        if (stream === 'stdout' && spec.stopWhen && !stopped && spec.stopWhen(stdout)) {
          stopped = true;
          kill();
        }
      };
    };
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', feed('stdout'));
    child.stderr?.on('data', feed('stderr'));
    if (spec.input !== undefined) child.stdin?.end(spec.input);
    const r = await child;
    clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
    const result: RunResult = {
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      stdout,
      stderr,
      stopped,
      durationMs: Math.round(performance.now() - started),
    };
    if (stopped) return result;
    if (cancelled) throw cancelledError(what);
    if (timedOut) {
      throw new NovaError('timeout', `${what} did not finish within ${formatMs(spec.timeoutMs)}`, { argv: spec.argv });
    }
    const spawnCode = (r as { code?: string }).code;
    if (r.exitCode === undefined && !r.isTerminated) {
      if (spawnCode === 'ENOENT') {
        throw new NovaError('unavailable', `${programName(argv)} is not installed (looked for ${file} in ${FIXED_PATH})`, { argv: spec.argv });
      }
      throw new NovaError('internal', `${what} could not run: ${r.shortMessage ?? spawnCode ?? 'unknown error'}`, { argv: spec.argv });
    }
    if (result.exitCode !== 0 && !spec.allowFailure) {
      const said = lastLine(stderr) || lastLine(stdout);
      const how = result.signal ? `was killed by ${result.signal}` : `failed (exit ${result.exitCode})`;
      throw new NovaError('internal', `${what} ${how}${said ? `: ${said}` : ''}`, {
        argv: spec.argv,
        exitCode: result.exitCode,
        stderr: stderr.slice(-2000),
      });
    }
    return result;
  }

  /** Starts a long-lived program; the caller watches it. Resolves once it is running. */
  async spawnDetached(spec: DetachedSpec): Promise<ChildProcess> {
    const argv = [...this.prefix, ...spec.argv];
    const [file, ...args] = argv;
    if (!file) throw new NovaError('internal', 'no program to run (empty argv)');
    const child = spawn(file, args, {
      detached: spec.detached ?? true,
      stdio: [...(spec.stdio ?? ['ignore', 'ignore', 'ignore']), ...(spec.passFds ?? [])] as StdioOptions,
      env: toolEnv(spec.env),
      cwd: spec.cwd ?? '/',
      ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid ?? spec.uid } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'ENOENT'
            ? new NovaError('unavailable', `${programName(argv)} is not installed (looked for ${file} in ${FIXED_PATH})`)
            : new NovaError('internal', `cannot run ${programName(argv)}: ${err.message}`),
        ),
      );
    });
    return child;
  }
}

export interface NodeModuleSpec {
  /** One of the helper's own entry points (out/helper/pty-host.mjs). */
  modulePath: string;
  /** The Node that runs it; the helper's own by default. */
  execPath?: string;
  stderr?: 'ignore' | 'pipe';
}

/**
 * One of the helper's own Node modules in a child that talks to it over Node's IPC
 * channel: the one deliberate fd beyond 0-2. Same environment rules; stdin and stdout
 * closed; in the helper's process group, so it ends with the helper.
 */
export function forkNodeModule(spec: NodeModuleSpec): ChildProcess {
  return fork(spec.modulePath, [], {
    execPath: spec.execPath ?? process.execPath,
    serialization: 'json',
    stdio: ['ignore', 'ignore', spec.stderr ?? 'pipe', 'ipc'],
    env: toolEnv(),
    cwd: '/',
    detached: false,
  });
}

function cancelledError(what: string): NovaError {
  return new NovaError('cancelled', `${what} was stopped: the operation was cancelled`);
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
