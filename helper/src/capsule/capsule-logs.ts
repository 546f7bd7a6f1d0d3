// Reading a capsule's rotated log files (written by the shim as JSON lines): oldest file
// first, filtered by time or by sequence number (for follow), the last N lines.
import { readFile } from 'node:fs/promises';
import type { LogLine } from '../../../src-shared/capsule.js';
import type { StoredLogLine } from './shim-protocol.js';

export interface LogQuery {
  /** Only lines at or after this time. */
  since?: Date;
  /** Only lines with a sequence number above this (a follow cursor). */
  afterSeq?: number;
  /** At most this many lines, the newest. */
  tail?: number;
}

export interface LogPage {
  lines: (LogLine & { seq: number })[];
  /** Pass back as afterSeq to get only newer lines. */
  cursor: number;
}

export function parseStoredLine(text: string): StoredLogLine | null {
  try {
    const v = JSON.parse(text) as Partial<StoredLogLine>;
    if (typeof v.n !== 'number' || typeof v.t !== 'string' || (v.s !== 'stdout' && v.s !== 'stderr') || typeof v.m !== 'string') return null;
    return v as StoredLogLine;
  } catch {
    return null;
  }
}

export async function readLogs(logFile: string, maxFiles: number, q: LogQuery): Promise<LogPage> {
  const files = [...Array.from({ length: maxFiles - 1 }, (_, i) => `${logFile}.${maxFiles - 1 - i}`), logFile];
  const out: LogPage['lines'] = [];
  let cursor = q.afterSeq ?? -1;
  const sinceMs = q.since?.getTime();
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      const l = parseStoredLine(raw);
      if (!l) continue;
      cursor = Math.max(cursor, l.n);
      if (q.afterSeq !== undefined && l.n <= q.afterSeq) continue;
      if (sinceMs !== undefined && Date.parse(l.t) < sinceMs) continue;
      out.push({ seq: l.n, at: l.t, stream: l.s, text: l.m });
    }
  }
  const lines = q.tail !== undefined ? out.slice(Math.max(0, out.length - q.tail)) : out;
  return { lines, cursor };
}

/** The next sequence number for a new shim run: one past the newest line kept. */
export async function nextLogSeq(logFile: string): Promise<number> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const lines = text.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = parseStoredLine(lines[i] ?? '');
    if (l) return l.n + 1;
  }
  const rotated = await readFile(`${logFile}.1`, 'utf8').catch(() => '');
  const last = rotated.trimEnd().split('\n').pop();
  const l = last ? parseStoredLine(last) : null;
  return l ? l.n + 1 : 0;
}
