// The log view's pure model: pages from `capsule.logs` merged by their seq (a follow
// page that overlaps the last one adds nothing twice), a bounded buffer that drops the
// oldest lines, the search filter and the time ranges the view offers as `since`.
import type { CapsuleLogPage } from '../../../src-shared/api/capsule-api.js';

export type LogEntry = CapsuleLogPage['lines'][number];

/** Lines kept in the page; older ones are dropped (the helper still has them). */
export const MAX_LOG_LINES = 5000;

export interface LogBuffer {
  readonly lines: readonly LogEntry[];
  /** What to pass as `afterSeq` next: -1 before the first line. */
  readonly cursor: number;
  /** Lines dropped from the front to stay within the bound. */
  readonly dropped: number;
}

export const EMPTY_LOG: LogBuffer = { lines: [], cursor: -1, dropped: 0 };

export function mergeLogPage(buffer: LogBuffer, page: CapsuleLogPage, max = MAX_LOG_LINES): LogBuffer {
  const lastSeq = buffer.lines.at(-1)?.seq ?? buffer.cursor;
  const fresh = page.lines.filter((l) => l.seq > lastSeq).sort((a, b) => a.seq - b.seq);
  const cursor = Math.max(buffer.cursor, page.cursor, fresh.at(-1)?.seq ?? -1);
  if (fresh.length === 0) return cursor === buffer.cursor ? buffer : { ...buffer, cursor };
  const all = [...buffer.lines, ...fresh];
  const cut = Math.max(0, all.length - max);
  return { lines: cut > 0 ? all.slice(cut) : all, cursor, dropped: buffer.dropped + cut };
}

/** Lines whose text holds every word of the query, case-insensitively; all lines for an empty query. */
export function filterLogLines(lines: readonly LogEntry[], query: string): readonly LogEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return lines;
  return lines.filter((l) => {
    const text = l.text.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

export const LOG_RANGES = [
  { id: '5m', label: '5 min', ms: 5 * 60_000 },
  { id: '1h', label: '1 hour', ms: 3600_000 },
  { id: '1d', label: '1 day', ms: 86_400_000 },
  { id: 'all', label: 'All', ms: null },
] as const;
export type LogRange = (typeof LOG_RANGES)[number]['id'];

/** The `since` of a range as ISO 8601, or undefined for all of the log. */
export function sinceForRange(range: LogRange, now: number): string | undefined {
  const ms = LOG_RANGES.find((r) => r.id === range)?.ms ?? null;
  return ms === null ? undefined : new Date(now - ms).toISOString();
}
