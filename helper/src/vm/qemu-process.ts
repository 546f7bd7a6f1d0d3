// QEMU as an OS process: started detached through the ProcessRunner (its own session, so
// it outlives the helper; fds 0-2 plus the disk descriptors its -add-fd options name; the
// runner's clean environment), recognised later
// by pid + start time + a command line naming the VM, waited for and killed with bounded waits.
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { loadPeercredAddon, socketFd } from '../auth/peer-credentials.js';
import { ProcessRunner } from '../process/process-runner.js';
import { dirChanges } from '../util/dir-changes.js';
import { findProcesses, isSameProcess, processCmdline, processStartTime } from '../util/proc-stat.js';
import { qemuArgvIsVm } from './qemu-argv.js';

export interface SpawnedQemu {
  pid: number;
  startTime: string;
  /** Resolves with how the process ended, while this helper is its parent. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnQemu(
  argv: string[],
  opts: { logPath: string; uid?: number; gid?: number; runner?: ProcessRunner; passFds?: readonly number[] },
): Promise<SpawnedQemu> {
  const runner = opts.runner ?? new ProcessRunner();
  // The log's folder is root's and the old log was removed: a link found here was not Nova's.
  const log = await open(opts.logPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    const child = await runner.spawnDetached({
      argv,
      stdio: ['ignore', log.fd, log.fd],
      // The disks the helper opened and checked, named on QEMU's command line by -add-fd.
      ...(opts.passFds ? { passFds: opts.passFds } : {}),
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    child.unref();
    const pid = child.pid!;
    const startTime = await processStartTime(pid);
    if (!startTime) {
      const end = await Promise.race([exited, sleep(500)]);
      throw new NovaError('internal', `QEMU exited at once (${JSON.stringify(end)}): ${await tailFile(opts.logPath)}`);
    }
    return { pid, startTime, exited };
  } finally {
    await log.close();
  }
}

/**
 * Until the socket accepts a connection, tried again as soon as its folder changes (QEMU
 * binding it) rather than on a 10 ms beat; fails early when `gone` says the process ended or on abort.
 */
export async function waitForSocket(path: string, timeoutMs: number, gone: () => Promise<boolean>, signal?: AbortSignal): Promise<void> {
  const changes = dirChanges(dirname(path));
  try {
    await waitForSocketWith(changes, path, timeoutMs, gone, signal);
  } finally {
    changes.close();
  }
}

async function waitForSocketWith(changes: ReturnType<typeof dirChanges>, path: string, timeoutMs: number, gone: () => Promise<boolean>, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new NovaError('cancelled', `waiting for QEMU's QMP socket was cancelled`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection(path);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (await gone()) throw new NovaError('internal', `QEMU exited before its QMP socket was ready`);
    await changes.next(10);
  }
  throw new NovaError('timeout', `QEMU's QMP socket ${path} was not ready within ${timeoutMs} ms`);
}

/**
 * A check for QmpClient.connect: the socket's listener must be QEMU `pid` itself. The
 * runtime dir of a QEMU run as a user is that user's, who could put any socket at the
 * QMP name; the helper says nothing to one that is not this VM's QEMU.
 */
export function expectQemuPeer(pid: number): (socket: Socket) => void {
  return (socket) => {
    const peer = loadPeercredAddon().getPeerCredentials(socketFd(socket)).pid;
    if (peer !== pid) throw new NovaError('failed_precondition', `the QMP socket is held by pid ${peer}, not by the VM's QEMU (pid ${pid}); the helper did not talk to it`);
  };
}

/** Alive and the same process: a zombie counts as gone (proc-stat.ts's one rule). */
export async function isAlive(pid: number, startTime: string): Promise<boolean> {
  return isSameProcess(pid, startTime);
}

/** True when pid + start time match and the command line names this VM and this helper's pidfile for it. */
export async function isQemuOfVm(pid: number, startTime: string, vmName: string, pidFile: string): Promise<boolean> {
  if (!(await isAlive(pid, startTime))) return false;
  const cmdline = await processCmdline(pid);
  return cmdline !== null && qemuArgvIsVm(cmdline, vmName, pidFile);
}

/** Every living QEMU of this VM, found by its command line alone: what no record (or a damaged one) names. */
export function qemusOfVm(vmName: string, pidFile: string): Promise<Array<{ pid: number; startTime: string }>> {
  return findProcesses((argv) => qemuArgvIsVm(argv, vmName, pidFile));
}

export async function waitForExit(pid: number, startTime: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid, startTime))) return true;
    await sleep(25);
  }
  return !(await isAlive(pid, startTime));
}

/** SIGKILL, only if the pid is still the same process. */
export async function killQemu(pid: number, startTime: string): Promise<void> {
  if (!(await isAlive(pid, startTime))) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  if (!(await waitForExit(pid, startTime, 5000))) throw new NovaError('internal', `QEMU pid ${pid} survived SIGKILL`);
}

export async function tailFile(path: string, lines = 5): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join(' | ') || '(no output)';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
