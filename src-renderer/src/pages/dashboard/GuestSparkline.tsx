// A guest's last minute of CPU as a sparkline: one history read per visible row, read
// again every few seconds; none while off screen or stopped. Its box has a fixed size so
// rows never move as data arrives.
import { useRef } from 'react';
import { cpuSeries, DASHBOARD_REFETCH_MS, type GuestKind } from '../../lib/dashboard-summary.js';
import { useMetricsHistory } from '../../lib/use-metrics-history.js';
import { Sparkline } from '../vms/Sparkline.js';
import { useVisible } from './use-visible.js';

const WIDTH = 120;
const HEIGHT = 24;
/** The sparkline scales to its own peak, but never below this, so idle noise stays flat. */
const SCALE_FLOOR = 10;

function LiveSparkline({ kind, name }: { kind: GuestKind; name: string }) {
  const { history } = useMetricsHistory(name, '1m', kind, DASHBOARD_REFETCH_MS);
  const points = history?.points;
  const values = cpuSeries(points);
  const last = values.at(-1);
  // The span's data-* say what is drawn, for tests that check the series moves.
  return (
    <span data-sparkline={`${kind}:${name}`} data-points={values.length} data-first={points?.[0]?.t} data-last={points?.at(-1)?.t}>
      <Sparkline values={values} max={SCALE_FLOOR} width={WIDTH} height={HEIGHT} label={last === undefined ? `${name}: no CPU samples yet` : `${name}: CPU ${last.toFixed(0)}%`} />
    </span>
  );
}

export function GuestSparkline({ kind, name, live }: { kind: GuestKind; name: string; live: boolean }) {
  const box = useRef<HTMLSpanElement>(null);
  const visible = useVisible(box);
  return (
    <span ref={box} className="dash-spark" style={{ width: WIDTH, height: HEIGHT }}>
      {live && visible ? <LiveSparkline kind={kind} name={name} /> : <Sparkline values={[]} width={WIDTH} height={HEIGHT} label={`${name}: not running`} />}
    </span>
  );
}
