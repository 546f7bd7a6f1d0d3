// The source's send step of a cold move, for VMs and capsules alike: the parts streamed to
// the destination with progress in bytes, and the list of their files with checksums read
// side by side, which the destination's finish checks what arrived against.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MoveSent, MoveTarget } from '../../../src-shared/api/guest-move-api.js';
import type { OperationHandle } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { hashTree } from './file-manifest.js';
import { sendParts } from './move-sender.js';
import type { MovePart } from './move-stream.js';

/** The files of the parts streamed to `to`, and their list with checksums, read side by side. */
export async function sendAndList(runner: Pick<ProcessRunner, 'spawnDetached'>, parts: readonly MovePart[], to: MoveTarget, op: OperationHandle): Promise<MoveSent> {
  const total = await estimateBytes(parts);
  op.progress({ phase: `copying to ${to.host}`, bytesDone: 0, bytesTotal: total, fraction: 0 });
  const started = Date.now();
  const listing = (async () => (await Promise.all(parts.map((p) => hashTree(join(p.dir, p.entry), p.as, op.signal)))).flat())();
  listing.catch(() => undefined);
  const streamBytes = await sendParts(runner, to, parts, op.signal, (done) => op.progress({ bytesDone: done, bytesTotal: Math.max(total, done), fraction: total > 0 ? Math.min(1, done / total) : null }));
  op.progress({ phase: 'checksums of what was sent', cancellable: true });
  return { files: await listing, streamBytes, ms: Date.now() - started };
}

/** The bytes the stream will carry, about: what each file really holds on disk (holes are not sent). */
export async function estimateBytes(parts: readonly MovePart[]): Promise<number> {
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path);
    if (st.isFile()) total += Math.min(st.size, st.blocks * 512);
    else if (st.isDirectory()) {
      for (const e of await readdir(path)) await walk(join(path, e));
    }
  };
  for (const p of parts) await walk(join(p.dir, p.entry));
  return total;
}
