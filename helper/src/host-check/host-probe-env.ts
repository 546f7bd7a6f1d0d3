// The host as the probes see it: filesystem roots, the search path and a way to run
// tools. Probes never touch /proc, /sys or spawn directly, so unit tests can hand them
// a fake tree in a temp dir and canned tool output instead of this machine.
import { constants, statSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNovaError } from '../../../src-shared/errors.js';
import { ProcessRunner } from '../process/process-runner.js';

export interface RunOptions {
  /** Hard bound: the tool is killed (SIGKILL) when it runs longer. */
  timeoutMs: number;
  /** Kill the tool as soon as its stdout contains this text (a boot marker, say). */
  stopWhenStdoutIncludes?: string;
}

export interface RunResult {
  /** null when the tool was killed or could not be started. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** True when the tool was stopped because stopWhenStdoutIncludes appeared. */
  stoppedOnMatch: boolean;
  /** Why the tool could not be started at all (ENOENT, EACCES...), else null. */
  spawnError: string | null;
  durationMs: number;
}

export interface HostProbeEnv {
  /** Root for every path without a dedicated root below (/usr, /lib, /var...). */
  rootDir: string;
  procRoot: string;
  sysRoot: string;
  devRoot: string;
  etcRoot: string;
  /**
   * Where probes create scratch files (boot images, OCI bundles). HostCheckService
   * replaces it with a directory in its state dir that it sweeps before every run.
   */
  tmpDir: string;
  /** Directories searched by which(), in order. */
  binDirs: readonly string[];
  /** Whether probes run with root privileges (some tools only answer to root). */
  isRoot: boolean;
  which(cmd: string): Promise<string | null>;
  run(argv: readonly string[], opts: RunOptions): Promise<RunResult>;
  /** SIGKILL a leftover probe process (one whose command line names our scratch dir). */
  killProcess(pid: number): void;
}

/** Only the roots: what reading the host's files needs (the device inventory uses just these). */
export type HostRoots = Pick<HostProbeEnv, 'rootDir' | 'procRoot' | 'sysRoot' | 'devRoot' | 'etcRoot'>;

/** Maps a path as it is on a real host (/proc/cpuinfo) to where this env keeps it. */
export function hostPath(env: HostRoots, logical: string): string {
  const roots: Array<[string, string]> = [
    ['/proc', env.procRoot],
    ['/sys', env.sysRoot],
    ['/dev', env.devRoot],
    ['/etc', env.etcRoot],
  ];
  for (const [prefix, root] of roots) {
    if (logical === prefix || logical.startsWith(prefix + '/')) return root + logical.slice(prefix.length);
  }
  return env.rootDir === '/' ? logical : join(env.rootDir, logical);
}

// The helper may be started by pkexec or systemd with a minimal PATH; the tools we
// look for live in sbin on Debian (ip, nft, dnsmasq, runc), so search sbin too.
const STANDARD_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * Where to look for tools. As root, the standard system directories come first and a
 * PATH entry is kept only if root owns it and nobody else can write to it: a daemon
 * running as root must not pick up a binary from a directory a user controls.
 */
export function defaultBinDirs(
  pathVar: string | undefined = process.env.PATH,
  asRoot: boolean = process.getuid?.() === 0,
): string[] {
  const fromPath = (pathVar ?? '').split(':').filter((d) => d.startsWith('/'));
  if (!asRoot) return [...new Set([...fromPath, ...STANDARD_BIN_DIRS])];
  return [...new Set([...STANDARD_BIN_DIRS, ...fromPath.filter(isRootOnlyDir)])];
}

function isRootOnlyDir(dir: string): boolean {
  try {
    const st = statSync(dir);
    return st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

export function whichIn(binDirs: readonly string[]): (cmd: string) => Promise<string | null> {
  return async (cmd) => {
    if (cmd.length === 0 || cmd.includes('/')) return null;
    for (const dir of binDirs) {
      const candidate = join(dir, cmd);
      try {
        if (!(await stat(candidate)).isFile()) continue;
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
    return null;
  };
}

const OUTPUT_CAP = 1 << 20;
const processes = new ProcessRunner();

/**
 * Runs one tool through the helper's ProcessRunner (argv array, clean C-locale
 * environment, no stdin, a hard timeout), found in `binDirs`, and optionally stops it
 * once a marker shows up on stdout. Never throws: a probe reports what happened.
 */
export async function runTool(
  argv: readonly string[],
  opts: RunOptions,
  binDirs: readonly string[] = defaultBinDirs(),
): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('runTool: empty argv');
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // The probe's search path, not the runner's fixed one: a root-owned PATH entry counts too.
  const program = file.includes('/') ? file : await whichIn(binDirs)(file);
  if (!program) return { exitCode: null, stdout: '', stderr: '', timedOut: false, stoppedOnMatch: false, spawnError: 'ENOENT', durationMs: elapsed() };
  // What came before a timeout is still evidence (a boot that printed half its banner).
  let stdoutSoFar = '';
  let stderrSoFar = '';
  const marker = opts.stopWhenStdoutIncludes;
  try {
    const r = await processes.run({
      argv: [program, ...args],
      timeoutMs: opts.timeoutMs,
      allowFailure: true,
      maxOutputBytes: OUTPUT_CAP,
      stopWhen: (stdout) => {
        stdoutSoFar = stdout;
        return marker !== undefined && stdout.includes(marker);
      },
      onLine: (line, stream) => {
        if (stream === 'stderr' && stderrSoFar.length < OUTPUT_CAP) stderrSoFar += `${line}\n`;
      },
    });
    return {
      exitCode: r.stopped || r.signal !== null ? null : r.exitCode,
      stdout: r.stdout,
      stderr: r.stderr,
      timedOut: false,
      stoppedOnMatch: r.stopped,
      spawnError: null,
      durationMs: r.durationMs,
    };
  } catch (err) {
    const timedOut = isNovaError(err, 'timeout');
    const spawnError = timedOut ? null : isNovaError(err, 'unavailable') ? 'ENOENT' : (err as Error).message;
    return { exitCode: null, stdout: stdoutSoFar, stderr: stderrSoFar, timedOut, stoppedOnMatch: false, spawnError, durationMs: elapsed() };
  }
}

/** This machine, as the helper sees it. */
export function realHostProbeEnv(overrides: Partial<HostProbeEnv> = {}): HostProbeEnv {
  const binDirs = overrides.binDirs ?? defaultBinDirs();
  return {
    rootDir: '/',
    procRoot: '/proc',
    sysRoot: '/sys',
    devRoot: '/dev',
    etcRoot: '/etc',
    tmpDir: tmpdir(),
    binDirs,
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    which: whichIn(binDirs),
    run: (argv, opts) => runTool(argv, opts, binDirs),
    killProcess: (pid) => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
    ...overrides,
  };
}
