// Volume sources are host paths a root daemon bind-mounts on a user's request, so each
// must lie inside an allowed root once every symlink is resolved: a `..` segment or a
// symlink pointing out of its root is refused (the CVE-shaped mistakes of bind mounts).
import { realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Volume } from '../../../src-shared/capsule.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { ResolvedVolume } from './oci-config.js';

function within(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : root + '/');
}

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

export async function resolveVolume(volume: Volume, allowedRoots: readonly string[]): Promise<ResolvedVolume> {
  checkVolumePathText(volume.source, 'Volume source');
  checkVolumePathText(volume.target, 'Volume target');
  const roots: string[] = [];
  for (const r of allowedRoots) {
    const real = await realpath(r).catch(() => null);
    if (real) roots.push(real);
  }
  const root = roots.find((r) => within(r, posix.normalize(volume.source)));
  const named = allowedRoots.find((r) => within(r, volume.source));
  if (!root && !named) {
    throw new NovaError('invalid_argument', `Volume source "${volume.source}" is outside the allowed volume roots (${allowedRoots.join(', ')})`, {
      source: volume.source,
    });
  }
  const real = await realpath(volume.source).catch(() => null);
  if (real === null) throw new NovaError('not_found', `Volume source "${volume.source}" does not exist: create it first`);
  // The root the path names must also hold what it resolves to: a symlink out of it is refused.
  const namedReal = named ? await realpath(named).catch(() => null) : root;
  if (!namedReal || !within(namedReal, real)) {
    throw new NovaError('invalid_argument', `Volume source "${volume.source}" resolves to "${real}", outside its root: symlinks may not leave the volume root`, {
      source: volume.source,
      resolved: real,
    });
  }
  const st = await stat(real);
  if (!st.isDirectory() && !st.isFile()) throw new NovaError('invalid_argument', `Volume source "${volume.source}" is neither a directory nor a file`);
  return { source: real, target: volume.target, readOnly: volume.readOnly };
}
