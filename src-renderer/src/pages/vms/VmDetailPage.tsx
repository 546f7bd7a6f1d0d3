// One VM's page: its state and actions in the header, then tabs for the overview,
// the live graphs, the serial console, the snapshot tree and the settings. The tab
// lives in the URL hash, so links and reloads come back to it.
import { ArrowLeft } from 'lucide-react';
import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { AbsentResource } from '../../components/AbsentResource.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import '../../styles/projects.css';
import { ProjectOwnerLine } from '../projects/ProjectOwner.js';
import { ResourceOperations } from '../../components/ResourceOperations.js';
import { useResourceBusy } from '../../lib/use-resource-busy.js';
import { moveKindFor } from '../../lib/vm-move-flow.js';
import { asksMove, vmHref, type VmTab } from '../../lib/vm-route.js';
import { SerialConsole } from './SerialConsole.js';
import { SnapshotPanel } from './SnapshotPanel.js';
import { useVmPower } from './use-vm-power.js';
import { useVmStore } from './vm-context.js';
import { VmGraphs } from './VmGraphs.js';
import { GuestMoveDialog } from '../../components/GuestMoveDialog.js';
import { MoveToHostButton } from '../../components/MoveToHostButton.js';
import { VmOverview } from './VmOverview.js';
import { VmQuickActions } from './VmQuickActions.js';
import { VmSettings } from './VmSettings.js';
import { VmStateBadge } from './VmStateBadge.js';

const TAB_LABELS: Record<VmTab, string> = {
  overview: 'Overview',
  graphs: 'Graphs',
  serial: 'Serial console',
  snapshots: 'Snapshots',
  settings: 'Settings',
};

export function VmDetailPage({ name, tab }: { name: string; tab: VmTab }) {
  const store = useVmStore();
  const vm = useStore(store, (s) => s.vms?.find((v) => v.definition.name === name));
  const listed = useStore(store, (s) => s.vms !== null);
  const pending = useStore(store, (s) => s.pending[name]);
  const failure = useStore(store, (s) => s.failures[name]);
  const busy = useResourceBusy('vm', name, pending);
  const { dismissFailure } = store.getState();
  const power = useVmPower(name);
  const moveKind = vm ? moveKindFor(vm.state) : null;
  // Kept once opened: the dialog outlives the VM leaving this host, to say where it went.
  const [move, setMove] = useState<{ kind: NonNullable<typeof moveKind> } | null>(null);

  useEffect(() => {
    if (!moveKind || !asksMove(window.location.hash)) return;
    history.replaceState(null, '', vmHref({ kind: 'vm', name, tab }));
    setMove({ kind: moveKind });
  }, [moveKind, name, tab]);

  const back = (
    <a className="button" href={vmHref({ kind: 'list' })}>
      <ArrowLeft aria-hidden="true" size={14} />
      All VMs
    </a>
  );
  // One layout with or without the VM, so the operations shown in place stay mounted
  // (and keep how they ended) when a VM being created appears.
  return (
    <>
      <PageHeader
        title={name}
        subtitle={vm?.definition.description || undefined}
        actions={
          <>
            {vm && <VmStateBadge state={vm.state} busy={busy} />}
            {power.countdown}
            {vm && <VmQuickActions vm={vm} busy={busy} onAction={power.onAction} />}
            {moveKind && (
              <MoveToHostButton
                method="vm.move"
                busy={busy}
                title={moveKind === 'live' ? 'Move this VM to another host while it runs' : 'Move this stopped VM to another host'}
                onOpen={() => setMove({ kind: moveKind })}
              />
            )}
            {back}
          </>
        }
      />
      {vm && (
        <nav className="vm-tabs" aria-label={`Sections of ${name}`}>
          {(Object.keys(TAB_LABELS) as VmTab[]).map((t) => (
            <a key={t} href={vmHref({ kind: 'vm', name, tab: t })} className={`vm-tabs__tab${t === tab ? ' vm-tabs__tab--on' : ''}`} aria-current={t === tab ? 'page' : undefined}>
              {TAB_LABELS[t]}
            </a>
          ))}
        </nav>
      )}
      <div className="page-body">
        <ProjectOwnerLine project={vm?.definition.project} />
        <ResourceOperations resource={{ kind: 'vm', name }} label={`Operations on ${name}`} />
        {failure && <ErrorPanel context={`${failure.what} ${name} failed`} error={failure.error} onRetry={() => dismissFailure(name)} retryLabel="Dismiss" />}
        {!vm && <AbsentResource kind="vm" name={name} noun="VM" listed={listed} />}
        {vm?.stateReason && vm.state === 'crashed' && (
          <p className="vm-reason" role="note">
            Why it stopped: {vm.stateReason}
          </p>
        )}
        {vm && tab === 'overview' && <VmOverview vm={vm} />}
        {vm && tab === 'graphs' && <VmGraphs name={name} running={vm.state === 'running' || vm.state === 'paused'} cpus={vm.definition.cpus} />}
        {vm && tab === 'serial' && <SerialConsole name={name} state={vm.state} />}
        {vm && tab === 'snapshots' && <SnapshotPanel vm={vm} busy={busy} />}
        {vm && tab === 'settings' && <VmSettings vm={vm} busy={busy} />}
      </div>
      {power.dialog}
      {move && <GuestMoveDialog guest="vm" name={name} kind={move.kind} open onClose={() => setMove(null)} />}
    </>
  );
}
