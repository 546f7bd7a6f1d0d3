// Every snapshot schedule on this host in one place, VMs and capsules together, each with
// its next run and a link to the guest's Snapshots tab, where it is edited. A guest's tab
// shows only its own schedule; this is where a user checks that nothing is left out.
import { useEffect, useState } from 'react';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { capsuleHref } from '../../lib/capsule-route.js';
import { formatClock } from '../../lib/format-time.js';
import { vmHref } from '../../lib/vm-route.js';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import type { SnapshotPolicyState } from '../../../../src-shared/snapshot-policy.js';
import { DashPanel } from './DashboardPanels.js';

interface ScheduleRow {
  readonly kind: 'vm' | 'capsule';
  readonly state: SnapshotPolicyState;
}

/** How often the list is read again: schedules run at most hourly, so a minute is fresh enough. */
const REFRESH_MS = 60_000;

export function SnapshotSchedulesPanel() {
  const { client } = useServices();
  const [rows, setRows] = useState<readonly ScheduleRow[] | null>(null);
  const [error, setError] = useState<ErrorShape | null>(null);

  useEffect(() => {
    let live = true;
    const read = () => {
      Promise.all([client.call('vm.snapshotPolicyList', {}), client.call('capsule.snapshotPolicyList', {})]).then(
        ([vms, capsules]) => {
          if (!live) return;
          setRows([...vms.map((state) => ({ kind: 'vm' as const, state })), ...capsules.map((state) => ({ kind: 'capsule' as const, state }))]);
          setError(null);
        },
        (err: unknown) => live && setError(toErrorShape(err)),
      );
    };
    read();
    const timer = setInterval(read, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [client]);

  return (
    <DashPanel id="dash-schedules-title" title="Snapshot schedules">
      {error && <ErrorPanel context="Could not read the snapshot schedules" error={error} />}
      <div data-method="vm.snapshotPolicyList capsule.snapshotPolicyList">
        {rows === null ? (
          !error && <p className="muted">Reading schedules…</p>
        ) : rows.length === 0 ? (
          <p className="muted">No guest takes snapshots on a schedule. A guest&rsquo;s Snapshots tab sets one.</p>
        ) : (
          <ul className="dash-list">
            {rows.map(({ kind, state }) => (
              <li key={`${kind}/${state.name}`} data-schedule={state.name}>
                <a href={kind === 'vm' ? vmHref({ kind: 'vm', name: state.name, tab: 'snapshots' }) : capsuleHref({ kind: 'capsule', name: state.name, tab: 'snapshots' })}>{state.name}</a>{' '}
                <span className="muted">
                  {kind === 'vm' ? 'VM' : 'capsule'} · {state.policy.schedule ?? 'no schedule (kept by rules only)'}
                </span>
                <div className="dash-list__sub">{state.nextRun ? `next ${formatClock(state.nextRun)}` : 'no run planned'}</div>
              </li>
            ))}
          </ul>
        )}
      </div>
    </DashPanel>
  );
}
