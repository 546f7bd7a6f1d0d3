// The host's CPU, memory, disk and network graphs from the helper's history (1 min to
// 30 days, kept across restarts), drawn with the same chart and range picker as a guest's.
import { useState } from 'react';
import type { MetricsPoint, MetricsRange } from '../../../../src-shared/api/metrics-api.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { MetricChart, type MetricChartDef } from '../../components/MetricChart.js';
import { MetricsRangePicker } from '../../components/MetricsRangePicker.js';
import { timeAxis } from '../../lib/metric-axes.js';
import { DASHBOARD_REFETCH_MS } from '../../lib/dashboard-summary.js';
import { useMetricsHistory } from '../../lib/use-metrics-history.js';
import { formatBytes, formatRate } from '../../lib/vm-format.js';

const HOST_CHARTS: Array<MetricChartDef<MetricsPoint>> = [
  { id: 'host-cpu', title: 'CPU', series: [{ key: 'cpuPercent', label: 'CPU' }], format: (v) => `${v.toFixed(0)}%` },
  { id: 'host-memory', title: 'Memory in use', series: [{ key: 'rssBytes', label: 'Memory' }], format: formatBytes },
  { id: 'host-disk', title: 'Disk', series: [{ key: 'diskReadBps', label: 'Read' }, { key: 'diskWriteBps', label: 'Write' }], format: formatRate },
  { id: 'host-network', title: 'Network', series: [{ key: 'netRxBps', label: 'Received' }, { key: 'netTxBps', label: 'Sent' }], format: formatRate },
];

/** The host's CPU is a share of all its cores together (the collector divides by them). */
const HOST_CPU_AXIS = { domain: [0, 100] as [number, number], ticks: [0, 25, 50, 75, 100] };

export function HostGraphs() {
  const [range, setRange] = useState<MetricsRange>('1m');
  const { history, error } = useMetricsHistory('host', range, 'host', DASHBOARD_REFETCH_MS);
  const points = history?.points ?? [];
  return (
    <section className="dash-panel dash-panel--wide" aria-labelledby="dash-host-title" data-method="host.metricsHistory" data-first={points[0]?.t} data-last={points.at(-1)?.t}>
      <div className="dash-panel__head">
        <h2 id="dash-host-title" className="dash-panel__title">
          Host
        </h2>
        <MetricsRangePicker range={range} onChange={setRange} />
      </div>
      {error && <ErrorPanel context="Could not read the host's metrics history" error={error} />}
      <div className="vm-graphs__grid">
        {HOST_CHARTS.map((chart) => (
          <MetricChart key={chart.id} chart={chart} points={points} x={timeAxis(range, points)} y={chart.id === 'host-cpu' ? HOST_CPU_AXIS : undefined} csvName={`host-${range}`} />
        ))}
      </div>
    </section>
  );
}
