// The time range of a guest's graphs (1 min to 30 days of the helper's history), and the
// axis labels that suit each range; shared by the VM and capsule graphs.
import type { MetricsRange } from '../../../src-shared/api/metrics-api.js';

const RANGES: Array<{ id: MetricsRange; label: string }> = [
  { id: '1m', label: '1 min' },
  { id: '1h', label: '1 hour' },
  { id: '1d', label: '1 day' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
];

export function rangeTick(range: MetricsRange) {
  return (t: number) => {
    const d = new Date(t);
    if (range === '7d' || range === '30d') return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
    return range === '1m' ? d.toLocaleTimeString([], { minute: '2-digit', second: '2-digit' }) : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  };
}

export function MetricsRangePicker({ range, onChange }: { range: MetricsRange; onChange: (range: MetricsRange) => void }) {
  return (
    <div className="vm-segmented" role="radiogroup" aria-label="Time range">
      {RANGES.map((r) => (
        <button key={r.id} type="button" role="radio" aria-checked={range === r.id} className={`vm-segmented__item${range === r.id ? ' vm-segmented__item--on' : ''}`} onClick={() => onChange(r.id)}>
          {r.label}
        </button>
      ))}
    </div>
  );
}
