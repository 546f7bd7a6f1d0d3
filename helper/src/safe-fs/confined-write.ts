// Changing files below a trusted folder as root without being turned against the host:
// the sibling of confined-open.ts for writes. Every step walks from the trusted folder
// by descriptor with O_NOFOLLOW, and what changes is changed through a descriptor
// (fchown, fchmod) or by a name that is never followed (mkdir, unlink, rmdir), so a link
// a caller planted, before or during the change, is refused or removed as a link.
import type { Stats } from 'node:fs';
import { mkdir, readdir, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { NovaError, isNovaError } from '../../../src-shared/errors.js';
import { componentsBelow, createConfined, openConfined, stepError, stepInto, walkToParent } from './confined-open.js';

export interface Owner {
  uid: number;
  gid: number;
}

export const ROOT_OWNER: Owner = { uid: 0, gid: 0 };

/** A folder nested deeper than this below what is removed is not Nova's doing; removal stops there. */
const MAX_REMOVE_DEPTH = 16;
/** A name that changes kind this many times while it is removed is being fought over. */
const MAX_REMOVE_ATTEMPTS = 3;

/** The name `name` inside the open folder `dir`, resolved by the kernel from the descriptor. */
function at(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

function lastOf(root: string, path: string, what: string): string[] {
  const parts = componentsBelow(root, path, what);
  if (parts.length === 0) throw new NovaError('invalid_argument', `${what} ${JSON.stringify(path)} is the trusted folder itself`, { path });
  return parts;
}

async function inParent<T>(root: string, path: string, what: string, work: (parent: FileHandle, name: string) => Promise<T>): Promise<T> {
  const parts = lastOf(root, path, what);
  const parent = await walkToParent(root, parts, what, path);
  try {
    return await work(parent, parts[parts.length - 1]!);
  } finally {
    await parent.close();
  }
}

export interface ClaimOptions {
  /** The folder's mode; by default its current one without group and other write. */
  mode?: number;
  /** Who owns it afterwards (default root). */
  owner?: Owner;
  what?: string;
}

/**
 * Makes `path` (inside `root`) a folder owned by `owner` with `mode`: made when missing,
 * taken back by descriptor when someone else owns it, refused when a link or a file
 * stands in its place. Returns whether it was made now.
 */
export async function claimFolder(root: string, path: string, opts: ClaimOptions = {}): Promise<boolean> {
  const what = opts.what ?? 'the folder';
  const owner = opts.owner ?? ROOT_OWNER;
  return inParent(root, path, what, async (parent, name) => {
    const made = await mkdir(at(parent, name), { mode: 0o700 }).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') return false;
        throw stepError(err, what, path);
      },
    );
    const dir = await stepInto(parent, name).catch((err: NodeJS.ErrnoException) => {
      throw stepError(err, what, path);
    });
    try {
      const st = await dir.stat();
      // Owner first: once it is root's again, its former owner can no longer change its mode.
      if (st.uid !== owner.uid || st.gid !== owner.gid) await dir.chown(owner.uid, owner.gid);
      const mode = opts.mode ?? st.mode & 0o7777 & ~0o022;
      if ((st.mode & 0o7777) !== mode) await dir.chmod(mode);
      return made;
    } finally {
      await dir.close();
    }
  });
}

/**
 * Gives an existing regular file to `owner` with `mode`, through a descriptor opened
 * without following links. A file with more than one name is refused: a second name
 * could be a root file linked in where the caller once could write.
 */
export async function chownConfined(root: string, path: string, owner: Owner, mode: number, what = 'the file'): Promise<void> {
  const { handle, stats } = await openConfined(root, path, { what });
  try {
    refuseOtherNames(stats, what, path);
    if (stats.uid !== owner.uid || stats.gid !== owner.gid) await handle.chown(owner.uid, owner.gid);
    if ((stats.mode & 0o7777) !== mode) await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/** Checks, without changing it, that `path` is a regular file of one name inside `root`. */
export async function checkConfinedFile(root: string, path: string, what = 'the file'): Promise<Stats> {
  const { handle, stats } = await openConfined(root, path, { what });
  await handle.close();
  refuseOtherNames(stats, what, path);
  return stats;
}

function refuseOtherNames(stats: Stats, what: string, path: string): void {
  if (stats.nlink !== 1) {
    throw new NovaError('failed_precondition', `${what} ${JSON.stringify(path)} has ${stats.nlink} names (hard links); Nova gives away only files with one name`, { path });
  }
}

/** A new file at `path` inside `root` holding `data`: never through a link, never over an existing file. */
export async function writeConfined(root: string, path: string, data: string | Uint8Array, mode = 0o600, what = 'the file'): Promise<void> {
  const handle = await createConfined(root, path, mode, what);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

/**
 * Removes `path` inside `root`, with everything below it when it is a folder, following
 * no link: a folder swapped for a link half-way is removed as the link. Missing is fine.
 */
export async function removeConfined(root: string, path: string, what = 'the file'): Promise<void> {
  try {
    await inParent(root, path, what, (parent, name) => removeEntry(parent, name, 0, what, path));
  } catch (err) {
    if (isNovaError(err, 'not_found')) return;
    throw err;
  }
}

async function removeEntry(dir: FileHandle, name: string, depth: number, what: string, path: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_REMOVE_ATTEMPTS; attempt++) {
    // unlink(2) never follows the last component: a link goes, its target stays.
    const unlinked = await unlink(at(dir, name)).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return true;
        if (err.code === 'EISDIR' || err.code === 'EPERM') return false;
        throw stepError(err, what, path);
      },
    );
    if (unlinked) return;
    if (depth >= MAX_REMOVE_DEPTH) throw new NovaError('failed_precondition', `${what} ${JSON.stringify(path)} nests folders deeper than ${MAX_REMOVE_DEPTH}; Nova removes none that deep`, { path });
    const sub = await stepInto(dir, name).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ELOOP' || err.code === 'ENOTDIR') return null; // gone, or swapped: unlink again
      throw stepError(err, what, path);
    });
    if (sub) {
      try {
        for (const entry of await readdir(`/proc/self/fd/${sub.fd}`)) await removeEntry(sub, entry, depth + 1, what, path);
      } finally {
        await sub.close();
      }
    }
    const removed = await rmdir(at(dir, name)).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return true;
        if (err.code === 'ENOTEMPTY' || err.code === 'ENOTDIR') return false;
        throw stepError(err, what, path);
      },
    );
    if (removed) return;
  }
  throw new NovaError('failed_precondition', `${what} ${JSON.stringify(path)} kept changing while Nova removed it`, { path });
}
