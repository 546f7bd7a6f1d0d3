// Starts the real helper bundle as a child process on a temporary socket and state
// dir, and guarantees it is gone afterwards, even when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const HELPER_BUNDLE = join(REPO, 'out/helper/nova-helper.mjs');
export const CLI_BUNDLE = join(REPO, 'out/cli/nova.mjs');
export const RAW_CLIENT = join(REPO, 'helper/system-tests/fixtures/raw-client.mjs');

export interface RunningHelper {
  dir: string;
  socketPath: string;
  stateDir: string;
  process: ChildProcess;
  logs: () => string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop: () => Promise<number | null>;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

export async function makeTestDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  // Other users (nobody) must reach the socket inside; the state dir stays 0700.
  await chmod(dir, 0o755);
  return dir;
}

export async function waitForSocket(path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((r) => {
      const s = createConnection(path);
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`helper socket ${path} did not appear within ${timeoutMs} ms`);
}

export interface HelperOptions {
  /** Run the whole helper inside this network namespace (networking tests). */
  netns?: string;
  extraArgs?: string[];
  /** Added to the helper's environment (what a careless launcher might pass on). */
  env?: Record<string, string>;
  /** A command the helper's argv is appended to (a wrapper that sets up namespaces first). */
  wrapper?: string[];
  /** The helper program itself (default: this tree's bundle on this Node; an installed one instead). */
  program?: string[];
}

export async function startHelper(dir: string, options: HelperOptions = {}): Promise<RunningHelper> {
  const socketPath = join(dir, 'helper.sock');
  const stateDir = join(dir, 'state');
  let output = '';
  const argv = [...(options.program ?? [process.execPath, HELPER_BUNDLE]), '--socket', socketPath, '--state-dir', stateDir, '--log-level', 'info', ...(options.extraArgs ?? [])];
  // nsenter joins only the network namespace (`ip netns exec` would remount /sys and hide cgroups).
  const wrapped = [...(options.wrapper ?? []), ...argv];
  const cmd = options.netns ? ['nsenter', `--net=/run/netns/${options.netns}`, ...wrapped] : wrapped;
  const [file, ...args] = cmd as [string, ...string[]];
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // A program that cannot be started (an installed helper that is missing) fails the wait below, saying why.
  child.once('error', (err) => (output += `could not start ${file}: ${err.message}\n`));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // A helper that dies on its own (not stopped or killed by the test) says why on the
  // test's stderr, since its state dir and logs are removed with the test.
  let expectedExit = false;
  child.once('exit', (code, signal) => {
    if (expectedExit) return;
    process.stderr.write(`\n[helper ${child.pid} in ${dir} exited by itself: code ${code}, signal ${signal}]\n${output.split('\n').slice(-40).join('\n')}\n`);
  });
  try {
    await waitForSocket(socketPath);
  } catch (err) {
    expectedExit = true;
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return {
    dir,
    socketPath,
    stateDir,
    process: child,
    logs: () => output,
    stop: async () => {
      expectedExit = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timeout);
      return code;
    },
    kill: async (signal = 'SIGKILL') => {
      expectedExit = true;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export async function removeTestDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Runs the raw client as `nobody` (setpriv) or as root, returning each reply parsed. */
export async function rawCall(
  socketPath: string,
  frames: string[],
  asNobody = false,
): Promise<{ code: number | null; replies: Array<Record<string, unknown>>; stderr: string }> {
  const argv = [process.execPath, RAW_CLIENT, socketPath];
  const cmd = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...argv] : argv;
  const [file, ...args] = cmd as [string, ...string[]];
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(JSON.stringify(frames));
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const replies = out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, replies, stderr: err };
}

export function request(id: number, method: string, params?: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
}
