import { describe, expect, it } from 'vitest';
import { defaultSnapshotName, formatAgo, formatDuration } from './format-time.js';

describe('time wording', () => {
  it('formats durations at the precision a person needs', () => {
    expect(formatDuration(420)).toBe('420 ms');
    expect(formatDuration(3140)).toBe('3.1 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
  });

  it('says how long ago, never in the future', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(formatAgo(now + 5_000, now)).toBe('just now');
    expect(formatAgo(now - 12_000, now)).toBe('12 s ago');
    expect(formatAgo(now - 3 * 60_000, now)).toBe('3 min ago');
    expect(formatAgo(now - 5 * 3_600_000, now)).toBe('5 h ago');
    expect(formatAgo(now - 49 * 3_600_000, now)).toBe('2 d ago');
  });
});

describe('defaultSnapshotName', () => {
  it('names a snapshot after the local time it was proposed, zero-padded so names sort by time', () => {
    expect(defaultSnapshotName(new Date(2026, 0, 5, 7, 8, 9))).toBe('snap-20260105-070809');
  });
});
