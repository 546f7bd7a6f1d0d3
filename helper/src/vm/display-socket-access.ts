// Hands a root-run QEMU's consoles to the user who asked for them, so their unprivileged
// Nova can reach them: remote-viewer the SPICE socket, main's console proxy the serial and
// VNC sockets and the serial log it replays. Only that user: each file becomes theirs, 0600;
// the VM's run folder becomes search-only (0711, nothing listable); QMP (it controls a root
// process) is forced to root-only 0600 first. The log lives in the VM's root-only folder
// (beside its disks), so the user gets a second name for it in the run folder: a hard link.
// Nothing here may be turned on a root file: both folders must be root's (no one else can
// put a name in them), every file is checked by lstat for its kind, owners change by
// lchown (never through a link), and link(2) never follows the name it links.
import { chmod, lchown, link, lstat, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { blockedPath, type Credentials } from './run-as-user.js';

interface NodeStat {
  uid: number;
  mode: number;
  dev: number;
  ino: number;
  isSocket(): boolean;
  isDirectory(): boolean;
  isFile(): boolean;
}

export interface ConsoleFs {
  lstat: (path: string) => Promise<NodeStat>;
  /** Follows symlinks, as the kernel does for the caller's path lookup (for the reachability check). */
  stat: (path: string) => Promise<{ uid: number; gid: number; mode: number }>;
  chmod: (path: string, mode: number) => Promise<void>;
  /** Never follows a link (lchown). */
  chown: (path: string, uid: number, gid: number) => Promise<void>;
  link: (existing: string, newPath: string) => Promise<void>;
  unlink: (path: string) => Promise<void>;
}

const realFs: ConsoleFs = { lstat, stat, chmod, chown: lchown, link, unlink };

export interface VmConsoleFiles {
  /** The VM's run folder: every socket below sits directly in it. */
  runDir: string;
  /** The caller's consoles (SPICE, VNC, serial); a missing one (a VM without VNC) is skipped. */
  consoles: readonly string[];
  /** Sockets that stay root's whatever happens (QMP). */
  rootOnly: readonly string[];
  /** Where QEMU writes the serial log: the VM's own folder, which stays root-only. */
  serialLog: string;
}

export type GrantOutcome = 'granted' | 'not-needed' | 'not-root-owned';

export interface ConsoleGrant {
  outcome: GrantOutcome;
  /** Where this caller reads the serial log: its name in the run folder once handed over. */
  serialLog: string;
  /** Why the caller still cannot reach what it was given (a folder above, another file system), or null. */
  problem: string | null;
}

const OWNER_ONLY = 0o600;
const SEARCH_ONLY = 0o711;

/** The name the serial log gets in the run folder. */
export function serialLogLink(files: VmConsoleFiles): string {
  return join(files.runDir, basename(files.serialLog));
}

/**
 * The run folder must be root's (QEMU ran as root); a folder owned by a user means QEMU runs
 * as that user, whose own files are not ours to give away. Repeating it is cheap: a file
 * already the caller's with the right mode is left alone, and a later caller takes over.
 */
export async function grantConsoleAccess(files: VmConsoleFiles, who: Credentials, fs: ConsoleFs = realFs): Promise<ConsoleGrant> {
  const untouched = (outcome: GrantOutcome): ConsoleGrant => ({ outcome, serialLog: files.serialLog, problem: null });
  if (who.uid === 0) return untouched('not-needed');
  const dirSt = await fs.lstat(files.runDir);
  if (!dirSt.isDirectory()) throw new Error(`${files.runDir} is not a folder`);
  if (dirSt.uid !== 0) return untouched('not-root-owned');

  let changed = false;
  const giveToCaller = async (path: string, st: NodeStat): Promise<void> => {
    if (st.uid !== who.uid) await fs.chown(path, who.uid, who.gid);
    if (st.uid !== who.uid || (st.mode & 0o7777) !== OWNER_ONLY) await fs.chmod(path, OWNER_ONLY);
    changed ||= st.uid !== who.uid || (st.mode & 0o7777) !== OWNER_ONLY;
  };

  // Root-only first: the folder may already be open from an earlier hand-over.
  for (const path of files.rootOnly) {
    const st = await lstatOrNull(fs, path);
    if (st?.isSocket() && st.uid === 0 && (st.mode & 0o7777) !== OWNER_ONLY) await fs.chmod(path, OWNER_ONLY);
  }
  for (const path of files.consoles) {
    const st = await lstatOrNull(fs, path);
    if (!st) continue;
    if (!st.isSocket()) throw new Error(`${path} is not a socket`);
    await giveToCaller(path, st);
  }

  let serialLog = files.serialLog;
  let problem: string | null = null;
  const logDir = await lstatOrNull(fs, dirname(files.serialLog));
  // A VM folder an older Nova made over to a user is theirs to fill with names: no log from there.
  const logFolderIsRoots = logDir !== null && logDir.isDirectory() && logDir.uid === 0;
  if (!logFolderIsRoots) problem = `the serial log's folder ${dirname(files.serialLog)} is not root's, so its log is not handed over; start the VM again to have it taken back`;
  const log = logFolderIsRoots ? await lstatOrNull(fs, files.serialLog) : null;
  if (log) {
    if (!log.isFile()) throw new Error(`${files.serialLog} is not a regular file`);
    const linked = serialLogLink(files);
    const existing = await lstatOrNull(fs, linked);
    const sameFile = existing !== null && existing.dev === log.dev && existing.ino === log.ino;
    let reachable = sameFile;
    if (!sameFile) {
      // A stale name (another boot's log) is replaced; QEMU only ever writes the log by fd.
      if (existing) {
        await fs.unlink(linked).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
      try {
        await fs.link(files.serialLog, linked);
        reachable = true;
        changed = true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // EEXIST: a concurrent hand-over (the page and the console proxy ask at once) linked it first.
        const now = code === 'EEXIST' ? await lstatOrNull(fs, linked) : null;
        if (now && now.dev === log.dev && now.ino === log.ino) reachable = true;
        else if (code !== 'EXDEV') throw err;
        else problem = `the serial log ${files.serialLog} is on another file system than the run folder ${files.runDir}, so it cannot be linked there for this user: give the helper a --run-dir on the state dir's file system`;
      }
    }
    if (reachable) {
      await giveToCaller(linked, log);
      serialLog = linked;
    }
  }

  if ((dirSt.mode & 0o7777) !== SEARCH_ONLY) {
    await fs.chmod(files.runDir, SEARCH_ONLY);
    changed = true;
  }
  const blocked = await blockedPath(files.runDir, 'r', who, true, fs.stat);
  if (blocked) {
    const above = `uid ${who.uid} cannot reach the run folder ${files.runDir}: ${blocked}; make the folders above it searchable (0711) or give the helper another --run-dir`;
    problem = problem ? `${above}; also ${problem}` : above;
  }
  return { outcome: changed ? 'granted' : 'not-needed', serialLog, problem };
}

async function lstatOrNull(fs: ConsoleFs, path: string): Promise<NodeStat | null> {
  try {
    return await fs.lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
