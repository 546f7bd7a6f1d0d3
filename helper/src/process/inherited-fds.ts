// File descriptors the helper inherited from whoever started it (a shell, a test runner)
// that are not close-on-exec: every child would inherit them too. Everything Node and
// the helper open themselves is close-on-exec, so these are exactly what to close, once,
// at start-up, before any child is spawned.
import { closeSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** The fds above 2 of this process that a child would inherit. */
export function inheritableFds(procSelf = '/proc/self'): number[] {
  const out: number[] = [];
  for (const entry of readdirSync(`${procSelf}/fdinfo`)) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    let info: string;
    try {
      info = readFileSync(`${procSelf}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // the fd readdir itself used, already closed
    }
    const flags = /^flags:\s+([0-7]+)$/m.exec(info)?.[1];
    if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) out.push(fd);
  }
  return out;
}

/** Closes every inheritable fd above 2; returns the ones it closed. */
export function closeInheritedFds(): number[] {
  const fds = inheritableFds();
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // gone already
    }
  }
  return fds;
}
