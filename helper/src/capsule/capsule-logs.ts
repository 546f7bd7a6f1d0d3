// Reading a capsule's rotated log files (written by the shim as JSON lines): oldest file
// first, filtered by time or by sequence number (for follow), the last N lines.
import { open, readFile, type FileHandle } from 'node:fs/promises';
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

/** How much of a log file's end is read at a time when looking for its last line. */
const TAIL_CHUNK = 64 * 1024;

/**
 * The sequence number of the last complete line of a log file, reading back from its end
 * (a start must not read megabytes of logs); null when the file has none.
 */
async function lastSeqIn(file: string): Promise<number | null> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch {
    return null;
  }
  try {
    let end = (await fh.stat()).size;
    // Bytes after the last newline seen: the next chunk back ends with them.
    let rest = Buffer.alloc(0);
    while (end > 0) {
      const start = Math.max(0, end - TAIL_CHUNK);
      const chunk = Buffer.alloc(end - start);
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, start);
      const buf = Buffer.concat([chunk.subarray(0, bytesRead), rest]);
      // Whole lines only: every line but the first begins after a newline in this buffer
      // (the first may be cut by the chunk boundary, unless the chunk starts the file).
      let stop = buf.length;
      for (let nl = buf.lastIndexOf(0x0a, stop - 1); nl >= 0 || start === 0; nl = buf.lastIndexOf(0x0a, stop - 1)) {
        const l = parseStoredLine(buf.subarray(nl + 1, stop).toString('utf8'));
        if (l) return l.n;
        if (nl < 0) break;
        stop = nl;
      }
      rest = buf.subarray(0, stop);
      end = start;
    }
    return null;
  } finally {
    await fh.close();
  }
}

/** The next sequence number for a new shim run: one past the newest line kept. */
export async function nextLogSeq(logFile: string): Promise<number> {
  const last = (await lastSeqIn(logFile)) ?? (await lastSeqIn(`${logFile}.1`));
  return last === null ? 0 : last + 1;
}
