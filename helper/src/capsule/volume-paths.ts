// Volume sources are host paths a root daemon binds on a user's request, and their folders
// belong to that user, who can swap any part of the path for a symlink at any moment. So a
// source is never trusted as a path: it must lie inside an allowed root as written, and it
// is found by a walk from that root that follows no link (safe-fs/confined-open.ts), giving
// a descriptor of what is really there. volume-staging.ts binds that descriptor for a run.
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Volume } from '../../../src-shared/capsule.js';
import { NovaError } from '../../../src-shared/errors.js';
import { locateConfined, rootOf, withAllowedFolders } from '../safe-fs/confined-open.js';

/** Checks the path's text: absolute, no `.`/`..` segments, no empty segments. */
export function checkVolumePathText(path: string, what: string): void {
  if (!path.startsWith('/')) throw new NovaError('invalid_argument', `${what} "${path}" must be an absolute path`);
  if (path.includes('\0')) throw new NovaError('invalid_argument', `${what} contains a NUL byte`);
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.')) {
    throw new NovaError('invalid_argument', `${what} "${path}" contains a "." or ".." segment`);
  }
  if (path !== '/' && segments.some((s) => s === '')) {
    throw new NovaError('invalid_argument', `${what} "${path}" contains an empty segment`);
  }
}

/**
 * The volume's folder (or file), found from its root without following any link: a
 * descriptor that keeps naming it whatever happens to the path afterwards. The caller closes it.
 */
export async function locateVolume(volume: Volume, allowedRoots: readonly string[]): Promise<{ handle: FileHandle; stats: Stats }> {
  checkVolumePathText(volume.source, 'Volume source');
  checkVolumePathText(volume.target, 'Volume target');
  let root: string;
  try {
    root = rootOf(allowedRoots, volume.source, 'Volume source');
  } catch {
    throw new NovaError('invalid_argument', `Volume source "${volume.source}" is outside the allowed volume roots (${allowedRoots.join(', ')})`, { source: volume.source, path: volume.source, allowedFolders: allowedRoots });
  }
  return locateConfined(root, volume.source, 'Volume source').catch((err: unknown) => {
    throw withAllowedFolders(err, allowedRoots);
  });
}

/** Refuses a volume that could not be bound now (checked again, by descriptor, at each start). */
export async function checkVolume(volume: Volume, allowedRoots: readonly string[]): Promise<void> {
  const { handle } = await locateVolume(volume, allowedRoots);
  await handle.close();
}
