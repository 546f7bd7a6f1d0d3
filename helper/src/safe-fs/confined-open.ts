// Opening files a caller (or an image) can influence, as root, without being turned
// against the host: the path is walked one component at a time from a trusted folder,
// each step opened relative to the previous one's descriptor (through /proc/self/fd, the
// way openat(2) would) with O_NOFOLLOW, so no symlink and no "..", anywhere in the path,
// is ever followed, and a rename or swap during the walk cannot redirect it. The last
// component is opened non-blocking (a FIFO never stalls a thread) and must be the kind of
// file asked for. What the caller gets is a descriptor: read it, hand it to a child as
// /proc/self/fd/N or stdin, never reopen the path.
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK, O_NOCTTY } = constants;

export type ConfinedKind = 'file' | 'directory';

export interface ConfinedOpenOptions {
  /** What the last component must be (default a regular file). */
  kind?: ConfinedKind;
  /** Words for messages: "the disk to import". */
  what?: string;
}

/** The path's components below `root`, or an error when it is not inside it. */
export function componentsBelow(root: string, path: string, what = 'the path'): string[] {
  if (!isAbsolute(path)) throw new NovaError('invalid_argument', `${what} must be an absolute path, not ${JSON.stringify(path)}`);
  const rel = relative(root, path);
  if (rel === '') return [];
  const parts = rel.split(sep);
  if (rel.startsWith('..') || isAbsolute(rel) || parts.some((p) => p === '..' || p === '.' || p === '')) {
    throw new NovaError('invalid_argument', `${what} ${JSON.stringify(path)} is outside ${root}`);
  }
  return parts;
}

function refused(what: string, path: string, why: string): NovaError {
  return new NovaError('invalid_argument', `${what} ${JSON.stringify(path)} ${why}`, { path });
}

/** Opens one directory component below an open directory, never following a link. */
export async function stepInto(dir: FileHandle, name: string): Promise<FileHandle> {
  return open(`/proc/self/fd/${dir.fd}/${name}`, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY);
}

/** Walks to the folder holding the last component; the caller closes what it gets. */
export async function walkToParent(root: string, parts: readonly string[], what: string, path: string): Promise<FileHandle> {
  // The root itself is the administrator's (an --allowed-root, the state dir): trusted as named.
  let dir = await open(root, O_RDONLY | O_DIRECTORY | O_NOCTTY).catch((err: NodeJS.ErrnoException) => {
    throw new NovaError('not_found', `${what}: the folder ${root} cannot be opened (${err.code ?? err.message})`);
  });
  try {
    for (const name of parts.slice(0, -1)) {
      const next = await stepInto(dir, name).catch((err: NodeJS.ErrnoException) => {
        throw stepError(err, what, path);
      });
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (err) {
    await dir.close().catch(() => undefined);
    throw err;
  }
}

export function stepError(err: NodeJS.ErrnoException, what: string, path: string): NovaError {
  switch (err.code) {
    case 'ELOOP':
    case 'ENOTDIR':
      // Never say where a link points: the caller may not be allowed to know.
      return refused(what, path, 'goes through a symbolic link or a file that is not a folder; Nova follows no links in paths it opens for callers');
    case 'ENOENT':
      return new NovaError('not_found', `${what} ${JSON.stringify(path)} does not exist`, { path });
    case 'EACCES':
      return new NovaError('not_authorized', `${what} ${JSON.stringify(path)} cannot be opened`, { path });
    default:
      return new NovaError('internal', `${what} ${JSON.stringify(path)} cannot be opened (${err.code ?? err.message})`, { path });
  }
}

function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'a special file';
}

/**
 * Opens `path`, which must lie inside `root`, for reading: no link followed anywhere,
 * never blocking, and only the kind of file asked for.
 */
export async function openConfined(root: string, path: string, opts: ConfinedOpenOptions = {}): Promise<{ handle: FileHandle; stats: Stats }> {
  const what = opts.what ?? 'the file';
  const kind = opts.kind ?? 'file';
  const parts = componentsBelow(root, path, what);
  if (parts.length === 0) {
    if (kind !== 'directory') throw refused(what, path, 'is a folder, not a file');
    const handle = await open(root, O_RDONLY | O_DIRECTORY | O_NOCTTY);
    return { handle, stats: await handle.stat() };
  }
  const parent = await walkToParent(root, parts, what, path);
  let handle: FileHandle;
  try {
    const last = parts[parts.length - 1]!;
    const flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | (kind === 'directory' ? O_DIRECTORY : 0);
    handle = await open(`/proc/self/fd/${parent.fd}/${last}`, flags).catch((err: NodeJS.ErrnoException) => {
      throw stepError(err, what, path);
    });
  } finally {
    await parent.close();
  }
  try {
    const stats = await handle.stat();
    const ok = kind === 'directory' ? stats.isDirectory() : stats.isFile();
    if (!ok) throw refused(what, path, `is ${kindOf(stats)}, not ${kind === 'directory' ? 'a folder' : 'a regular file'}`);
    return { handle, stats };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** Creates a new file at `path` inside `root` (which the helper owns): never through a link, never over an existing file. */
export async function createConfined(root: string, path: string, mode = 0o600, what = 'the file'): Promise<FileHandle> {
  const parts = componentsBelow(root, path, what);
  if (parts.length === 0) throw refused(what, path, 'is the folder itself');
  const parent = await walkToParent(root, parts, what, path);
  try {
    return await open(`/proc/self/fd/${parent.fd}/${parts[parts.length - 1]!}`, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, mode).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw refused(what, path, 'already exists');
        throw stepError(err, what, path);
      },
    );
  } finally {
    await parent.close();
  }
}

/** The first of `roots` that holds `path` (lexically), or an error naming none of the others. */
export function rootOf(roots: readonly string[], path: string, what = 'the path'): string {
  for (const root of roots) {
    const rel = relative(root, path);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return root;
  }
  throw new NovaError('invalid_argument', `${what} ${JSON.stringify(path)} is not inside a folder Nova may use (${roots.join(', ')})`, { path });
}
