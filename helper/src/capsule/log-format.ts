// The two formats a capsule's log files hold, one record per line: conmon's k8s-file
// (`TIME STREAM P|F TEXT`, where P marks a piece of a line conmon read in parts) and the
// JSON lines of Nova's former C shim, still found in capsules logged before conmon.
// Pure: capsule-logs.ts reads the files and turns records into lines.

export type LogStream = 'stdout' | 'stderr';

/** One record of the log file, as stored. */
export type LogRecord =
  | { kind: 'k8s'; at: string; stream: LogStream; partial: boolean; text: string }
  | { kind: 'legacy'; seq: number; at: string; stream: LogStream; text: string };

/** A shim line: `{"n":SEQ,"t":ISO,"s":STREAM,"m":TEXT}`. */
interface LegacyLine {
  n: number;
  t: string;
  s: LogStream;
  m: string;
}

/** Lines longer than this are cut into pieces, as the shim cut them. */
export const MAX_LINE_BYTES = 16 * 1024;

const K8S_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF]) /;

/** conmon's RFC 3339 time with nanoseconds and the host's offset, as ISO 8601 UTC with milliseconds. */
export function isoFromK8sTime(time: string): string | null {
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function parseLegacy(line: string): LogRecord | null {
  try {
    const v = JSON.parse(line) as Partial<LegacyLine>;
    if (typeof v.n !== 'number' || typeof v.t !== 'string' || (v.s !== 'stdout' && v.s !== 'stderr') || typeof v.m !== 'string') return null;
    return { kind: 'legacy', seq: v.n, at: v.t, stream: v.s, text: v.m };
  } catch {
    return null;
  }
}

/** One line of a log file (without its newline); null for anything that is not a record. */
export function parseLogRecord(line: string): LogRecord | null {
  if (line.startsWith('{')) return parseLegacy(line);
  const m = K8S_LINE.exec(line);
  if (!m) return null;
  const at = isoFromK8sTime(m[1]!);
  if (!at) return null;
  return { kind: 'k8s', at, stream: m[2] as LogStream, partial: m[3] === 'P', text: line.slice(m[0].length) };
}

/** A k8s-file record as conmon writes it (tests and fixtures). */
export function formatK8sRecord(at: Date, stream: LogStream, text: string, partial = false): string {
  return `${at.toISOString().replace('Z', '000000+00:00')} ${stream} ${partial ? 'P' : 'F'} ${text}\n`;
}

/** A shim line as the former C shim wrote it (tests of old logs). */
export function formatLegacyRecord(seq: number, at: Date, stream: LogStream, text: string): string {
  const l: LegacyLine = { n: seq, t: at.toISOString(), s: stream, m: text };
  return `${JSON.stringify(l)}\n`;
}
