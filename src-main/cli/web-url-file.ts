// Where a running `nova web` leaves its address for `nova web --print-url`: a file only
// its owner can read, in a folder only its owner can enter ($XDG_RUNTIME_DIR, else the
// temp dir), one per port. So a browser that lost the token (a restart, a bookmark) gets
// it back from a terminal of the same user, and no other user, nor a command line in
// /proc, ever sees it. A folder that is not ours and private is never trusted.
import { chmodSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function webUrlDir(baseDir = process.env.XDG_RUNTIME_DIR || tmpdir(), uid = process.getuid?.() ?? 0): string {
  return join(baseDir, `nova-web-urls-${uid}`);
}

/** Refuses a folder someone else made or could write: it could hand us their address. */
function checkPrivate(dir: string): void {
  const st = lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private folder of this user; remove it and start nova web again`);
  }
}

function fileFor(dir: string, port: number): string {
  return join(dir, `web-${port}.url`);
}

/** Leaves `url` for --print-url; returns how to remove it when nova web ends. */
export function writeWebUrl(port: number, url: string, dir = webUrlDir()): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  checkPrivate(dir);
  const file = fileFor(dir, port);
  writeFileSync(file, `${url}\n`, { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

/** The address the nova web on `port` left, or null when none runs there (for this user). */
export function readWebUrl(port: number, dir = webUrlDir()): string | null {
  try {
    checkPrivate(dir);
    return readFileSync(fileFor(dir, port), 'utf8').trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
