// Lengths of time as people write them for "since" and "every": "90s", "5m", "1h",
// "7d", "1h30m", "2w". Returns milliseconds; a bare number is refused, since "5" could
// mean seconds or minutes and a guess would show the wrong history.
import { fail, ok, type Parsed } from './parsed.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const HELP = 'write a number with s, m, h, d or w (e.g. "90s", "1h", "1h30m", "7d")';

export function parseDuration(text: string): Parsed<number> {
  const t = text.trim().toLowerCase();
  if (!/^(\d+[smhdw])+$/.test(t)) return fail(`"${text}" is not a length of time: ${HELP}`);
  let ms = 0;
  for (const m of t.matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  if (ms <= 0) return fail(`"${text}" is no time at all: ${HELP}`);
  return ok(ms);
}

/** Back as text, in the largest units that divide it ("1h30m", "7d"). */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / 1000);
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out || '0s';
}
