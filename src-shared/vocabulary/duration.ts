// Durations as people write them: "500ms", "10s", "2m", "1h", "7d", "2w", or parts run
// together ("1m30s"), parsed to milliseconds. A bare number is refused, since "5" could
// mean seconds or minutes and a guess would wait for, or show, the wrong length of time.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const HELP = 'write a number with a unit: ms, s, m, h, d or w (e.g. "90s", "500ms", "1m30s", "7d")';

/** A day: longer than any wait Nova makes, so a larger wait is a slip (a missing unit). */
export const DURATION_MAX_MS = 86_400_000;

export interface DurationLimits {
  /** The longest accepted, in milliseconds. */
  max?: number;
  /** Refuse "0s": for lengths that must span some time ("the last 0s" shows nothing). */
  positive?: boolean;
}

export function parseDuration(text: string, limits: DurationLimits = {}): Parsed<number> {
  const t = text.trim().toLowerCase();
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(t)) {
    if (/^\d+$/.test(t)) return fail(`${describeValue(text)} has no unit; ${HELP}`);
    return fail(`${describeValue(text)} is not a duration; ${HELP}`);
  }
  let total = 0;
  for (const [, amount, unit] of t.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0);
  if (limits.positive && total === 0) return fail(`${describeValue(text)} is no time at all; ${HELP}`);
  if (limits.max !== undefined && total > limits.max) return fail(`${describeValue(text)} is longer than ${formatDuration(limits.max)}; ${HELP}`);
  return ok(total);
}

/** A wait Nova makes (health checks, timeouts): at most a day. */
export function parseWaitDuration(text: string): Parsed<number> {
  return parseDuration(text, { max: DURATION_MAX_MS });
}

/** Back as text in the largest units that divide it ("1m30s", "500ms", "7d"); "0s" for none. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out || '0s';
}
