// Durable writes for the state dir: temp file, fsync, rename, fsync the directory,
// so a crash at any instant leaves either the old file or the new one, never half.
// A temporary left by a crash is named so the start-up sweep knows it for Nova's own.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `.NAME.<12 hex>.tmp` beside NAME: what a writer killed mid-way leaves. */
export const ATOMIC_TEMPORARY = /^\..+\.[0-9a-f]{12}\.tmp$/;

export type AtomicWriteStep = 'write' | 'fsync' | 'rename';

/**
 * The fault-injection seam of the crash tests: called before each step, a throw stands
 * for that step failing (ENOSPC on write, EIO on fsync, EXDEV on rename). Null in use.
 */
export const atomicWriteFaults: { before: ((step: AtomicWriteStep, path: string) => void) | null } = { before: null };

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(tmp, 'wx', mode);
  try {
    atomicWriteFaults.before?.('write', path);
    await file.writeFile(data);
    atomicWriteFaults.before?.('fsync', path);
    await file.sync();
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await file.close();
  try {
    atomicWriteFaults.before?.('rename', path);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', mode);
}
