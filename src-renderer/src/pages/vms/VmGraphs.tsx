// Live graphs of one VM: CPU, memory, disk and network over the last minute, hour or
// day, 7 or 30 days, from the helper's metrics history. CPU ends at 100 % per vCPU.
import { useState } from 'react';
import type { MetricsPoint, MetricsRange } from '../../../../src-shared/api/metrics-api.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { MetricsRangePicker } from '../../components/MetricsRangePicker.js';
import { MetricChart, type MetricChartDef } from '../../components/MetricChart.js';
import { cpuAxis, timeAxis } from '../../lib/metric-axes.js';
import { formatBytes, formatRate } from '../../lib/vm-format.js';
import { useMetricsHistory } from '../../lib/use-metrics-history.js';

const CHARTS: Array<MetricChartDef<MetricsPoint>> = [
  { id: 'cpu', title: 'CPU', series: [{ key: 'cpuPercent', label: 'CPU' }], format: (v) => `${v.toFixed(0)}%` },
  { id: 'memory', title: 'Memory (resident)', series: [{ key: 'rssBytes', label: 'Resident' }], format: formatBytes },
  { id: 'disk', title: 'Disk', series: [{ key: 'diskReadBps', label: 'Read' }, { key: 'diskWriteBps', label: 'Write' }], format: formatRate },
  { id: 'network', title: 'Network', series: [{ key: 'netRxBps', label: 'Received' }, { key: 'netTxBps', label: 'Sent' }], format: formatRate },
];

export function VmGraphs({ name, running, cpus }: { name: string; running: boolean; cpus: number }) {
  const [range, setRange] = useState<MetricsRange>('1m');
  const { history, error } = useMetricsHistory(name, range);
  const points = history?.points ?? [];
  const x = timeAxis(range, points);
  return (
    <div className="vm-graphs" data-method="vm.metricsHistory">
      <MetricsRangePicker range={range} onChange={setRange} />
      {error && <ErrorPanel context="Could not read the metrics history" error={error} />}
      {!running && points.length === 0 && <p className="muted">The VM is not running: graphs fill in once it runs.</p>}
      <div className="vm-graphs__grid">
        {CHARTS.map((chart) => (
          <MetricChart key={chart.id} chart={chart} points={points} x={x} y={chart.id === 'cpu' ? cpuAxis(cpus) : undefined} csvName={`vm-${name}-${range}`} />
        ))}
      </div>
    </div>
  );
}
