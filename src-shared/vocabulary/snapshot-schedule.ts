// When scheduled snapshots are taken: "hourly" (on the hour), "daily" (at 00:00) or
// "daily HH:MM", "weekly" (Monday 00:00) or "weekly DAY [HH:MM]"; times are local.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export type SnapshotSchedule =
  | { every: 'hour' }
  | { every: 'day'; hour: number; minute: number }
  /** weekday: 0 = Sunday, as Date.getDay() counts. */
  | { every: 'week'; weekday: number; hour: number; minute: number };

const HELP = 'use "hourly", "daily", "daily 02:00", "weekly" or "weekly sun 03:00"';

function parseTime(text: string | undefined): Parsed<{ hour: number; minute: number }> {
  if (text === undefined) return ok({ hour: 0, minute: 0 });
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  const hour = Number(m?.[1]);
  const minute = Number(m?.[2]);
  if (!m || hour > 23 || minute > 59) return fail(`${describeValue(text)} is not a time of day; write it as HH:MM, e.g. "02:00"`);
  return ok({ hour, minute });
}

export function parseSnapshotSchedule(text: string): Parsed<SnapshotSchedule> {
  const [word, ...rest] = text.trim().split(/\s+/);
  if (word === 'hourly' && rest.length === 0) return ok({ every: 'hour' });
  if (word === 'daily' && rest.length <= 1) {
    const time = parseTime(rest[0]);
    return time.ok ? ok({ every: 'day', ...time.value }) : time;
  }
  if (word === 'weekly' && rest.length <= 2) {
    const [day, clock] = rest[0] !== undefined && /^\d/.test(rest[0]) ? [undefined, rest[0]] : rest;
    const weekday = day === undefined ? 1 : WEEKDAYS.indexOf(day.toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number]);
    if (weekday < 0) return fail(`${describeValue(day)} is not a day of the week; use mon, tue, wed, thu, fri, sat or sun`);
    const time = parseTime(clock);
    return time.ok ? ok({ every: 'week', weekday, ...time.value }) : time;
  }
  return fail(`${describeValue(text)} is not a snapshot schedule; ${HELP}`);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The schedule as a NovaFile writes it; parseSnapshotSchedule reads it back as the same value. */
export function formatSnapshotSchedule(s: SnapshotSchedule): string {
  if (s.every === 'hour') return 'hourly';
  const clock = `${pad(s.hour)}:${pad(s.minute)}`;
  if (s.every === 'day') return s.hour === 0 && s.minute === 0 ? 'daily' : `daily ${clock}`;
  const day = WEEKDAYS[s.weekday] ?? 'mon';
  if (s.weekday === 1 && s.hour === 0 && s.minute === 0) return 'weekly';
  return `weekly ${day} ${clock}`;
}
