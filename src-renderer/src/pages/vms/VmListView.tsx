// The virtual machines list: one dense row per VM with its state in colour and word
// (or what holds it, from wherever that was started), the last minute of CPU and memory
// as sparklines, and the quick actions.
import { Plus } from 'lucide-react';
import { useStore } from 'zustand';
import { BrokenRecordRows } from '../../components/BrokenRecordRows.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { useBusyByName } from '../../lib/use-resource-busy.js';
import { formatBytes, formatMiB, isLive } from '../../lib/vm-format.js';
import { vmHref } from '../../lib/vm-route.js';
import { Sparkline } from './Sparkline.js';
import { useVmStore } from './vm-context.js';
import { VmQuickActions } from './VmQuickActions.js';
import { HealthBadge } from '../../components/HealthBadge.js';
import { VmStateBadge } from './VmStateBadge.js';
import { cpuAxis } from '../../lib/metric-axes.js';
import { AllHostsGuests, useAllHostsToggle, type GuestRow } from '../../components/AllHostsGuests.js';
import type { NovaClient } from '../../transport/nova-client.js';

async function listVms(client: NovaClient): Promise<GuestRow[]> {
  const { vms } = await client.call('vm.list', {});
  return vms.map((vm) => ({ name: vm.definition.name, state: <VmStateBadge state={vm.state} busy={null} /> }));
}

const vmPage = (name: string) => vmHref({ kind: 'vm', name, tab: 'overview' });

export function VmListView() {
  const store = useVmStore();
  const vms = useStore(store, (s) => s.vms);
  const broken = useStore(store, (s) => s.broken);
  const error = useStore(store, (s) => s.error);
  const loading = useStore(store, (s) => s.loading);
  const pending = useStore(store, (s) => s.pending);
  const failures = useStore(store, (s) => s.failures);
  const live = useStore(store, (s) => s.live);
  const busy = useBusyByName('vm', pending);
  const { act, load, dismissFailure } = store.getState();
  const allHosts = useAllHostsToggle();

  return (
    <>
      <PageHeader
        title="Virtual machines"
        subtitle="QEMU virtual machines on this host: their state, load and consoles."
        actions={
          <>
            {allHosts.toggle}
            <a className="button button--primary" data-method="vm.create" href={vmHref({ kind: 'create' })}>
              <Plus aria-hidden="true" size={14} />
              New VM
            </a>
          </>
        }
      />
      {allHosts.on && (
        <div className="page-body" data-method="vm.list">
          <AllHostsGuests label="Virtual machines" rowAttribute="data-vm" list={listVms} href={vmPage} />
        </div>
      )}
      <div className="page-body" aria-busy={loading} hidden={allHosts.on} data-method="vm.list">
        {error && <ErrorPanel context="Could not list the virtual machines" error={error} onRetry={() => void load()} busy={loading} />}
        {Object.entries(failures).map(([name, f]) => (
          <ErrorPanel key={name} context={`${f.what} ${name} failed`} error={f.error} onRetry={() => dismissFailure(name)} retryLabel="Dismiss" />
        ))}
        {vms && vms.length === 0 && broken.length === 0 && (
          <div className="vm-empty">
            <p>No virtual machines yet.</p>
            <a className="button button--primary" href={vmHref({ kind: 'create' })}>
              <Plus aria-hidden="true" size={14} />
              Create your first VM
            </a>
          </div>
        )}
        {vms && (vms.length > 0 || broken.length > 0) && (
          <table className="vm-table" aria-label="Virtual machines">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">CPU</th>
                <th scope="col">Memory</th>
                <th scope="col">Size</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {vms.map((vm) => {
                const name = vm.definition.name;
                const series = isLive(vm.state) ? live[name] : undefined;
                const cpuNow = series?.cpu.at(-1);
                const rssNow = series?.rss.at(-1);
                return (
                  <tr key={name} data-vm={name}>
                    <th scope="row">
                      <a className="vm-table__name" href={vmHref({ kind: 'vm', name, tab: 'overview' })}>
                        {name}
                      </a>
                      {vm.definition.template && <span className="vm-tag">template</span>}
                      {vm.definition.description && <span className="vm-table__desc">{vm.definition.description}</span>}
                    </th>
                    <td>
                      <VmStateBadge state={vm.state} busy={busy[name] ?? null} />
                      {vm.health && <HealthBadge health={vm.health.status} />}
                    </td>
                    <td className="vm-table__metric">
                      <Sparkline values={series?.cpu ?? []} max={cpuAxis(vm.definition.cpus).domain[1]} label={cpuNow === undefined ? 'no CPU data' : `CPU ${cpuNow.toFixed(0)}%`} />
                      <span className="vm-table__num">{cpuNow === undefined ? '—' : `${cpuNow.toFixed(0)}%`}</span>
                    </td>
                    <td className="vm-table__metric">
                      <Sparkline
                        values={series?.rss ?? []}
                        max={vm.definition.memoryMiB * 1024 * 1024}
                        label={rssNow === undefined ? 'no memory data' : `memory ${formatBytes(rssNow)}`}
                      />
                      <span className="vm-table__num">{rssNow === undefined ? '—' : formatBytes(rssNow)}</span>
                    </td>
                    <td className="vm-table__size">
                      {vm.definition.cpus} vCPU · {formatMiB(vm.definition.memoryMiB)}
                    </td>
                    <td>
                      <VmQuickActions vm={vm} compact busy={busy[name] ?? null} onAction={(a) => void act(name, a)} />
                    </td>
                  </tr>
                );
              })}
              <BrokenRecordRows broken={broken} columns={6} />
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
