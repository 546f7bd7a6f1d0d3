// The axes every metrics graph shares, so a VM's, a capsule's and the host's read alike:
// time runs over the whole chosen range (not just the points there are) with clock-time
// labels, and CPU, counted in percent of one core as `top` does, ends at 100 % per core
// the guest may use, with the same ticks for a VM's vCPUs and a capsule's CPU limit.
import type { MetricsRange } from '../../../src-shared/api/metrics-api.js';

export interface TimeAxis {
  readonly domain: [number, number];
  readonly ticks: number[];
  readonly format: (t: number) => string;
}

export interface ValueAxis {
  readonly domain: [number, number];
  readonly ticks: number[];
}

export const RANGE_SPAN_MS: Record<MetricsRange, number> = {
  '1m': 60_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

const TIME_TICKS = 5;

/** Clock time for a minute to a day, dates beyond; seconds only where a minute is shown. */
export function clockFormat(range: MetricsRange): (t: number) => string {
  return (t) => {
    const d = new Date(t);
    if (range === '7d') return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false })}`;
    if (range === '30d') return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
    return d.toLocaleTimeString([], range === '1m' ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false } : { hour: '2-digit', minute: '2-digit', hour12: false });
  };
}

/** The chosen range, ending at the newest point (or now when there is none). */
export function timeAxis(range: MetricsRange, points: readonly { t: number }[], now = Date.now()): TimeAxis {
  const end = points.at(-1)?.t ?? now;
  const span = RANGE_SPAN_MS[range];
  const ticks = Array.from({ length: TIME_TICKS }, (_, i) => end - span + (span * i) / (TIME_TICKS - 1));
  return { domain: [end - span, end], ticks, format: clockFormat(range) };
}

/** Live samples cover what they cover: from the first to the newest, by the second. */
export function liveTimeAxis(points: readonly { t: number }[], now = Date.now()): TimeAxis {
  const end = points.at(-1)?.t ?? now;
  const start = Math.min(points[0]?.t ?? end - 60_000, end - 1_000);
  const ticks = Array.from({ length: TIME_TICKS }, (_, i) => start + ((end - start) * i) / (TIME_TICKS - 1));
  return { domain: [start, end], ticks, format: clockFormat('1m') };
}

/** 0 to 100 % per core (a fractional limit rounds up to the core it runs on). */
export function cpuAxis(cores: number): ValueAxis {
  const top = 100 * Math.max(1, Math.ceil(cores));
  return { domain: [0, top], ticks: [0, top / 4, top / 2, (3 * top) / 4, top] };
}
