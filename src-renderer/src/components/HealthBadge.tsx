// A guest's health as colour, icon and word together (green healthy, amber starting,
// red unhealthy); a dash when it has no check or is not running.
import { CircleCheck, CircleX, LoaderCircle } from 'lucide-react';
import { healthTone } from '../lib/project-plan-view.js';

const ICONS = { ok: CircleCheck, warn: LoaderCircle, fail: CircleX } as const;

export function HealthBadge({ health }: { health: string | null }) {
  const tone = healthTone(health);
  if (tone === 'none') return <span className="muted">—</span>;
  const Icon = ICONS[tone];
  return (
    <span className={`status-badge status-badge--${tone}`} data-health={health}>
      <Icon aria-hidden="true" size={14} strokeWidth={2.25} />
      {health}
    </span>
  );
}
