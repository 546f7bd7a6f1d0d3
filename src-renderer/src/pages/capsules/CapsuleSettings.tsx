// A capsule's settings as the helper keeps them, with the network and address it really
// has while it runs; the editor of what a stopped capsule may change (CapsuleEditor.tsx);
// and deleting the capsule with its
// writable layer, logs and snapshots, after a confirmation naming it (ConfirmDialog); off while something
// holds the capsule, saying what.
import { Trash2 } from 'lucide-react';
import { Fragment } from 'react';
import { describeUserNamespace, formatRestartPolicy, type Capsule } from '../../../../src-shared/capsule.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { announce } from '../../stores/toast-store.js';
import { isCapsuleLive } from '../../lib/capsule-format.js';
import { capsuleHref } from '../../lib/capsule-route.js';
import { formatBytes } from '../../lib/vm-format.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { useCapsuleStore } from './capsule-context.js';
import { CapsuleEditor } from './CapsuleEditor.js';
import { quotedWords } from '../../lib/capsule-form.js';
import { formatPortMapping } from '../../../../src-shared/vocabulary/port-mapping.js';

export function CapsuleSettings({ capsule, busy }: { capsule: Capsule; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useCapsuleStore();
  const { confirm, dialog } = useConfirm();
  const s = capsule.spec;
  const facts: Array<[string, string]> = [
    ['Image', `${capsule.imageName} (${capsule.imageId.slice(0, 19)})`],
    ['Entrypoint', (s.entrypoint ? quotedWords(s.entrypoint) : "the image's")],
    ['Command', (s.command ? quotedWords(s.command) : "the image's")],
    ['Environment', Object.entries(s.env).map(([k, v]) => `${k}=${v}`).join(', ') || 'none set'],
    ['Volumes', s.volumes.map((v) => `${v.source} → ${v.target}${v.readOnly ? ' (read-only)' : ''}`).join(', ') || 'none'],
    ['Working directory', s.workdir ?? "the image's"],
    ['User', s.user ?? "the image's"],
    ['Hostname', s.hostname ?? capsule.network?.hostname ?? 'the capsule name'],
    ['Network', networkText(capsule)],
    ['Published ports', s.ports.map((p) => `host ${formatPortMapping(p).replace(':', ' → capsule ')}`).join(', ') || 'none'],
    ['CPUs', s.cpus ? String(s.cpus) : 'no limit'],
    ['Memory', s.memoryBytes ? formatBytes(s.memoryBytes) : 'no limit'],
    ['Processes', s.pids ? String(s.pids) : 'no limit'],
    ['IO weight', s.ioWeight ? String(s.ioWeight) : 'default'],
    ['Restart policy', `${formatRestartPolicy(s.restart)}${capsule.restartCount > 0 ? `, restarted ${capsule.restartCount} times` : ''}`],
    ['Stop timeout', `${s.stopTimeoutSec} s, then SIGKILL`],
    ['Runtime', `${capsule.runtime}, root on ${capsule.rootfsMode === 'overlay' ? 'an overlay' : 'a copy'}`],
    ['User namespace', capsule.userNamespace ? describeUserNamespace(capsule.userNamespace) : 'unknown (the helper did not say)'],
    ['Created', new Date(capsule.createdAt).toLocaleString()],
  ];

  const remove = async () => {
    if (busy) return;
    const live = isCapsuleLive(capsule.state);
    const yes = await confirm({
      title: `Delete ${capsule.name}?`,
      body: <p>{`${live ? `${capsule.name} is stopped first (its processes get SIGTERM, then SIGKILL), then it` : `${capsule.name}`} goes with its writable layer, logs and snapshots. Volumes on the host are kept. This cannot be undone.`}</p>,
      confirmLabel: `Delete ${capsule.name}`,
    });
    if (!yes) return;
    const ok = await store.getState().run(capsule.name, 'Deleting…', () => client.call('capsule.delete', { name: capsule.name, force: true }));
    if (!ok) return;
    announce(`Deleted '${capsule.name}'`, 'Volumes on the host were kept.');
    window.location.hash = capsuleHref({ kind: 'list' });
  };

  return (
    <div className="vm-settings">
      <section className="vm-card" aria-labelledby="capsule-spec-title">
        <h2 id="capsule-spec-title" className="vm-card__title">
          Settings
        </h2>
        <dl className="vm-facts">
          {facts.map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </Fragment>
          ))}
        </dl>
      </section>
      <CapsuleEditor key={`${capsule.name}:${JSON.stringify(capsule.spec)}`} capsule={capsule} busy={busy} />
      <section className="vm-card vm-card--danger" aria-labelledby="capsule-delete-title">
        <h2 id="capsule-delete-title" className="vm-card__title">
          Delete capsule
        </h2>
        <p>Deletes {capsule.name} with its writable layer, logs and snapshots{isCapsuleLive(capsule.state) ? ', stopping it first' : ''}. Volumes on the host are kept.</p>
        <button type="button" className="button vm-btn-danger" data-method="capsule.delete" aria-disabled={busy ? true : undefined} title={busy?.reason} onClick={() => void remove()}>
          <Trash2 aria-hidden="true" size={14} />
          {busy?.status ?? 'Delete…'}
        </button>
      </section>
      {dialog}
    </div>
  );
}

/** The network it is on now (with its address), or the one it joins at its next start. */
function networkText(capsule: Capsule): string {
  const s = capsule.spec;
  if (capsule.network) return `${capsule.network.name}, address ${capsule.network.address} (host side ${capsule.network.hostIfname})`;
  if (!s.network) return 'none: loopback only';
  return `${s.network}, ${s.address ? `address ${s.address}` : 'an address Nova picks'} when it starts`;
}
