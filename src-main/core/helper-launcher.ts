// Starts the helper when nothing answers on its socket: directly when we are root,
// through pkexec (polkit asks for an admin password) otherwise. The helper is
// detached so VMs and capsules outlive the app that started it.
import { spawn } from 'node:child_process';
import { existsSync, openSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { NovaError } from '../../src-shared/index.js';

export interface LaunchOptions {
  socketPath: string;
  stateDir: string;
  /** The bundled helper entry (out/helper/nova-helper.mjs). */
  helperScript: string;
  nodePath?: string;
  uid?: number;
  waitMs?: number;
}

export type LaunchOutcome = 'already-running' | 'started';

export async function isHelperListening(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The command that starts the helper for this user; golden-tested. */
export function helperLaunchArgv(opts: LaunchOptions): string[] {
  const node = opts.nodePath ?? process.execPath;
  const argv = [node, opts.helperScript, '--socket', opts.socketPath, '--state-dir', opts.stateDir];
  return (opts.uid ?? process.getuid?.() ?? 0) === 0 ? argv : ['pkexec', ...argv];
}

export async function ensureHelper(opts: LaunchOptions): Promise<LaunchOutcome> {
  if (await isHelperListening(opts.socketPath)) return 'already-running';
  if (!existsSync(opts.helperScript)) {
    throw new NovaError('unavailable', `The Nova helper is not running and ${opts.helperScript} does not exist; run "npm run build"`);
  }
  const argv = helperLaunchArgv(opts);
  const asRoot = argv[0] !== 'pkexec';
  let stdio: 'ignore' | number = 'ignore';
  if (asRoot) {
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    stdio = openSync(join(opts.stateDir, 'helper.log'), 'a', 0o600);
  }
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, {
    detached: true,
    stdio: ['ignore', stdio, stdio],
    cwd: asRoot ? dirname(opts.helperScript) : '/',
  });
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  child.unref();
  // pkexec may wait for a person to type a password.
  const deadline = Date.now() + (opts.waitMs ?? (asRoot ? 10_000 : 120_000));
  while (Date.now() < deadline) {
    if (await isHelperListening(opts.socketPath)) return 'started';
    if (exited !== null) {
      throw new NovaError(
        exited === 126 || exited === 127 ? 'not_authorized' : 'unavailable',
        asRoot
          ? `The Nova helper exited (code ${exited}) before listening; see ${join(opts.stateDir, 'helper.log')}`
          : `pkexec did not start the Nova helper (exit ${exited}): authorization was refused or cancelled`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new NovaError('timeout', `The Nova helper did not start listening on ${opts.socketPath} in time`);
}
