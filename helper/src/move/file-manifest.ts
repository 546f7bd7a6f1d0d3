// What a cold move copied, file by file: each regular file's size and SHA-256, read by the
// source from what it sends and by the destination from what it unpacked. The destination
// makes the guest only when the two lists are the same.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { MovedFile } from '../../../src-shared/api/guest-move-api.js';

/** Every regular file under `path` (itself, when it is one), named from `as`; links and devices carry no data to check. */
export async function hashTree(path: string, as: string, signal?: AbortSignal): Promise<MovedFile[]> {
  const st = await lstat(path);
  if (st.isFile()) return [{ path: as, bytes: st.size, sha256: await hashFile(path, signal) }];
  if (!st.isDirectory()) return [];
  const out: MovedFile[] = [];
  for (const name of (await readdir(path)).sort()) {
    signal?.throwIfAborted();
    out.push(...(await hashTree(join(path, name), `${as}/${name}`, signal)));
  }
  return out;
}

async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** How what arrived differs from what was sent, one line per file; empty when it is whole. */
export function manifestProblems(sent: readonly MovedFile[], arrived: readonly MovedFile[]): string[] {
  const got = new Map(arrived.map((f) => [f.path, f]));
  const problems: string[] = [];
  for (const f of sent) {
    const a = got.get(f.path);
    if (!a) problems.push(`${f.path} did not arrive`);
    else if (a.bytes !== f.bytes) problems.push(`${f.path} has ${a.bytes} bytes here, ${f.bytes} at the source`);
    else if (a.sha256 !== f.sha256) problems.push(`${f.path} differs from the source's (SHA-256)`);
    got.delete(f.path);
  }
  for (const path of got.keys()) problems.push(`${path} arrived but the source did not list it`);
  return problems;
}

/** Throws unless what arrived is exactly what was sent. */
export function requireWhole(what: string, sent: readonly MovedFile[], arrived: readonly MovedFile[]): void {
  const problems = manifestProblems(sent, arrived);
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
  throw new NovaError('failed_precondition', `${what} did not arrive whole: ${shown}`, { problems: problems.slice(0, 50) });
}
