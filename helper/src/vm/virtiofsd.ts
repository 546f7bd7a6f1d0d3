// One virtiofsd (QEMU's C daemon) per virtiofs share, started before QEMU, which connects
// to its vhost-user socket in the VM's runtime dir. It runs as QEMU's user, in a private
// mount namespace the helper makes for it: there the checked folder is bind-mounted (and,
// for a read-only share, remounted read-only) onto a mount point in the runtime dir. A
// user's daemon runs in a user namespace of its own, mapping only that user, so its
// sandbox's namespaces are less privileged than the mounts it inherits: the kernel locks
// them, and nothing the guest or the user makes it do can remount them writable. Nobody
// outside sees the mount; it ends with the daemon (which ends when QEMU disconnects).
// Leftovers are found by command line (the socket path names the VM), never a bare pid.
import { constants } from 'node:fs';
import { access, lstat, mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { VmShare } from '../../../src-shared/vm-shares.js';
import { spawnCatHolder, type NamespaceHolder } from '../capsule/capsule-netns.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { findProcesses, processStartTime } from '../util/proc-stat.js';
import { stopCompanion, stopCompanions } from './companion-process.js';
import { isAlive, sleep, tailFile } from './qemu-process.js';
import type { Credentials } from './run-as-user.js';

export const VIRTIOFSD = '/usr/lib/qemu/virtiofsd';
/** Where QEMU 7.2's virtiofsd takes its socket lock (its local state dir); a private tmpfs per daemon covers it. */
export const VIRTIOFSD_LOCK_DIR = '/run/virtiofsd';
const STEP_TIMEOUT_MS = 10_000;

export interface VirtiofsdPaths {
  /** vhost-user socket in the VM's runtime dir: QEMU's -chardev connects here. */
  socket: string;
  /** An empty folder in the VM's own (root's) folder; the share is mounted on it inside the daemon's namespace only. */
  mountPoint: string;
  logFile: string;
}

export interface RunningVirtiofsd {
  pid: number;
  startTime: string;
}

/** Whether this host has the daemon (Debian's qemu-system-common). */
export async function virtiofsdInstalled(binary = VIRTIOFSD): Promise<boolean> {
  return access(binary, constants.X_OK).then(() => true, () => false);
}

/** The namespace holder: `cat` in a new mount namespace, private so nothing mounted in it reaches the host. */
export function mountHolderArgv(): string[] {
  return ['unshare', '--mount', '--propagation', 'private', '--', 'cat'];
}

/** Run by root inside the holder's namespace: the folder onto the mount point, read-only if asked, and the daemon's lock dir. */
export function shareMountArgvs(holderPid: number, source: string, p: VirtiofsdPaths, readOnly: boolean, user: Credentials | null): string[][] {
  const inNs = ['nsenter', `--target=${holderPid}`, '--mount', '--'];
  const owner = user ?? { uid: 0, gid: 0 };
  return [
    [...inNs, 'mount', '--bind', source, p.mountPoint],
    ...(readOnly ? [[...inNs, 'mount', '-o', 'remount,bind,ro', p.mountPoint]] : []),
    [...inNs, 'mount', '-t', 'tmpfs', '-o', `mode=0700,uid=${owner.uid},gid=${owner.gid},size=256k`, 'nova-virtiofsd', VIRTIOFSD_LOCK_DIR],
  ];
}

/**
 * The exact command line, golden-tested in virtiofsd.test.ts: into the holder's namespace,
 * down to the user (no groups, no new privileges) and into a user namespace mapping only
 * them, then the daemon; root's own VMs skip the last two. `--rlimit-nofile=0`: raising the
 * limit needs a right the user namespace lacks.
 */
export function buildVirtiofsdArgv(holderPid: number, p: VirtiofsdPaths, user: Credentials | null, binary = VIRTIOFSD): string[] {
  const drop = user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--no-new-privs', '--', 'unshare', '--user', '--map-root-user', '--'] : [];
  return ['nsenter', `--target=${holderPid}`, '--mount', '--', ...drop, binary, `--socket-path=${p.socket}`, '-o', `source=${p.mountPoint}`, '-o', 'sandbox=namespace', '-o', 'cache=auto', '--rlimit-nofile=0'];
}

/** Whether a command line is a virtiofsd serving a socket in `runDir` (a VM's runtime dir). */
export function virtiofsdArgvIn(argv: readonly string[], runDir: string): boolean {
  const program = argv[0]?.split('/').pop();
  const socket = argv.find((a) => a.startsWith('--socket-path='))?.slice('--socket-path='.length);
  return program === 'virtiofsd' && socket !== undefined && socket.startsWith(`${runDir}/`);
}

export function virtiofsdsIn(runDir: string): Promise<RunningVirtiofsd[]> {
  return findProcesses((argv) => virtiofsdArgvIn(argv, runDir));
}

export interface VirtiofsdStart {
  share: VmShare;
  /** The folder as the guard opened it: the mount must be this very folder. */
  opened: { dev: number; ino: number };
  paths: VirtiofsdPaths;
  runner: ProcessRunner;
  user: Credentials | null;
  readyTimeoutMs: number;
  signal: AbortSignal;
  vmName: string;
}

/** virtiofsd listening on its socket with the share mounted in its namespace, or a clear failure; nothing left behind on failure. */
export async function startVirtiofsd(o: VirtiofsdStart): Promise<RunningVirtiofsd> {
  const what = `share ${o.share.tag} of VM ${o.vmName}`;
  // Kept between runs: removing a folder another namespace mounts on would detach that mount.
  await mkdir(o.paths.mountPoint, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const mp = await lstat(o.paths.mountPoint);
  if (!mp.isDirectory() || mp.uid !== 0) throw new NovaError('failed_precondition', `${what}: ${o.paths.mountPoint} is not the empty folder Nova made for it; remove it and start again`);
  await mkdir(VIRTIOFSD_LOCK_DIR, { recursive: true, mode: 0o755 });
  const holder: NamespaceHolder = await spawnCatHolder(o.runner, mountHolderArgv());
  try {
    await holder.ready(STEP_TIMEOUT_MS);
    for (const argv of shareMountArgvs(holder.pid, o.share.source, o.paths, o.share.readOnly, o.user)) {
      await o.runner.run({ argv, timeoutMs: STEP_TIMEOUT_MS, signal: o.signal, what: `mounting the folder of ${what}` });
    }
    // The name was looked up again by mount: only the folder that was checked may be served.
    const mounted = await stat(`/proc/${holder.pid}/root${o.paths.mountPoint}`);
    if (mounted.dev !== o.opened.dev || mounted.ino !== o.opened.ino) {
      throw new NovaError('failed_precondition', `${what}: the folder ${o.share.source} changed while it was being shared (replaced or linked elsewhere); start the VM again`);
    }
    const running = await spawnDaemon(o, holder.pid);
    await holder.release(STEP_TIMEOUT_MS).catch(() => holder.kill());
    return running;
  } catch (err) {
    holder.kill();
    throw err;
  }
}

async function spawnDaemon(o: VirtiofsdStart, holderPid: number): Promise<RunningVirtiofsd> {
  const what = `share ${o.share.tag} of VM ${o.vmName}`;
  const log = await open(o.paths.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  let child;
  try {
    child = await o.runner.spawnDetached({ argv: buildVirtiofsdArgv(holderPid, o.paths, o.user), stdio: ['ignore', log.fd, log.fd] });
  } finally {
    await log.close();
  }
  child.unref();
  const pid = child.pid!;
  const startTime = await processStartTime(pid);
  const failed = async (why: string) => new NovaError('internal', `${what} did not start: virtiofsd ${why}; it said: ${await tailFile(o.paths.logFile)}`);
  if (!startTime) throw await failed('exited at once');
  const running = { pid, startTime };
  const deadline = Date.now() + o.readyTimeoutMs;
  for (;;) {
    if ((await lstat(o.paths.socket).catch(() => null))?.isSocket()) return running;
    if (!(await isAlive(pid, startTime))) throw await failed('exited before its socket was ready');
    if (o.signal.aborted || Date.now() > deadline) {
      await stopVirtiofsd(running);
      if (o.signal.aborted) throw new NovaError('cancelled', `start of VM ${o.vmName} was cancelled while its shared folders were set up`);
      throw new NovaError('timeout', `${what} did not start: virtiofsd's socket ${o.paths.socket} was not there within ${o.readyTimeoutMs} ms`);
    }
    await sleep(10);
  }
}

export function stopVirtiofsd(p: RunningVirtiofsd): Promise<void> {
  return stopCompanion(p, 'virtiofsd');
}

/** Stops every virtiofsd serving a socket in `runDir`; returns the pids stopped. Their mounts go with their namespaces. */
export async function stopVirtiofsdsIn(runDir: string): Promise<number[]> {
  return stopCompanions(await virtiofsdsIn(runDir), 'virtiofsd');
}

/** A share's files in the VM's runtime dir and folder. */
export function virtiofsdPaths(runDir: string, vmDir: string, tag: string): VirtiofsdPaths {
  return { socket: join(runDir, `fs-${tag}.sock`), mountPoint: join(vmDir, `fs-${tag}`), logFile: join(vmDir, `virtiofsd-${tag}.log`) };
}
