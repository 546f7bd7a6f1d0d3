import { describe, expect, it } from 'vitest';
import { csvColumnFor, metricsCsv, METRICS_CSV_COLUMNS } from './metrics-csv.js';

const point = { t: Date.UTC(2026, 11, 6, 14, 0, 1), cpuPercent: 12.3456, rssBytes: 1048576, diskReadBps: 10.6, diskWriteBps: 0, netRxBps: 99.5, netTxBps: 1 };

describe('metrics CSV', () => {
  it('writes ISO UTC times and the columns asked for, rounded', () => {
    expect(metricsCsv([point], METRICS_CSV_COLUMNS)).toBe('time,cpu_percent,memory_bytes,disk_read_bps,disk_write_bps,net_rx_bps,net_tx_bps\n2026-12-06T14:00:01.000Z,12.35,1048576,11,0,100,1\n');
  });

  it('exports only the series given, naming unknown keys in snake_case', () => {
    const columns = [csvColumnFor('diskReadBps'), csvColumnFor('pidCount')];
    const rows: { t: number }[] = [{ t: point.t, diskReadBps: 5, pidCount: 3 } as { t: number }];
    expect(metricsCsv(rows, columns)).toBe('time,disk_read_bps,pid_count\n2026-12-06T14:00:01.000Z,5,3\n');
  });

  it('has a header and no rows for no points, and leaves a missing value empty', () => {
    expect(metricsCsv([], [csvColumnFor('cpuPercent')])).toBe('time,cpu_percent\n');
    expect(metricsCsv([{ t: point.t }], [csvColumnFor('cpuPercent')])).toBe('time,cpu_percent\n2026-12-06T14:00:01.000Z,\n');
  });
});
