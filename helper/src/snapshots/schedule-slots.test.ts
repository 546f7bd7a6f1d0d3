import { describe, expect, it } from 'vitest';
import { latestSlot, nextSlot, scheduledSnapshotName } from './schedule-slots.js';

const t = (day: number, hour: number, minute = 0) => new Date(2026, 11, day, hour, minute);

describe('schedule slots', () => {
  it('hourly: on the hour', () => {
    expect(latestSlot({ every: 'hour' }, t(6, 10, 40))).toEqual(t(6, 10));
    expect(nextSlot({ every: 'hour' }, t(6, 23, 40))).toEqual(t(7, 0));
  });

  it('"daily 02:00": today once 02:00 has passed, else yesterday', () => {
    const daily = { every: 'day', hour: 2, minute: 0 } as const;
    expect(latestSlot(daily, t(6, 1, 59))).toEqual(t(5, 2));
    expect(latestSlot(daily, t(6, 2, 0))).toEqual(t(6, 2));
    expect(nextSlot(daily, t(6, 2, 0))).toEqual(t(7, 2));
  });

  it('weekly: the last such weekday (2026-12-06 is a Sunday)', () => {
    const monday = { every: 'week', weekday: 1, hour: 0, minute: 0 } as const;
    expect(latestSlot(monday, t(6, 12))).toEqual(new Date(2026, 10, 30, 0, 0));
    expect(latestSlot({ every: 'week', weekday: 0, hour: 3, minute: 30 }, t(6, 3, 29))).toEqual(new Date(2026, 10, 29, 3, 30));
    expect(nextSlot(monday, t(6, 12))).toEqual(t(7, 0));
  });

  it('names a scheduled snapshot after its slot, in a form both kinds of guest accept', () => {
    expect(scheduledSnapshotName(t(6, 2))).toBe('auto-2026-12-06-0200');
  });
});
