// Metrics history as CSV, one row per point with an ISO UTC timestamp: the same columns
// and rounding from `nova stats --csv` and from a graph's export in the UI, and the one
// message both give for a guest that does not exist.
import type { MetricsPoint } from './api/metrics-api.js';

export interface CsvColumn {
  key: string;
  header: string;
  /** Decimal places kept; rates and byte counts are whole numbers. */
  digits: number;
}

export const METRICS_CSV_COLUMNS: readonly (CsvColumn & { key: keyof MetricsPoint })[] = [
  { key: 'cpuPercent', header: 'cpu_percent', digits: 2 },
  { key: 'rssBytes', header: 'memory_bytes', digits: 0 },
  { key: 'diskReadBps', header: 'disk_read_bps', digits: 0 },
  { key: 'diskWriteBps', header: 'disk_write_bps', digits: 0 },
  { key: 'netRxBps', header: 'net_rx_bps', digits: 0 },
  { key: 'netTxBps', header: 'net_tx_bps', digits: 0 },
];

/** The known column of a point's key, else the key in snake_case with two decimals. */
export function csvColumnFor(key: string): CsvColumn {
  return METRICS_CSV_COLUMNS.find((c) => c.key === key) ?? { key, header: key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), digits: 2 };
}

export function metricsCsv(points: readonly { t: number }[], columns: readonly CsvColumn[]): string {
  const cell = (p: object, c: CsvColumn) => {
    const v = (p as Record<string, unknown>)[c.key];
    return typeof v === 'number' && Number.isFinite(v) ? String(round(v, c.digits)) : '';
  };
  const rows = points.map((p) => [new Date(p.t).toISOString(), ...columns.map((c) => cell(p, c))].join(','));
  return [['time', ...columns.map((c) => c.header)].join(','), ...rows].join('\n') + '\n';
}

export function noSuchGuestMessage(name: string): string {
  return `There is no VM or capsule named "${name}" (see nova vm ls and nova capsule ls)`;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
