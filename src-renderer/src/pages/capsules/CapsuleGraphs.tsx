// Graphs of one capsule: CPU, memory, block IO and network from the helper's metrics
// history (1 min to 30 days, kept across restarts), and the process count from the
// section's live cgroup samples, taken every few seconds while the section is open.
import { useState } from 'react';
import { useStore } from 'zustand';
import type { MetricsPoint, MetricsRange } from '../../../../src-shared/api/metrics-api.js';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { MetricChart, type MetricChartDef } from '../../components/MetricChart.js';
import { MetricsRangePicker } from '../../components/MetricsRangePicker.js';
import { cpuAxis, liveTimeAxis, timeAxis } from '../../lib/metric-axes.js';
import { isCapsuleLive } from '../../lib/capsule-format.js';
import { useMetricsHistory } from '../../lib/use-metrics-history.js';
import { formatBytes, formatRate } from '../../lib/vm-format.js';
import { CAPSULE_SAMPLE_SECONDS, type CapsulePoint } from '../../stores/capsule-store.js';
import { useCapsuleStore } from './capsule-context.js';

const HISTORY_CHARTS: Array<MetricChartDef<MetricsPoint>> = [
  { id: 'cpu', title: 'CPU', series: [{ key: 'cpuPercent', label: 'CPU' }], format: (v) => `${v.toFixed(0)}%` },
  { id: 'memory', title: 'Memory', series: [{ key: 'rssBytes', label: 'Memory' }], format: formatBytes },
  { id: 'io', title: 'Block IO', series: [{ key: 'diskReadBps', label: 'Read' }, { key: 'diskWriteBps', label: 'Write' }], format: formatRate },
  { id: 'network', title: 'Network', series: [{ key: 'netRxBps', label: 'Received' }, { key: 'netTxBps', label: 'Sent' }], format: formatRate },
];

const PIDS_CHART: MetricChartDef<CapsulePoint> = { id: 'pids', title: 'Processes', series: [{ key: 'pids', label: 'Processes' }], format: (v) => v.toFixed(0) };

/**
 * The CPUs a capsule may use: its limit, else every CPU of the host. The page runs on
 * the helper's host (Electron beside it, web mode on loopback), so the browser's count is the host's.
 */
const capsuleCores = (cpus: number | undefined) => cpus ?? (navigator.hardwareConcurrency || 1);

export function CapsuleGraphs({ capsule }: { capsule: Capsule }) {
  const store = useCapsuleStore();
  const [range, setRange] = useState<MetricsRange>('1m');
  const { history, error } = useMetricsHistory(capsule.name, range, 'capsule');
  const points = history?.points ?? [];
  const live = useStore(store, (s) => s.live[capsule.name]) ?? [];
  const limit = capsule.spec.memoryBytes;
  const x = timeAxis(range, points);
  return (
    <div className="vm-graphs" data-method="capsule.metricsHistory">
      <MetricsRangePicker range={range} onChange={setRange} />
      <p className="muted">
        Sampled every second by the helper; processes every {CAPSULE_SAMPLE_SECONDS} s while this page is open
        {capsule.spec.cpus ? `; limited to ${capsule.spec.cpus} CPU` : ''}
        {limit ? `, ${formatBytes(limit)} of memory` : ''}
        {capsule.spec.pids ? `, ${capsule.spec.pids} processes` : ''}.
      </p>
      {error && <ErrorPanel context="Could not read the metrics history" error={error} />}
      {!isCapsuleLive(capsule.state) && points.length === 0 && <p className="muted">The capsule is not running: graphs fill in once it runs.</p>}
      <div className="vm-graphs__grid">
        {HISTORY_CHARTS.map((chart) => (
          <MetricChart key={chart.id} chart={chart} points={points} x={x} y={chart.id === 'cpu' ? cpuAxis(capsuleCores(capsule.spec.cpus)) : chart.id === 'memory' && limit ? { domain: [0, limit] } : undefined} csvName={`capsule-${capsule.name}-${range}`} />
        ))}
        <MetricChart chart={PIDS_CHART} points={live} x={liveTimeAxis(live)} allowDecimals={false} csvName={`capsule-${capsule.name}-live`} />
      </div>
    </div>
  );
}
