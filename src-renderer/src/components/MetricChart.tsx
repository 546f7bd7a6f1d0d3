// One live metrics chart (recharts) as every resource page shows it: a title with the
// latest value, time along the bottom (lib/metric-axes.ts: the whole range, clock time),
// one line per series. No animation: the data moves,
// the page stays calm. The point type is the page's own (a VM's history, a capsule's samples).
// "CSV" downloads the drawn series over the chosen range, as `nova stats --csv` writes them.
import { csvColumnFor, metricsCsv } from '../../../src-shared/metrics-csv.js';
import type { TimeAxis, ValueAxis } from '../lib/metric-axes.js';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

type NumericKey<P> = { [K in keyof P]: P[K] extends number ? K : never }[keyof P] & string;

export interface MetricChartDef<P> {
  id: string;
  title: string;
  series: Array<{ key: NumericKey<P>; label: string }>;
  format: (v: number) => string;
}

export interface MetricChartProps<P extends { t: number }> {
  chart: MetricChartDef<P>;
  points: readonly P[];
  x: TimeAxis;
  /** The y axis, fixed (a value beyond it is drawn at its edge); by default from zero to the data's maximum. */
  y?: ValueAxis | { domain: [number, number] };
  allowDecimals?: boolean;
  /** The download's name without ".csv", e.g. "vm-web1-1h"; the chart's id is added. */
  csvName?: string;
}

function downloadCsv<P extends { t: number }>(chart: MetricChartDef<P>, points: readonly P[], name: string): void {
  const text = metricsCsv(points, chart.series.map((s) => csvColumnFor(s.key)));
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name}-${chart.id}.csv`;
  a.click();
  // After the click has handed the blob to the download.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function MetricChart<P extends { t: number }>({ chart, points, x, y, allowDecimals = true, csvName }: MetricChartProps<P>) {
  const last = points.at(-1);
  return (
    <figure className="vm-chart" data-chart={chart.id} data-points={points.length} data-y-max={y?.domain[1]} aria-label={`${chart.title} graph`}>
      <figcaption className="vm-chart__title">
        {chart.title}
        <span className="vm-chart__end">
          <span className="vm-chart__now">
            {last ? chart.series.map((s) => `${chart.series.length > 1 ? `${s.label} ` : ''}${chart.format(last[s.key] as number)}`).join(' · ') : '—'}
          </span>
          {csvName !== undefined && (
            <button
              type="button"
              className="button vm-chart__csv"
              aria-label={`Export ${chart.title} as CSV`}
              title={points.length === 0 ? 'Nothing to export yet' : `Download the drawn ${chart.title} points as CSV`}
              disabled={points.length === 0}
              onClick={() => downloadCsv(chart, points, csvName)}
            >
              CSV
            </button>
          )}
        </span>
      </figcaption>
      <div className="vm-chart__plot">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={[...points]} margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid className="vm-chart__grid" vertical={false} />
            <XAxis dataKey="t" type="number" domain={x.domain} ticks={x.ticks} allowDataOverflow scale="time" tickFormatter={x.format} minTickGap={24} tick={{ fontSize: 11 }} />
            <YAxis
              width={64}
              allowDecimals={allowDecimals}
              tickFormatter={chart.format}
              tick={{ fontSize: 11 }}
              domain={y?.domain ?? [0, 'auto']}
              ticks={y && 'ticks' in y ? y.ticks : undefined}
              allowDataOverflow={y !== undefined}
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
}
