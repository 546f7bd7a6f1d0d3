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
import { isNovaError, NovaError } from '../../../src-shared/errors.js';

const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK, O_NOCTTY } = constants;
/** Linux's O_PATH (the generic value, x86 and arm alike); Node's constants leave it out. */
const O_PATH = 0o10000000;

export type ConfinedKind = 'file' | 'directory';

export interface ConfinedOpenOptions {
  /** What the last component must be (default a regular file). */
  kind?: ConfinedKind;
  /** Words for messages: "the disk to import". */
  what?: string;
  /** Open a regular file read-write (a disk handed to QEMU as a descriptor), not read-only. */
  writable?: boolean;
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

/** Opens the last of `parts` below `root` with `flags` (O_NOFOLLOW always), walking there without following links. */
async function openLast(root: string, parts: readonly string[], flags: number, what: string, path: string): Promise<FileHandle> {
  if (parts.length === 0) {
    return open(root, flags | O_DIRECTORY | O_NOCTTY).catch((err: NodeJS.ErrnoException) => {
      throw stepError(err, what, path);
    });
  }
  const parent = await walkToParent(root, parts, what, path);
  try {
    return await open(`/proc/self/fd/${parent.fd}/${parts[parts.length - 1]!}`, flags | O_NOFOLLOW | O_NOCTTY).catch((err: NodeJS.ErrnoException) => {
      throw stepError(err, what, path);
    });
  } finally {
    await parent.close();
  }
}

/** Checks what was opened, closing it when it is not what `ok` wants. */
async function checked(handle: FileHandle, ok: (st: Stats) => string | null, what: string, path: string): Promise<{ handle: FileHandle; stats: Stats }> {
  try {
    const stats = await handle.stat();
    const why = ok(stats);
    if (why) throw refused(what, path, why);
    return { handle, stats };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Opens `path`, which must lie inside `root`, for reading (or reading and writing): no
 * link followed anywhere, never blocking, and only the kind of file asked for.
 */
export async function openConfined(root: string, path: string, opts: ConfinedOpenOptions = {}): Promise<{ handle: FileHandle; stats: Stats }> {
  const what = opts.what ?? 'the file';
  const kind = opts.kind ?? 'file';
  const parts = componentsBelow(root, path, what);
  if (parts.length === 0 && kind !== 'directory') throw refused(what, path, 'is a folder, not a file');
  const access = opts.writable && kind === 'file' ? O_RDWR : O_RDONLY;
  const handle = await openLast(root, parts, access | O_NONBLOCK | (kind === 'directory' ? O_DIRECTORY : 0), what, path);
  return checked(handle, (st) => {
    const good = kind === 'directory' ? st.isDirectory() : st.isFile();
    return good ? null : `is ${kindOf(st)}, not ${kind === 'directory' ? 'a folder' : 'a regular file'}`;
  }, what, path);
}

/**
 * Finds `path` inside `root` the same way without opening it for I/O (O_PATH: no device
 * is touched, no FIFO waited on), for a folder or a regular file that is bound rather than
 * read: a mount of /proc/self/fd/N binds exactly what was found.
 */
export async function locateConfined(root: string, path: string, what = 'the path'): Promise<{ handle: FileHandle; stats: Stats }> {
  const parts = componentsBelow(root, path, what);
  const handle = await openLast(root, parts, O_PATH, what, path);
  return checked(handle, (st) => {
    // O_PATH | O_NOFOLLOW opens a link itself rather than failing.
    if (st.isSymbolicLink()) return 'is a symbolic link; Nova follows no links in paths it opens for callers';
    return st.isDirectory() || st.isFile() ? null : `is ${kindOf(st)}, not a folder or a regular file`;
  }, what, path);
}

/**
 * A small text file inside `root` (an image's etc/passwd), read whole through openConfined;
 * refused beyond `maxBytes`, so a huge file cannot take the helper's memory. Null when absent.
 */
export async function readConfined(root: string, path: string, maxBytes: number, what = 'the file'): Promise<string | null> {
  let opened: { handle: FileHandle; stats: Stats };
  try {
    opened = await openConfined(root, path, { what });
  } catch (err) {
    if (isNovaError(err, 'not_found')) return null;
    throw err;
  }
  const { handle, stats } = opened;
  try {
    if (stats.size > maxBytes) throw refused(what, path, `is larger than ${maxBytes} bytes`);
    // One byte more than allowed tells a file that grew since its stat.
    const buf = Buffer.alloc(maxBytes + 1);
    let used = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, used, buf.length - used, used);
      if (bytesRead === 0) break;
      used += bytesRead;
      if (used > maxBytes) throw refused(what, path, `is larger than ${maxBytes} bytes`);
    }
    return buf.subarray(0, used).toString('utf8');
  } finally {
    await handle.close();
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
  throw new NovaError('invalid_argument', `${what} ${JSON.stringify(path)} is not inside a folder Nova may use (${roots.join(', ')})`, { path, allowedFolders: roots });
}

/**
 * A path error with the folders the caller may name added to its details, so a surface
 * can say where to look instead of only that the path failed. Other errors pass as they are.
 */
export function withAllowedFolders(err: unknown, roots: readonly string[]): unknown {
  if (!(err instanceof NovaError) || typeof err.details !== 'object' || err.details === null || !('path' in err.details)) return err;
  return new NovaError(err.code, err.message, { ...err.details, allowedFolders: [...roots] });
}
