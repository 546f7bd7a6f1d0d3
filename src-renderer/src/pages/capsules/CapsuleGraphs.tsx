// Live graphs of one capsule with recharts: CPU, memory, processes and block IO from
// its cgroup, sampled by the section's store every few seconds while the section is
// open (the last ten minutes). No animation: the data moves, the page stays calm.
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from 'zustand';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { isCapsuleLive } from '../../lib/capsule-format.js';
import { formatBytes, formatRate } from '../../lib/vm-format.js';
import { CAPSULE_SAMPLE_SECONDS, type CapsulePoint } from '../../stores/capsule-store.js';
import { useCapsuleStore } from './capsule-context.js';

interface ChartDef {
  id: string;
  title: string;
  series: Array<{ key: Exclude<keyof CapsulePoint, 't'>; label: string }>;
  format: (v: number) => string;
}

const CHARTS: ChartDef[] = [
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
        {CHARTS.map((chart) => {
          const last = points.at(-1);
          return (
            <figure key={chart.id} className="vm-chart" data-chart={chart.id} data-points={points.length} aria-label={`${chart.title} graph`}>
              <figcaption className="vm-chart__title">
                {chart.title}
                <span className="vm-chart__now">
                  {last ? chart.series.map((s) => `${chart.series.length > 1 ? `${s.label} ` : ''}${chart.format(last[s.key])}`).join(' · ') : '—'}
                </span>
              </figcaption>
              <div className="vm-chart__plot">
                <ResponsiveContainer width="100%" height="100%">
                  <LineChart data={[...points]} margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
                    <CartesianGrid className="vm-chart__grid" vertical={false} />
                    <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={tick} minTickGap={40} tick={{ fontSize: 11 }} />
                    <YAxis
                      width={64}
                      allowDecimals={chart.id !== 'pids'}
                      tickFormatter={chart.format}
                      tick={{ fontSize: 11 }}
                      domain={chart.id === 'cpu' ? [0, (max: number) => Math.max(100, Math.ceil(max))] : chart.id === 'memory' && limit ? [0, limit] : [0, 'auto']}
                    />
                    <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleTimeString()} formatter={(v) => chart.format(Number(v))} />
                    {chart.series.map((s, i) => (
                      <Line key={s.key} className={`vm-series vm-series--${i}`} dataKey={s.key} name={s.label} stroke="currentColor" dot={false} strokeWidth={1.5} isAnimationActive={false} />
                    ))}
                  </LineChart>
                </ResponsiveContainer>
              </div>
            </figure>
          );
        })}
      </div>
    </div>
  );
}
