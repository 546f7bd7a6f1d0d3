// Paths from callers, resolved inside allowed roots: the real path (symlinks followed)
// must stay under a root, so a symlink pointing out of a root is refused, as is `..`.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';

export class PathGuard {
  private readonly roots: string[];

  constructor(roots: string[]) {
    this.roots = roots.map((r) => resolve(r));
  }

  /** Returns the real path of an existing regular file under an allowed root. */
  async existingFile(what: string, path: string): Promise<string> {
    if (!isAbsolute(path)) throw new NovaError('invalid_argument', `${what} ${path}: give an absolute path`);
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw new NovaError('not_found', `${what} ${path} does not exist`);
    }
    const roots = await Promise.all(this.roots.map((r) => realpath(r).catch(() => r)));
    if (!roots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
      const via = real === resolve(path) ? '' : ` (it resolves to ${real})`;
      throw new NovaError(
        'invalid_argument',
        `${what} ${path} is outside the allowed folders${via}; allowed: ${this.roots.join(', ')}`,
      );
    }
    const st = await stat(real);
    if (!st.isFile()) throw new NovaError('invalid_argument', `${what} ${path} is not a regular file`);
    return real;
  }
}
