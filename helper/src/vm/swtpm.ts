// A VM's TPM 2.0: one swtpm per VM, started before QEMU (which connects to its control
// socket), as the same user as QEMU, its state in the VM's folder. `--terminate` ends it
// when QEMU's connection drops, so it dies with the VM; the helper also stops it with the
// VM, and finds one a killed helper left by its command line (the VM's own state dir
// named in it, as QEMUs are found by their pidfile), never by a bare pid.
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { NovaError } from '../../../src-shared/errors.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { findProcesses, flagValue, processStartTime } from '../util/proc-stat.js';
import { stopCompanion, stopCompanions } from './companion-process.js';
import { isAlive, sleep, tailFile } from './qemu-process.js';
import type { Credentials } from './run-as-user.js';

export interface SwtpmPaths {
  /** VMDIR/tpm: tpm2-00.permall lives here. */
  stateDir: string;
  /** In the VM's runtime dir: QEMU's -chardev connects here. */
  ctrlSocket: string;
  pidFile: string;
  logFile: string;
}

export interface RunningSwtpm {
  pid: number;
  startTime: string;
}

/** swtpm splits its option values at commas and knows no escape for them. */
function plain(path: string, what: string): string {
  if (path.includes(',')) throw new NovaError('failed_precondition', `${what} ${path} contains a comma, which swtpm cannot take in a path; use a state directory without commas`);
  return path;
}

/** The exact command line, golden-tested in swtpm.test.ts. */
export function buildSwtpmArgv(p: SwtpmPaths, binary = 'swtpm'): string[] {
  return [
    binary,
    'socket',
    '--tpm2',
    '--tpmstate', `dir=${plain(p.stateDir, "the TPM's state folder")},mode=0600`,
    '--ctrl', `type=unixio,path=${plain(p.ctrlSocket, "the TPM's control socket")},mode=0600`,
    '--pid', `file=${plain(p.pidFile, "the TPM's pidfile")}`,
    '--log', `file=${plain(p.logFile, "the TPM's log")},level=1`,
    // Ends when QEMU's connection drops: no TPM outlives its VM.
    '--terminate',
  ];
}

/** Whether a command line is the swtpm of the VM whose TPM state is `stateDir`. */
export function swtpmArgvIsVm(argv: readonly string[], stateDir: string): boolean {
  const program = argv[0]?.split('/').pop();
  return program === 'swtpm' && argv[1] === 'socket' && flagValue(argv, '--tpmstate') === `dir=${stateDir},mode=0600`;
}

/** Every living swtpm holding this state dir: one no record names is a crash's leftover, or a second TPM. */
export function swtpmsOf(stateDir: string): Promise<RunningSwtpm[]> {
  return findProcesses((argv) => swtpmArgvIsVm(argv, stateDir));
}

export interface SwtpmStart {
  paths: SwtpmPaths;
  runner: ProcessRunner;
  user: Credentials | null;
  /** Bound on the control socket's appearance. */
  readyTimeoutMs: number;
  signal: AbortSignal;
  vmName: string;
}

/** swtpm running with its control socket in place, or a clear failure with its own words; never two for one VM. */
export async function startSwtpm(o: SwtpmStart): Promise<RunningSwtpm> {
  const others = await swtpmsOf(o.paths.stateDir);
  if (others.length > 0) {
    const pids = others.map((p) => p.pid).join(', ');
    throw new NovaError('failed_precondition', `VM ${o.vmName} already has a TPM: swtpm (pid ${pids}) holds its state ${o.paths.stateDir}; a VM has one TPM. Restart the helper (it stops a leftover one) or stop that process`, { pids: others.map((p) => p.pid) });
  }
  const log = await open(o.paths.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  let child;
  try {
    if (o.user) await log.chown(o.user.uid, o.user.gid);
    child = await o.runner.spawnDetached({
      argv: buildSwtpmArgv(o.paths),
      stdio: ['ignore', log.fd, log.fd],
      ...(o.user ? { uid: o.user.uid, gid: o.user.gid } : {}),
    });
  } finally {
    await log.close();
  }
  child.unref();
  const pid = child.pid!;
  const startTime = await processStartTime(pid);
  const failed = async (why: string) => new NovaError('internal', `the TPM of VM ${o.vmName} did not start: swtpm ${why}; it said: ${await tailFile(o.paths.logFile)}`);
  if (!startTime) throw await failed('exited at once');
  const running = { pid, startTime };
  const deadline = Date.now() + o.readyTimeoutMs;
  for (;;) {
    if ((await lstat(o.paths.ctrlSocket).catch(() => null))?.isSocket()) return running;
    if (!(await isAlive(pid, startTime))) throw await failed('exited before its control socket was ready');
    if (o.signal.aborted || Date.now() > deadline) {
      await stopSwtpm(running);
      if (o.signal.aborted) throw new NovaError('cancelled', `start of VM ${o.vmName} was cancelled while its TPM started`);
      throw new NovaError('timeout', `the TPM of VM ${o.vmName} did not start: swtpm's control socket ${o.paths.ctrlSocket} was not there within ${o.readyTimeoutMs} ms`);
    }
    await sleep(10);
  }
}

/** SIGTERM (swtpm saves its state), SIGKILL after a bound; only while pid and start time still match. */
export function stopSwtpm(p: RunningSwtpm, graceMs = 2_000): Promise<void> {
  return stopCompanion(p, 'swtpm', graceMs);
}

/** Stops every swtpm of this state dir; returns the pids stopped. */
export async function stopSwtpmsOf(stateDir: string): Promise<number[]> {
  return stopCompanions(await swtpmsOf(stateDir), 'swtpm');
}
