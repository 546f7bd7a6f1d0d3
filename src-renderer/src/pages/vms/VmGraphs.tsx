// Live graphs of one VM with recharts: CPU, memory, disk and network over the last
// minute, hour or day, from main's metrics history. No animation: the data moves
// every second, and a calm page matters more than a tween.
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useState } from 'react';
import type { MetricsPoint, MetricsRange } from '../../../../src-shared/api/metrics-api.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { formatBytes, formatRate } from '../../lib/vm-format.js';
import { useMetricsHistory } from '../../lib/use-metrics-history.js';

const RANGES: Array<{ id: MetricsRange; label: string }> = [
  { id: '1m', label: '1 min' },
  { id: '1h', label: '1 hour' },
  { id: '1d', label: '1 day' },
];

interface Series {
  key: keyof MetricsPoint;
  label: string;
}

interface ChartDef {
  id: string;
  title: string;
  series: Series[];
  format: (v: number) => string;
}

const CHARTS: ChartDef[] = [
  { id: 'cpu', title: 'CPU', series: [{ key: 'cpuPercent', label: 'CPU' }], format: (v) => `${v.toFixed(0)}%` },
  { id: 'memory', title: 'Memory (resident)', series: [{ key: 'rssBytes', label: 'Resident' }], format: formatBytes },
  { id: 'disk', title: 'Disk', series: [{ key: 'diskReadBps', label: 'Read' }, { key: 'diskWriteBps', label: 'Write' }], format: formatRate },
  { id: 'network', title: 'Network', series: [{ key: 'netRxBps', label: 'Received' }, { key: 'netTxBps', label: 'Sent' }], format: formatRate },
];

function timeTick(range: MetricsRange) {
  return (t: number) => {
    const d = new Date(t);
    return range === '1m' ? d.toLocaleTimeString([], { minute: '2-digit', second: '2-digit' }) : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  };
}

export function VmGraphs({ name, running }: { name: string; running: boolean }) {
  const [range, setRange] = useState<MetricsRange>('1m');
  const { history, error } = useMetricsHistory(name, range);
  const points = history?.points ?? [];
  return (
    <div className="vm-graphs">
      <div className="vm-segmented" role="radiogroup" aria-label="Time range">
        {RANGES.map((r) => (
          <button key={r.id} type="button" role="radio" aria-checked={range === r.id} className={`vm-segmented__item${range === r.id ? ' vm-segmented__item--on' : ''}`} onClick={() => setRange(r.id)}>
            {r.label}
          </button>
        ))}
      </div>
      {error && <ErrorPanel context="Could not read the metrics history" error={error} />}
      {!running && points.length === 0 && <p className="muted">The VM is not running: graphs fill in once it runs.</p>}
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
                  <LineChart data={points} margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
                    <CartesianGrid className="vm-chart__grid" vertical={false} />
                    <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={timeTick(range)} minTickGap={40} tick={{ fontSize: 11 }} />
                    <YAxis width={64} tickFormatter={chart.format} tick={{ fontSize: 11 }} domain={chart.id === 'cpu' ? [0, (max: number) => Math.max(100, Math.ceil(max))] : [0, 'auto']} />
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
