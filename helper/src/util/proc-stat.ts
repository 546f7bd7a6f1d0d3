// Process identity from /proc: a pid alone can be reused, a pid with its start time
// (field 22 of /proc/PID/stat, in clock ticks since boot) cannot. One rule says whether a
// recorded process lives: it exists, it is not a zombie (state Z or X: dead, only waiting
// for a parent that may reap it late or never), and its start time is the recorded one.
// The helper's pidfile, QEMU's runtime records and capsule monitors all ask it.
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcStat {
  state: string;
  startTime: string;
}

/** State (field 3) and start time (field 22) of a /proc/PID/stat line; the command name (field 2) may hold spaces and parentheses. */
export function parseStat(stat: string): ProcStat | null {
  const close = stat.lastIndexOf(')');
  if (close === -1) return null;
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const state = fields[0];
  const start = fields[19];
  return state && start && /^\d+$/.test(start) ? { state, startTime: start } : null;
}

export function parseStartTime(stat: string): string | null {
  return parseStat(stat)?.startTime ?? null;
}

/** The identity and liveness rule itself, on a stat already read. */
export function isLiving(stat: ProcStat | null, startTime: string): boolean {
  return stat !== null && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

export async function readStat(pid: number, procRoot = '/proc'): Promise<ProcStat | null> {
  try {
    return parseStat(await readFile(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** For paths that must not yield (a capsule run's end is read on the start-to-exit path). */
export function readStatSync(pid: number, procRoot = '/proc'): ProcStat | null {
  try {
    return parseStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

export async function processStartTime(pid: number, procRoot = '/proc'): Promise<string | null> {
  return (await readStat(pid, procRoot))?.startTime ?? null;
}

/** True when pid is alive, not a zombie, and still the same process (same start time). */
export async function isSameProcess(pid: number, startTime: string, procRoot = '/proc'): Promise<boolean> {
  return isLiving(await readStat(pid, procRoot), startTime);
}

export function isSameProcessSync(pid: number, startTime: string, procRoot = '/proc'): boolean {
  return isLiving(readStatSync(pid, procRoot), startTime);
}

export async function processCmdline(pid: number, procRoot = '/proc'): Promise<string[] | null> {
  try {
    const raw = await readFile(`${procRoot}/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s) => s.length > 0);
  } catch {
    return null;
  }
}

/**
 * Living processes whose command line `matches`, with their identity; a scan of /proc, for
 * finding what no record names. Read synchronously: /proc's small files come from the
 * kernel at once, and a few hundred of them take milliseconds this way but a hundred or
 * more through the thread pool.
 */
export async function findProcesses(matches: (argv: string[]) => boolean, procRoot = '/proc'): Promise<Array<{ pid: number; startTime: string }>> {
  const found: Array<{ pid: number; startTime: string }> = [];
  const entries = await readdir(procRoot).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let argv: string[];
    try {
      argv = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s.length > 0);
    } catch {
      continue;
    }
    if (!matches(argv)) continue;
    const stat = readStatSync(pid, procRoot);
    if (stat && isLiving(stat, stat.startTime)) found.push({ pid, startTime: stat.startTime });
  }
  return found;
}

/** The argument after `flag` in a command line read from /proc, or null. */
export function flagValue(argv: readonly string[], flag: string): string | null {
  const i = argv.indexOf(flag);
  return i === -1 ? null : (argv[i + 1] ?? null);
}
