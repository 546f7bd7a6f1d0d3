// Reading and writing a NovaFile for the Projects page. Main runs as the user, so the
// kernel decides what it may read or write; this adds what the user would not check by
// eye: only a regular .toml file (never a FIFO or a device that would block main, and
// never the user's other files, should a page be subverted into asking), a size cap, and
// a save that is all or nothing and keeps the file's mode.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { NovaError } from '../../src-shared/errors.js';
import { NOVAFILE_TEXT_MAX_CHARS } from '../../src-shared/novafile.js';
import { NOVAFILE_NAME } from './novafile/novafile-parser.js';

/** UTF-8 takes at most 3 bytes per UTF-16 unit zod counts, so this cap never refuses text the API takes. */
const MAX_BYTES = NOVAFILE_TEXT_MAX_CHARS * 3;

function fsError(p: string, err: unknown, doing: string): NovaError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new NovaError('not_found', `${p}: no such file or folder; give the path of a NovaFile or of the folder that holds ${NOVAFILE_NAME}`, { path: p });
  if (code === 'EACCES' || code === 'EPERM') return new NovaError('not_authorized', `${p}: you may not ${doing} it (${code}); check its owner and mode`, { path: p });
  return new NovaError('invalid_argument', `${p}: cannot ${doing} it (${err instanceof Error ? err.message : String(err)})`, { path: p });
}

/** A folder means its NovaFile.toml; anything else must be a .toml file. */
export async function resolveNovaFilePath(given: string): Promise<string> {
  const p = path.resolve(given);
  const s = await stat(p).catch((err: unknown) => {
    throw fsError(p, err, 'read');
  });
  if (s.isDirectory()) return path.join(p, NOVAFILE_NAME);
  if (!p.endsWith('.toml')) throw new NovaError('invalid_argument', `${p} is not a .toml file; a NovaFile is named like ${NOVAFILE_NAME}`, { path: p });
  return p;
}

export async function readNovaFileText(given: string): Promise<{ file: string; text: string }> {
  const file = await resolveNovaFilePath(given);
  // O_NONBLOCK: opening a FIFO must not hang main while the check below refuses it.
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch((err: unknown) => {
    throw fsError(file, err, 'read');
  });
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw new NovaError('invalid_argument', `${file} is not a regular file; a NovaFile is a plain text file`, { path: file });
    if (s.size > MAX_BYTES) throw new NovaError('invalid_argument', `${file} is ${s.size} bytes; a NovaFile may be at most ${MAX_BYTES} bytes`, { path: file });
    return { file, text: await fh.readFile({ encoding: 'utf8' }) };
  } finally {
    await fh.close();
  }
}

/** Replaces an existing NovaFile atomically: a temp file beside it, flushed, then renamed over it. */
export async function writeNovaFileText(file: string, text: string): Promise<void> {
  const before = await stat(file).catch((err: unknown) => {
    throw fsError(file, err, 'write');
  });
  if (!before.isFile()) throw new NovaError('invalid_argument', `${file} is not a regular file; only an existing NovaFile is saved`, { path: file });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = before.mode & 0o7777;
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
      // The umask may have narrowed the mode at create.
      await fh.chmod(mode);
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err instanceof NovaError ? err : fsError(file, err, 'write');
  }
  const dir = await open(path.dirname(file), constants.O_RDONLY).catch(() => null);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}

/**
 * A new NovaFile (an exported one), never over an existing file: a folder means its
 * NovaFile.toml, anything else must be a .toml path in an existing folder. Returns the file.
 */
export async function createNovaFileText(given: string, text: string): Promise<string> {
  const p = path.resolve(given);
  const s = await stat(p).catch(() => null);
  const file = s?.isDirectory() ? path.join(p, NOVAFILE_NAME) : p;
  if (!file.endsWith('.toml')) throw new NovaError('invalid_argument', `${file} is not a .toml path; a NovaFile is named like ${NOVAFILE_NAME}`, { path: file });
  const fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new NovaError('already_exists', `${file} already exists; choose a new path (an export never writes over a file)`, { path: file });
    throw fsError(file, err, 'write');
  });
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  return file;
}
