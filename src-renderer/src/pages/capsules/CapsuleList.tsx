// The capsules list: one dense row per capsule with its image, its state in colour and
// word (and why it last stopped, or what holds it), CPU and memory sparklines from the
// polled metrics, and the lifecycle actions. "New capsule" opens the create dialog.
import { Plus } from 'lucide-react';
import { useState } from 'react';
import { useStore } from 'zustand';
import { BrokenRecordRows } from '../../components/BrokenRecordRows.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { isCapsuleLive } from '../../lib/capsule-format.js';
import { capsuleHref } from '../../lib/capsule-route.js';
import { useBusyByName } from '../../lib/use-resource-busy.js';
import { formatBytes } from '../../lib/vm-format.js';
import { Sparkline } from '../vms/Sparkline.js';
import { useCapsuleStore } from './capsule-context.js';
import { CapsulePowerActions } from './CapsuleActions.js';
import { HealthBadge } from '../../components/HealthBadge.js';
import { CapsuleStateBadge } from './CapsuleStateBadge.js';
import { CreateCapsuleDialog } from './CreateCapsuleDialog.js';
import { AllHostsGuests, useAllHostsToggle, type GuestRow } from '../../components/AllHostsGuests.js';
import type { NovaClient } from '../../transport/nova-client.js';

async function listCapsules(client: NovaClient): Promise<GuestRow[]> {
  const { capsules } = await client.call('capsule.list', {});
  return capsules.map((c) => ({ name: c.name, state: <CapsuleStateBadge capsule={c} busy={null} /> }));
}

const capsulePage = (name: string) => capsuleHref({ kind: 'capsule', name, tab: 'logs' });

/** The sparklines show the last two minutes. */
const SPARK_POINTS = 60;

export function CapsuleList() {
  const store = useCapsuleStore();
  const capsules = useStore(store, (s) => s.capsules);
  const broken = useStore(store, (s) => s.broken);
  const error = useStore(store, (s) => s.error);
  const loading = useStore(store, (s) => s.loading);
  const pending = useStore(store, (s) => s.pending);
  const failures = useStore(store, (s) => s.failures);
  const live = useStore(store, (s) => s.live);
  const busy = useBusyByName('capsule', pending);
  const { load, dismissFailure } = store.getState();
  const [creating, setCreating] = useState(false);
  const allHosts = useAllHostsToggle();

  const newButton = (text: string) => (
    <button type="button" className="button button--primary" data-method="capsule.create" onClick={() => setCreating(true)}>
      <Plus aria-hidden="true" size={14} />
      {text}
    </button>
  );

  return (
    <>
      <PageHeader
        title="Capsules"
        subtitle="Persistent OCI containers on this host: their state, load, logs and shells."
        actions={
          <>
            {allHosts.toggle}
            {newButton('New capsule')}
          </>
        }
      />
      {allHosts.on && (
        <div className="page-body">
          <AllHostsGuests label="Capsules" rowAttribute="data-capsule" list={listCapsules} href={capsulePage} />
        </div>
      )}
      <div className="page-body" aria-busy={loading} hidden={allHosts.on}>
        {error && <ErrorPanel context="Could not list the capsules" error={error} onRetry={() => void load()} busy={loading} />}
        {Object.entries(failures).map(([name, f]) => (
          <ErrorPanel key={name} context={`${f.what} ${name} failed`} error={f.error} onRetry={() => dismissFailure(name)} retryLabel="Dismiss" />
        ))}
        {capsules && capsules.length === 0 && broken.length === 0 && (
          <div className="vm-empty">
            <p>No capsules yet.</p>
            {newButton('Create your first capsule')}
          </div>
        )}
        {capsules && (capsules.length > 0 || broken.length > 0) && (
          <table className="vm-table" aria-label="Capsules">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Image</th>
                <th scope="col">State</th>
                <th scope="col">CPU</th>
                <th scope="col">Memory</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {capsules.map((c) => {
                const series = isCapsuleLive(c.state) ? (live[c.name] ?? []).slice(-SPARK_POINTS) : [];
                const now = series.at(-1);
                const memMax = c.spec.memoryBytes ?? undefined;
                return (
                  <tr key={c.name} data-capsule={c.name}>
                    <th scope="row">
                      <a className="vm-table__name" href={capsuleHref({ kind: 'capsule', name: c.name, tab: 'logs' })}>
                        {c.name}
                      </a>
                    </th>
                    <td className="capsule-image">{c.imageName}</td>
                    <td>
                      <CapsuleStateBadge capsule={c} busy={busy[c.name] ?? null} withExit />
                      {c.health && <HealthBadge health={c.health.status} />}
                    </td>
                    <td className="vm-table__metric">
                      <Sparkline values={series.map((p) => p.cpuPercent)} max={100} label={now ? `CPU ${now.cpuPercent.toFixed(0)}%` : 'no CPU data'} />
                      <span className="vm-table__num">{now ? `${now.cpuPercent.toFixed(0)}%` : '—'}</span>
                    </td>
                    <td className="vm-table__metric">
                      <Sparkline values={series.map((p) => p.memoryBytes)} {...(memMax ? { max: memMax } : {})} label={now ? `memory ${formatBytes(now.memoryBytes)}` : 'no memory data'} />
                      <span className="vm-table__num">{now ? formatBytes(now.memoryBytes) : '—'}</span>
                    </td>
                    <td>
                      <CapsulePowerActions capsule={c} compact busy={busy[c.name] ?? null} />
                    </td>
                  </tr>
                );
              })}
              <BrokenRecordRows broken={broken} columns={6} />
            </tbody>
          </table>
        )}
      </div>
      <CreateCapsuleDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}
