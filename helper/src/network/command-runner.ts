// How the network engine runs the commands network-commands.ts builds: through the
// helper's one ProcessRunner (argv arrays, clean environment, fds 0-2, a deadline, the
// operation's AbortSignal). Injectable, so tests run the very same commands inside a
// test namespace (`new ProcessRunner().inNetns(ns)`) or fail one on purpose.
import { NovaError } from '../../../src-shared/errors.js';
import type { ProcessRunner, RunResult } from '../process/process-runner.js';
import type { NetworkCommand } from './network-commands.js';

/** The part of ProcessRunner the engine uses. */
export type CommandRunner = Pick<ProcessRunner, 'run'>;

/** ip, nft and friends answer in milliseconds; this bounds a wedged one. */
export const COMMAND_TIMEOUT_MS = 15_000;

/** Runs `cmd`; a non-zero exit is the caller's to read. Timeouts, cancels and missing tools still throw. */
export function runCommand(runner: CommandRunner, cmd: NetworkCommand, signal?: AbortSignal): Promise<RunResult> {
  return runner.run({
    argv: cmd.argv,
    timeoutMs: COMMAND_TIMEOUT_MS,
    allowFailure: true,
    ...(cmd.input !== undefined ? { input: cmd.input } : {}),
    ...(signal ? { signal } : {}),
  });
}

/**
 * Runs `cmd` and returns its stdout, or throws a NovaError that says what failed and why,
 * in the tool's own first lines: `ip -batch` puts the cause first and "Command failed -:N" last.
 */
export async function runChecked(runner: CommandRunner, cmd: NetworkCommand, signal?: AbortSignal): Promise<string> {
  const r = await runCommand(runner, cmd, signal);
  if (r.exitCode !== 0) {
    const why = r.stderr.trim().split('\n').slice(0, 6).join('; ') || (r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`);
    throw new NovaError('internal', `${cmd.failure}: ${why}`, { argv: cmd.argv, exitCode: r.exitCode });
  }
  return r.stdout;
}
