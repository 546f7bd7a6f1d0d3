// How the capsule engine runs its tools (runc, skopeo, umoci, tar, mount): argv arrays,
// a clean environment, stdin closed, a hard timeout, and a failure turned into a NovaError
// that names the tool and its last stderr line. Injected so unit tests can fake it.
import { execa } from 'execa';
import { NovaError } from '../../../src-shared/errors.js';

export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ToolRunOptions {
  timeoutMs: number;
  /** Called with each stdout or stderr line as it arrives (pull progress). */
  onLine?: (line: string) => void;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  cwd?: string;
}

export type ToolRunner = (argv: readonly string[], opts: ToolRunOptions) => Promise<ToolResult>;

const TOOL_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', HOME: '/root' };

export function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim().length > 0);
  return (lines[lines.length - 1] ?? '').trim();
}

export const execaToolRunner: ToolRunner = async (argv, opts) => {
  const [file, ...args] = argv as [string, ...string[]];
  const child = execa(file, args, {
    reject: false,
    timeout: opts.timeoutMs,
    killSignal: 'SIGKILL',
    stdin: 'ignore',
    env: TOOL_ENV,
    extendEnv: false,
    cwd: opts.cwd,
    maxBuffer: 64 * 1024 * 1024,
    stripFinalNewline: false,
  });
  if (opts.onLine) {
    const onLine = opts.onLine;
    let pending = '';
    const feed = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        onLine(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
      }
    };
    child.stdout?.on('data', feed);
    child.stderr?.on('data', feed);
  }
  const r = await child;
  const name = file.split('/').pop() ?? file;
  if (r.failed && r.exitCode === undefined) {
    const code = (r as { code?: string }).code;
    if (code === 'ENOENT') throw new NovaError('unavailable', `${name} is not installed (looked for ${file})`);
    if (r.timedOut) throw new NovaError('timeout', `${name} did not finish within ${opts.timeoutMs} ms`, { argv });
    throw new NovaError('internal', `${name} could not run: ${r.message}`, { argv });
  }
  if (r.timedOut) throw new NovaError('timeout', `${name} did not finish within ${opts.timeoutMs} ms`, { argv });
  const result = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (result.exitCode !== 0 && !opts.allowFailure) {
    throw new NovaError('internal', `${name} ${args[0] ?? ''} failed: ${lastLine(result.stderr) || lastLine(result.stdout) || `exit ${result.exitCode}`}`, {
      argv,
      exitCode: result.exitCode,
    });
  }
  return result;
};
