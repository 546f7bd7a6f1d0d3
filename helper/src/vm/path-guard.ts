// Paths from callers, resolved inside allowed roots: the real path (symlinks followed)
// must stay under a root, so a symlink pointing out of a root is refused, as is `..`.
// The helper sees files the caller may not: its refusals say the same whether a path
// outside the roots exists or not, and never where a link leads.
import { lstat, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';

function within(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

export class PathGuard {
  private readonly roots: string[];

  constructor(roots: string[]) {
    this.roots = roots.map((r) => resolve(r));
  }

  /** Returns the real path of an existing regular file under an allowed root. */
  async existingFile(what: string, path: string): Promise<string> {
    if (!isAbsolute(path)) throw new NovaError('invalid_argument', `${what} ${path}: give an absolute path`);
    const lexical = resolve(path);
    // A root may be given through a link (/srv -> /data/srv): both spellings count.
    const realRoots = await Promise.all(this.roots.map((r) => realpath(r).catch(() => r)));
    const root = [...this.roots, ...realRoots].find((r) => within(lexical, r));
    // Outside every root, the file system is not even asked about the path.
    if (!root) throw this.outside(what, path);
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      // Missing in a plain folder of the root is the caller's typo; past a link, it could
      // be the link's target outside, whose existence is not the caller's to learn.
      if (await this.passesALink(root, lexical)) throw this.outside(what, path);
      throw new NovaError('not_found', `${what} ${path} does not exist`);
    }
    if (!realRoots.some((r) => within(real, r))) throw this.outside(what, path);
    const st = await stat(real);
    if (!st.isFile()) throw new NovaError('invalid_argument', `${what} ${path} is not a regular file`);
    return real;
  }

  private outside(what: string, path: string): NovaError {
    return new NovaError(
      'invalid_argument',
      `${what} ${path} is outside the allowed folders, or a symbolic link on its way leads out of them; allowed: ${this.roots.join(', ')}`,
    );
  }

  /** Whether a component below `root` up to the first missing one is a symbolic link. */
  private async passesALink(root: string, lexical: string): Promise<boolean> {
    let at = root;
    for (const part of relative(root, lexical).split(sep).filter(Boolean)) {
      at = `${at}${at.endsWith(sep) ? '' : sep}${part}`;
      const st = await lstat(at).catch(() => null);
      if (!st) return false;
      if (st.isSymbolicLink()) return true;
    }
    return false;
  }
}
