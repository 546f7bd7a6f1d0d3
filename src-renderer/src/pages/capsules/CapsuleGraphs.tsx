// Live graphs of one capsule: CPU, memory, processes and block IO from its cgroup,
// sampled by the section's store every few seconds while the section is open (the last
// ten minutes).
import { useStore } from 'zustand';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { CPU_DOMAIN, MetricChart, type MetricChartDef } from '../../components/MetricChart.js';
import { isCapsuleLive } from '../../lib/capsule-format.js';
import { formatBytes, formatRate } from '../../lib/vm-format.js';
import { CAPSULE_SAMPLE_SECONDS, type CapsulePoint } from '../../stores/capsule-store.js';
import { useCapsuleStore } from './capsule-context.js';

const CHARTS: Array<MetricChartDef<CapsulePoint>> = [
  { id: 'cpu', title: 'CPU', series: [{ key: 'cpuPercent', label: 'CPU' }], format: (v) => `${v.toFixed(0)}%` },
  { id: 'memory', title: 'Memory', series: [{ key: 'memoryBytes', label: 'Memory' }], format: formatBytes },
  { id: 'pids', title: 'Processes', series: [{ key: 'pids', label: 'Processes' }], format: (v) => v.toFixed(0) },
  { id: 'io', title: 'Block IO', series: [{ key: 'ioReadBps', label: 'Read' }, { key: 'ioWriteBps', label: 'Write' }], format: formatRate },
];

const tick = (t: number) => new Date(t).toLocaleTimeString([], { minute: '2-digit', second: '2-digit' });

export function CapsuleGraphs({ capsule }: { capsule: Capsule }) {
  const store = useCapsuleStore();
  const points = useStore(store, (s) => s.live[capsule.name]) ?? [];
  const limit = capsule.spec.memoryBytes;
  return (
    <div className="vm-graphs">
      <p className="muted">
        Sampled every {CAPSULE_SAMPLE_SECONDS} s while this page is open
        {capsule.spec.cpus ? `; limited to ${capsule.spec.cpus} CPU` : ''}
        {limit ? `, ${formatBytes(limit)} of memory` : ''}
        {capsule.spec.pids ? `, ${capsule.spec.pids} processes` : ''}.
      </p>
      {!isCapsuleLive(capsule.state) && points.length === 0 && <p className="muted">The capsule is not running: graphs fill in once it runs.</p>}
      <div className="vm-graphs__grid">
        {CHARTS.map((chart) => (
          <MetricChart
            key={chart.id}
            chart={chart}
            points={points}
            tick={tick}
            allowDecimals={chart.id !== 'pids'}
            yDomain={chart.id === 'cpu' ? CPU_DOMAIN : chart.id === 'memory' && limit ? [0, limit] : undefined}
          />
        ))}
      </div>
    </div>
  );
}
