// One helper per state dir: a pidfile naming the owner by pid and start time, so a
// pid reused after a crash is never mistaken for a live helper.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { isSameProcess, processStartTime } from '../util/proc-stat.js';
import { writeJsonAtomic } from './atomic-write.js';

export async function claimStateDir(stateDir: string): Promise<() => Promise<void>> {
  const path = join(stateDir, 'helper.pid');
  try {
    const previous = JSON.parse(await readFile(path, 'utf8')) as { pid?: number; startTime?: string };
    if (
      typeof previous.pid === 'number' &&
      typeof previous.startTime === 'string' &&
      previous.pid !== process.pid &&
      (await isSameProcess(previous.pid, previous.startTime))
    ) {
      throw new NovaError(
        'already_exists',
        `State directory ${stateDir} is in use by a running helper (pid ${previous.pid})`,
      );
    }
  } catch (err) {
    if (err instanceof NovaError) throw err;
    // Missing or unreadable pidfile: nobody owns the directory.
  }
  const startTime = await processStartTime(process.pid);
  await writeJsonAtomic(path, { pid: process.pid, startTime });
  return async () => {
    await rm(path, { force: true });
  };
}
