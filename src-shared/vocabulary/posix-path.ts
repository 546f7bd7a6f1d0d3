// Path text rules shared by volumes, working directories and NovaFile paths. Written by
// hand rather than with node:path because the renderer, which has no Node, checks them too.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

/** "/a//b/./c/" -> "/a/b/c", "a/../b" -> "b": posix.normalize for the paths Nova accepts. */
export function normalizePosixPath(text: string): string {
  const absolute = text.startsWith('/');
  const out: string[] = [];
  for (const segment of text.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (segment === '..' && absolute) continue;
    else out.push(segment);
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined === '' ? '.' : joined;
}

/** Why a path as written cannot be used (empty, NUL, "~" that nothing expands), or undefined. */
export function pathProblem(text: string): string | undefined {
  if (text === '') return 'the path is empty';
  if (text.includes('\0')) return 'the path contains a NUL character';
  if (text === '~' || text.startsWith('~/')) {
    return `${describeValue(text)} starts with "~", which Nova does not expand; write an absolute path or one relative to the NovaFile's folder`;
  }
  return undefined;
}

/** The longest path the kernel takes (PATH_MAX, with its NUL). */
export const PATH_MAX = 4095;

/**
 * A path to a file a caller names (a disk, an ISO, a kernel): as written, or refused when
 * nothing could open it. Where it may lead is the helper's to check when it opens it.
 */
export function parseFilePath(text: string): Parsed<string> {
  const problem = pathProblem(text) ?? (text.length > PATH_MAX ? `the path is ${text.length} characters long; Linux takes at most ${PATH_MAX}` : undefined);
  return problem ? fail(problem) : ok(text);
}

/** Whether a path climbs with ".." anywhere: refused where a path must stay inside a root. */
export function climbs(text: string): boolean {
  return text.split('/').includes('..');
}
