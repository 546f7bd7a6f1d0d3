// Durations as people write them for health checks and timeouts: "500ms", "10s", "2m",
// "1h", or parts run together ("1m30s"), parsed to milliseconds.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A day: longer than any wait Nova makes, so a larger value is a slip (a missing unit). */
export const DURATION_MAX_MS = 86_400_000;

export function parseDuration(text: string): Parsed<number> {
  const help = 'write it as "500ms", "10s", "2m" or "1m30s"';
  if (!/^(\d+(ms|s|m|h))+$/.test(text)) {
    if (/^\d+$/.test(text)) return fail(`${describeValue(text)} has no unit; ${help}`);
    return fail(`${describeValue(text)} is not a duration; ${help}`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0);
  if (total > DURATION_MAX_MS) return fail(`${describeValue(text)} is longer than a day; ${help}`);
  return ok(total);
}

/** "1m30s", "500ms", "0s": the shortest text that parses back to `ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
