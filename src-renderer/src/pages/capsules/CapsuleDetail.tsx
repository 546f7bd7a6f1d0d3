// One capsule's page: its state (with why it last stopped) and actions in the header,
// then tabs for the live logs, the graphs, a terminal, the snapshots and the settings.
// The tab lives in the URL hash, so links and reloads come back to it.
import { ArrowLeft } from 'lucide-react';
import { useState } from 'react';
import { useStore } from 'zustand';
import { AbsentResource } from '../../components/AbsentResource.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { GuestMoveDialog } from '../../components/GuestMoveDialog.js';
import { MoveToHostButton } from '../../components/MoveToHostButton.js';
import { PageHeader } from '../../components/PageHeader.js';
import '../../styles/projects.css';
import { ProjectOwnerLine } from '../projects/ProjectOwner.js';
import { ResourceOperations } from '../../components/ResourceOperations.js';
import { exitFailed, exitText } from '../../lib/capsule-format.js';
import { quotedWords } from '../../lib/capsule-form.js';
import { capsuleHref, type CapsuleTab } from '../../lib/capsule-route.js';
import { useResourceBusy } from '../../lib/use-resource-busy.js';
import { useCapsuleStore } from './capsule-context.js';
import { CapsulePowerActions } from './CapsuleActions.js';
import { CapsuleGraphs } from './CapsuleGraphs.js';
import { CapsuleLogs } from './CapsuleLogs.js';
import { CapsuleSettings } from './CapsuleSettings.js';
import { CapsuleSnapshots } from './CapsuleSnapshots.js';
import { CapsuleStateBadge } from './CapsuleStateBadge.js';
import { CapsuleTerminal } from './CapsuleTerminal.js';

const TAB_LABELS: Record<CapsuleTab, string> = {
  logs: 'Logs',
  graphs: 'Graphs',
  terminal: 'Terminal',
  snapshots: 'Snapshots',
  settings: 'Settings',
};

export function CapsuleDetail({ name, tab }: { name: string; tab: CapsuleTab }) {
  const store = useCapsuleStore();
  const capsule = useStore(store, (s) => s.capsules?.find((c) => c.name === name));
  const listed = useStore(store, (s) => s.capsules !== null);
  const pending = useStore(store, (s) => s.pending[name]);
  const failure = useStore(store, (s) => s.failures[name]);
  const busy = useResourceBusy('capsule', name, pending);
  const { dismissFailure } = store.getState();
  const [moving, setMoving] = useState(false);
  // A capsule in any of these is stopped here for the move and started at the destination.
  const running = capsule ? capsule.state === 'running' || capsule.state === 'paused' || capsule.state === 'restarting' : false;

  const exit = capsule ? exitText(capsule.lastExit) : null;
  // One layout with or without the capsule, so its creation, shown in place while it
  // runs, stays mounted (saying how it ended) when the capsule appears.
  return (
    <>
      <PageHeader
        title={name}
        subtitle={capsule ? `${capsule.imageName}${capsule.spec.command ? ` · ${quotedWords(capsule.spec.command)}` : ''}` : undefined}
        actions={
          <>
            {capsule && <CapsuleStateBadge capsule={capsule} busy={busy} />}
            {capsule && <CapsulePowerActions capsule={capsule} busy={busy} />}
            {capsule && (
              <MoveToHostButton
                method="capsule.move"
                busy={busy}
                title={running ? 'Move this capsule to another host: it is stopped here and started there' : 'Move this stopped capsule to another host'}
                onOpen={() => setMoving(true)}
              />
            )}
            <a className="button" href={capsuleHref({ kind: 'list' })}>
              <ArrowLeft aria-hidden="true" size={14} />
              All capsules
            </a>
          </>
        }
      />
      {capsule && (
        <nav className="vm-tabs" aria-label={`Sections of ${name}`}>
          {(Object.keys(TAB_LABELS) as CapsuleTab[]).map((t) => (
            <a key={t} href={capsuleHref({ kind: 'capsule', name, tab: t })} className={`vm-tabs__tab${t === tab ? ' vm-tabs__tab--on' : ''}`} aria-current={t === tab ? 'page' : undefined}>
              {TAB_LABELS[t]}
            </a>
          ))}
        </nav>
      )}
      <div className="page-body" data-method="capsule.get">
        <ProjectOwnerLine project={capsule?.spec.project} />
        <ResourceOperations resource={{ kind: 'capsule', name }} label={`Operations on ${name}`} />
        {failure && <ErrorPanel context={`${failure.what} ${name} failed`} error={failure.error} onRetry={() => dismissFailure(name)} retryLabel="Dismiss" />}
        {!capsule && <AbsentResource kind="capsule" name={name} noun="capsule" listed={listed} />}
        {capsule && exit && capsule.state !== 'running' && capsule.state !== 'paused' && (
          <p className={`vm-reason${exitFailed(capsule.lastExit) ? '' : ' vm-reason--calm'}`} role="note">
            Last exit: {exit}
            {capsule.lastExit ? ` at ${new Date(capsule.lastExit.at).toLocaleTimeString()}` : ''}
          </p>
        )}
        {capsule && tab === 'logs' && <CapsuleLogs name={name} />}
        {capsule && tab === 'graphs' && <CapsuleGraphs capsule={capsule} />}
        {capsule && tab === 'terminal' && <CapsuleTerminal capsule={capsule} />}
        {capsule && tab === 'snapshots' && <CapsuleSnapshots capsule={capsule} busy={busy} />}
        {capsule && tab === 'settings' && <CapsuleSettings capsule={capsule} busy={busy} />}
      </div>
      {moving && <GuestMoveDialog guest="capsule" name={name} kind="cold" running={running} open onClose={() => setMoving(false)} />}
    </>
  );
}
