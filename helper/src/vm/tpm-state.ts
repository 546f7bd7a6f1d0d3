// The files of a VM's TPM (swtpm's tpm2-00.permall) and UEFI variables, moved only through
// safe-fs: the TPM folder is handed to the user swtpm runs as, so anything in it may have
// been planted there, and nothing in it is followed, copied through a link or given away
// with a second name.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chownConfined, claimFolder, removeConfined, writeConfined, type Owner } from '../safe-fs/confined-write.js';
import { openConfined } from '../safe-fs/confined-open.js';

/** The folder made (or taken back) for `owner`, its regular files theirs, anything else in it removed. */
export async function handOverTpmState(root: string, dir: string, owner: Owner, what: string): Promise<void> {
  await claimFolder(root, dir, { owner, mode: 0o700, what });
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile()) await chownConfined(root, path, owner, 0o600, `${what}: ${entry.name}`);
    else await removeConfined(root, path, `${what}: ${entry.name}`);
  }
}

/** A regular file's bytes read without following a link; null when it is absent. */
export async function readStateFile(root: string, path: string, what: string): Promise<Buffer | null> {
  const opened = await openConfined(root, path, { what }).catch((err: { code?: string }) => {
    if (err.code === 'not_found') return null;
    throw err;
  });
  if (!opened) return null;
  try {
    return await opened.handle.readFile();
  } finally {
    await opened.handle.close();
  }
}

/** `to` replaced by a copy of `from` (both inside `root`); `to` removed when `from` is absent. */
export async function copyStateFile(root: string, from: string, to: string, what: string): Promise<boolean> {
  const data = await readStateFile(root, from, what);
  await removeConfined(root, to, what);
  if (!data) return false;
  await writeConfined(root, to, data, 0o600, what);
  return true;
}

/** The regular files of folder `from` copied into a fresh folder `to` (root's); false when `from` is absent. */
export async function copyStateFolder(root: string, from: string, to: string, what: string): Promise<boolean> {
  const entries = await readdir(from, { withFileTypes: true }).catch(() => null);
  await removeConfined(root, to, what);
  if (!entries) return false;
  await claimFolder(root, to, { mode: 0o700, what });
  // `.lock` is swtpm's lock of a running instance, not state.
  for (const e of entries) if (e.isFile() && e.name !== '.lock') await copyStateFile(root, join(from, e.name), join(to, e.name), `${what}: ${e.name}`);
  return true;
}
