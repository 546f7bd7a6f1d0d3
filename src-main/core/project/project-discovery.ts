// Which NovaFile a command means: the one given with -f, or NovaFile.toml in the current
// folder or the nearest parent that has one, as git finds its repository.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { NOVAFILE_NAME } from '../novafile/novafile-parser.js';

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** The explicit path as given (loadNovaFile reports it if missing), or the nearest NovaFile.toml upwards. */
export async function findNovaFile(cwd: string, explicit?: string): Promise<string> {
  if (explicit !== undefined) return path.resolve(cwd, explicit);
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, NOVAFILE_NAME);
    if (await isFile(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new NovaError('not_found', `no ${NOVAFILE_NAME} in ${path.resolve(cwd)} or any folder above it; run nova in a project folder, or pass -f FILE`, { path: cwd });
}
