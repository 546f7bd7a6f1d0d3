// A capsule's writable layer as a btrfs subvolume, where the state dir is on btrfs: the
// exact `btrfs` argv (golden-tested), how a subvolume is recognised, and its removal. The
// capsule manager decides per capsule; layers elsewhere keep the archive snapshots.
import { lstat, readdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessRunner } from '../process/process-runner.js';

type Runner = Pick<ProcessRunner, 'run'>;

/** statfs(2) f_type of btrfs (BTRFS_SUPER_MAGIC). */
export const BTRFS_SUPER_MAGIC = 0x9123683e;
/**
 * The inode number of every subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID): with the
 * filesystem type, this is how libbtrfsutil's btrfs_util_is_subvolume tells one, no ioctl needed.
 */
const SUBVOLUME_ROOT_INO = 256;
const BTRFS_TIMEOUT_MS = 60_000;

export function subvolumeCreateArgv(path: string): string[] {
  return ['btrfs', 'subvolume', 'create', path];
}

/** Read-only for a snapshot kept aside; writable for the layer a restore makes from one. */
export function subvolumeSnapshotArgv(source: string, target: string, readOnly: boolean): string[] {
  return ['btrfs', 'subvolume', 'snapshot', ...(readOnly ? ['-r'] : []), source, target];
}

export function subvolumeDeleteArgv(paths: readonly string[]): string[] {
  return ['btrfs', 'subvolume', 'delete', ...paths];
}

export async function isOnBtrfs(path: string): Promise<boolean> {
  try {
    return (await statfs(path)).type === BTRFS_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/** Whether `path` is the root of a btrfs subvolume (a symlink or a missing path is not). */
export async function isSubvolume(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => null);
  if (!st?.isDirectory() || st.ino !== SUBVOLUME_ROOT_INO) return false;
  return isOnBtrfs(path);
}

export async function createSubvolume(runner: Runner, path: string): Promise<void> {
  await runner.run({ argv: subvolumeCreateArgv(path), timeoutMs: BTRFS_TIMEOUT_MS });
}

export async function snapshotSubvolume(runner: Runner, source: string, target: string, readOnly: boolean): Promise<void> {
  await runner.run({ argv: subvolumeSnapshotArgv(source, target, readOnly), timeoutMs: BTRFS_TIMEOUT_MS });
}

/**
 * Deletes those of `paths` that are subvolumes, deepest first (a subvolume holding another
 * cannot go first), in one `btrfs` call. Read-only snapshots cannot be emptied by `rm`, and
 * rmdir of a subvolume is refused by older kernels: this is the one way that always works.
 */
export async function deleteSubvolumes(runner: Runner, paths: readonly string[]): Promise<void> {
  const found: string[] = [];
  for (const p of paths) if (await isSubvolume(p)) found.push(p);
  if (found.length === 0) return;
  found.sort((a, b) => b.length - a.length);
  await runner.run({ argv: subvolumeDeleteArgv(found), timeoutMs: BTRFS_TIMEOUT_MS });
}

/** The directories in `dir` (one level), where a capsule keeps its btrfs snapshots. */
export async function childDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

/** Removes a tree that may hold the given subvolumes: those first, then the rest. */
export async function removeTree(runner: Runner, dir: string, subvolumes: readonly string[]): Promise<void> {
  await deleteSubvolumes(runner, subvolumes);
  await rm(dir, { recursive: true, force: true });
}
