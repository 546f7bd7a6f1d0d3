// Process identity from /proc: a pid alone can be reused, a pid with its start
// time (field 22 of /proc/PID/stat, in clock ticks since boot) cannot.
import { readFile } from 'node:fs/promises';

export async function processStartTime(pid: number, procRoot = '/proc'): Promise<string | null> {
  try {
    const stat = await readFile(`${procRoot}/${pid}/stat`, 'utf8');
    return parseStartTime(stat);
  } catch {
    return null;
  }
}

/** Field 22 of a /proc/PID/stat line; the command name (field 2) may contain spaces and parentheses. */
export function parseStartTime(stat: string): string | null {
  const close = stat.lastIndexOf(')');
  if (close === -1) return null;
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const start = fields[19];
  return start && /^\d+$/.test(start) ? start : null;
}

/** True when pid is alive and still the same process (same start time). */
export async function isSameProcess(pid: number, startTime: string, procRoot = '/proc'): Promise<boolean> {
  return (await processStartTime(pid, procRoot)) === startTime;
}

export async function processCmdline(pid: number, procRoot = '/proc'): Promise<string[] | null> {
  try {
    const raw = await readFile(`${procRoot}/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s) => s.length > 0);
  } catch {
    return null;
  }
}
