// How the network engine runs iproute2, nft, dnsmasq and friends: argv arrays through
// execa (never a shell), a clean environment, a bounded time. Injectable so tests can
// run the very same commands inside a test namespace (`ip netns exec NS ...`).
import { execa } from 'execa';
import { NovaError } from '../../../src-shared/errors.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin (for `ip -batch -`, `nft -f -`). */
  input?: string;
  timeoutMs?: number;
}

export interface CommandRunner {
  run(argv: readonly string[], opts?: RunOptions): Promise<CommandResult>;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 15_000;
const CLEAN_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', LC_ALL: 'C' };

/** Runs on this host, in the helper's own network namespace. */
export function hostRunner(): CommandRunner {
  return {
    async run(argv, opts = {}) {
      const [file, ...args] = argv;
      if (!file) throw new Error('empty argv');
      const r = await execa(file, args, {
        reject: false,
        timeout: opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        input: opts.input,
        stdin: opts.input === undefined ? 'ignore' : 'pipe',
        env: CLEAN_ENV,
        extendEnv: false,
        stripFinalNewline: false,
      });
      const stderr = String(r.stderr ?? '');
      if (r.timedOut) return { exitCode: 124, stdout: String(r.stdout ?? ''), stderr: `${stderr}\ntimed out after ${opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS} ms` };
      if (r.failed && r.exitCode === undefined) return { exitCode: 127, stdout: '', stderr: r.shortMessage ?? stderr };
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr };
    },
  };
}

/** Every command inside the named network namespace (tests; a helper confined to one). */
export function netnsRunner(netns: string, base: CommandRunner = hostRunner()): CommandRunner {
  return { run: (argv, opts) => base.run(['ip', 'netns', 'exec', netns, ...argv], opts) };
}

/** Runs argv and returns stdout, or throws a NovaError naming what failed and why. */
export async function runChecked(runner: CommandRunner, argv: readonly string[], what: string, opts?: RunOptions): Promise<string> {
  const r = await runner.run(argv, opts);
  if (r.exitCode !== 0) {
    const why = r.stderr.trim().split('\n').slice(0, 6).join('; ') || `exit code ${r.exitCode}`;
    throw new NovaError(r.exitCode === 127 ? 'unavailable' : 'internal', `${what}: ${why}`, { argv: [...argv], exitCode: r.exitCode });
  }
  return r.stdout;
}
