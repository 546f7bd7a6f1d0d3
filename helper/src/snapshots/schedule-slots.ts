// The moments a schedule owes a snapshot ("slots"), in local time as schedules are
// written, and the name a scheduled snapshot gets from its slot. Snapshot names allow
// neither ":" nor upper case for capsules, so the slot 2026-12-06 02:00 is
// `auto-2026-12-06-0200` for both kinds of guest.
import type { SnapshotSchedule } from '../../../src-shared/vocabulary/snapshot-schedule.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** The latest slot at or before `now`. */
export function latestSlot(schedule: SnapshotSchedule, now: Date): Date {
  if (schedule.every === 'hour') return new Date(now.getFullYear(), now.getMonth(), now.getDate(), now.getHours(), 0);
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate(), schedule.hour, schedule.minute);
  if (schedule.every === 'day') return today <= now ? today : new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1, schedule.hour, schedule.minute);
  const back = (now.getDay() - schedule.weekday + 7) % 7;
  const slot = new Date(now.getFullYear(), now.getMonth(), now.getDate() - back, schedule.hour, schedule.minute);
  return slot <= now ? slot : new Date(slot.getFullYear(), slot.getMonth(), slot.getDate() - 7, schedule.hour, schedule.minute);
}

/** The first slot after `after`. */
export function nextSlot(schedule: SnapshotSchedule, after: Date): Date {
  const last = latestSlot(schedule, after);
  if (schedule.every === 'hour') return new Date(last.getFullYear(), last.getMonth(), last.getDate(), last.getHours() + 1, 0);
  const days = schedule.every === 'day' ? 1 : 7;
  return new Date(last.getFullYear(), last.getMonth(), last.getDate() + days, schedule.hour, schedule.minute);
}

export function scheduledSnapshotName(slot: Date): string {
  return `auto-${slot.getFullYear()}-${pad(slot.getMonth() + 1)}-${pad(slot.getDate())}-${pad(slot.getHours())}${pad(slot.getMinutes())}`;
}
