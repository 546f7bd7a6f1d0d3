// Every VM and capsule in one list: kind, name (a link to its page), state, health and a
// CPU sparkline. With no guests at all, the first-run empty state with the create actions.
import { Boxes, Monitor } from 'lucide-react';
import type { GuestHealth } from '../../../../src-shared/health.js';
import { capsuleHref } from '../../lib/capsule-route.js';
import { HEALTH_TEXT, HEALTH_TONE, type GuestRow } from '../../lib/dashboard-summary.js';
import { vmHref } from '../../lib/vm-route.js';
import { GuestSparkline } from './GuestSparkline.js';

function HealthBadge({ health }: { health: GuestHealth | null }) {
  if (!health) return <span className="muted">—</span>;
  return (
    <span className={`vm-state vm-state--${HEALTH_TONE[health.status]}`} data-health={health.status} title={health.lastResult ?? undefined}>
      <span className="vm-state__dot" aria-hidden="true" />
      {HEALTH_TEXT[health.status]}
    </span>
  );
}

export function EmptyGuests() {
  return (
    <div className="dash-empty">
      <p className="dash-empty__title">Nothing running yet</p>
      <p className="muted">Create a virtual machine or a capsule to see it here with its graphs.</p>
      <div className="dash-empty__actions">
        <a className="button button--primary" href={vmHref({ kind: 'create' })}>
          <Monitor aria-hidden="true" size={16} /> New virtual machine
        </a>
        <a className="button" href={capsuleHref({ kind: 'list' })}>
          <Boxes aria-hidden="true" size={16} /> New capsule
        </a>
      </div>
    </div>
  );
}

export function GuestList({ rows }: { rows: readonly GuestRow[] }) {
  return (
    <table className="dash-table" data-method="vm.list capsule.list">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Kind</th>
          <th scope="col">State</th>
          <th scope="col">Health</th>
          <th scope="col">CPU, last minute</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={`${row.kind}:${row.name}`} data-guest={`${row.kind}:${row.name}`}>
            <th scope="row">
              <a href={row.href}>{row.name}</a>
            </th>
            <td>{row.kind === 'vm' ? 'VM' : 'Capsule'}</td>
            <td>
              <span className={`vm-state vm-state--${row.tone}`} data-state={row.state}>
                <span className="vm-state__dot" aria-hidden="true" />
                {row.stateText}
              </span>
            </td>
            <td>
              <HealthBadge health={row.health} />
            </td>
            <td>
              <GuestSparkline kind={row.kind} name={row.name} live={row.live} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
