// The time range of a guest's graphs (1 min to 30 days of the helper's history); shared by
// the VM, capsule and host graphs (their axes: lib/metric-axes.ts).
import type { MetricsRange } from '../../../src-shared/api/metrics-api.js';

const RANGES: Array<{ id: MetricsRange; label: string }> = [
  { id: '1m', label: '1 min' },
  { id: '1h', label: '1 hour' },
  { id: '1d', label: '1 day' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
];

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
