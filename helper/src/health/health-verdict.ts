// The health verdict as a pure rule, so the monitor's timers and the rule are tested apart:
// `starting` until the first pass (failures inside the start period do not count),
// `healthy` after a pass, `unhealthy` after `retries` counted failures in a row.
import type { GuestHealth, HealthCheck } from '../../../src-shared/health.js';

/** One check's outcome; `line` is what a person reads ("exit 1: no such file", "connection refused"). */
export interface ProbeResult {
  ok: boolean;
  line: string;
}

/** The verdict a run begins with, before any check. */
export function initialHealth(nowMs: number): GuestHealth {
  return { status: 'starting', since: new Date(nowMs).toISOString(), failingStreak: 0, lastResult: null, lastCheckedAt: null };
}

const MAX_LINE = 512;

/** The verdict after `result`, checked at `nowMs` for a run started at `startedMs`. */
export function nextHealth(prev: GuestHealth, check: HealthCheck, result: ProbeResult, nowMs: number, startedMs: number): GuestHealth {
  const at = new Date(nowMs).toISOString();
  const inStartPeriod = prev.status === 'starting' && nowMs - startedMs < check.startPeriodMs;
  let line = result.line.replace(/\s+/g, ' ').trim();
  if (!result.ok && inStartPeriod) line += ' (in the start period: not counted)';
  if (line.length > MAX_LINE) line = `${line.slice(0, MAX_LINE - 1)}…`;
  const failingStreak = result.ok ? 0 : inStartPeriod ? prev.failingStreak : prev.failingStreak + 1;
  let status = prev.status;
  if (result.ok) status = 'healthy';
  else if (failingStreak >= check.retries) status = 'unhealthy';
  return { status, since: status === prev.status ? prev.since : at, failingStreak, lastResult: line, lastCheckedAt: at };
}

/** Whether the change is worth telling: a new status, or a failing streak that began or ended. */
export function healthNews(prev: GuestHealth, next: GuestHealth): boolean {
  return prev.status !== next.status || prev.failingStreak > 0 !== next.failingStreak > 0;
}
