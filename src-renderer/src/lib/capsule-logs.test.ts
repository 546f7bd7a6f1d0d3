import { describe, expect, it } from 'vitest';
import { EMPTY_LOG, filterLogLines, mergeLogPage, sinceForRange, type LogEntry } from './capsule-logs.js';

const line = (seq: number, text = `line ${seq}`): LogEntry => ({ seq, at: '2026-01-01T00:00:00Z', stream: 'stdout', text });

describe('mergeLogPage', () => {
  it('appends a first page and takes its cursor', () => {
    const b = mergeLogPage(EMPTY_LOG, { lines: [line(0), line(1)], cursor: 1 });
    expect(b.lines.map((l) => l.seq)).toEqual([0, 1]);
    expect(b.cursor).toBe(1);
  });

  it('drops lines it already has when pages overlap, and sorts the new ones', () => {
    const a = mergeLogPage(EMPTY_LOG, { lines: [line(0), line(1), line(2)], cursor: 2 });
    const b = mergeLogPage(a, { lines: [line(4), line(2), line(3)], cursor: 4 });
    expect(b.lines.map((l) => l.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(b.cursor).toBe(4);
  });

  it('returns the same buffer for an empty follow page at the same cursor', () => {
    const a = mergeLogPage(EMPTY_LOG, { lines: [line(5)], cursor: 5 });
    expect(mergeLogPage(a, { lines: [], cursor: 5 })).toBe(a);
  });

  it('keeps a cursor from an empty page so the follow does not go back', () => {
    const b = mergeLogPage(EMPTY_LOG, { lines: [], cursor: 7 });
    expect(b.cursor).toBe(7);
    expect(mergeLogPage(b, { lines: [line(3)], cursor: 3 }).lines).toEqual([]);
  });

  it('keeps only the newest lines and counts what it dropped', () => {
    let b = EMPTY_LOG;
    for (let i = 0; i < 5; i++) b = mergeLogPage(b, { lines: [line(i * 2), line(i * 2 + 1)], cursor: i * 2 + 1 }, 3);
    expect(b.lines.map((l) => l.seq)).toEqual([7, 8, 9]);
    expect(b.dropped).toBe(7);
  });
});

describe('filterLogLines', () => {
  const lines = [line(0, 'GET /index 200'), line(1, 'POST /login 500'), line(2, 'get /health 200')];
  it('matches every word, ignoring case', () => {
    expect(filterLogLines(lines, 'get 200').map((l) => l.seq)).toEqual([0, 2]);
    expect(filterLogLines(lines, '  ')).toBe(lines);
    expect(filterLogLines(lines, 'nothing')).toEqual([]);
  });
});

describe('sinceForRange', () => {
  it('is the range before now, or nothing for all', () => {
    const now = Date.parse('2026-01-01T01:00:00Z');
    expect(sinceForRange('1h', now)).toBe('2026-01-01T00:00:00.000Z');
    expect(sinceForRange('5m', now)).toBe('2026-01-01T00:55:00.000Z');
    expect(sinceForRange('all', now)).toBeUndefined();
  });
});
