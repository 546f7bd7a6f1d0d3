// One builder at a time per cache: a lock file holding the builder's pid, taken over
// when that pid is gone, so a builder killed half-way never blocks the next one.
import { open, readFile, rm, stat } from 'node:fs/promises';

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function withBuildLock(lockPath: string, waitMs: number, work: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx', 0o644);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
      const holder = Number(text);
      // An empty lock may be one whose creator has not written its pid yet.
      const fresh = text === '' && Date.now() - ((await stat(lockPath).catch(() => null))?.mtimeMs ?? 0) < 10_000;
      if (!fresh && (!Number.isInteger(holder) || holder <= 0 || !pidAlive(holder))) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`build lock ${lockPath} held by pid ${holder} for too long`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
