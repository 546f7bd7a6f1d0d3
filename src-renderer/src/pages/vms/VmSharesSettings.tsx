// A VM's shared folders: the host folders its guest mounts by tag (virtiofs, or 9p), each
// listed with what carries it and the mount command for the guest, removable, and a form
// to add one. Changed with
// vm.update while the VM is stopped; the helper checks each folder for the caller.
import { useState } from 'react';
import { guestMountCommand, shareTransport, type VmShare } from '../../../../src-shared/vm-shares.js';
import type { VmInfo } from '../../../../src-shared/vm.js';
import { parseHostPath, parseVolumeTarget } from '../../../../src-shared/vocabulary/volume.js';
import { useServices } from '../../app/services.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { FormField } from './FormField.js';
import { useVmStore } from './vm-context.js';

const asSpec = (s: VmShare) => ({ source: s.source, target: s.target, readOnly: s.readOnly });

export function VmSharesSettings({ vm, busy }: { vm: VmInfo; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useVmStore();
  const name = vm.definition.name;
  const shares = vm.definition.shares ?? [];
  const stopped = vm.state === 'stopped' || vm.state === 'crashed';
  const [source, setSource] = useState('');
  const [target, setTarget] = useState('');
  const [readOnly, setReadOnly] = useState(false);
  const sourceCheck = source === '' ? null : parseHostPath(source, 'the host folder');
  const targetCheck = target === '' ? null : parseVolumeTarget(target);
  const sourceError = sourceCheck && !sourceCheck.ok ? sourceCheck.message : undefined;
  const targetError = targetCheck && !targetCheck.ok ? targetCheck.message : undefined;
  const off = busy || !stopped ? true : undefined;
  const why = busy?.reason ?? (stopped ? undefined : 'Stop the VM to change its shared folders.');

  const change = (next: ReturnType<typeof asSpec>[]) => store.getState().run(name, 'Saving…', () => client.call('vm.update', { name, shares: next }));
  const add = async () => {
    if (off || !sourceCheck?.ok || !targetCheck?.ok) return;
    if (await change([...shares.map(asSpec), { source: sourceCheck.value, target: targetCheck.value, readOnly }])) {
      setSource('');
      setTarget('');
      setReadOnly(false);
    }
  };

  return (
    <section className="vm-card" aria-labelledby="vm-shares">
      <h2 id="vm-shares" className="vm-card__title">Shared folders</h2>
      {shares.length === 0 ? (
        <p className="vm-field__hint">No host folders are shared with this VM.</p>
      ) : (
        <ul className="vm-shares">
          {shares.map((s) => (
            <li key={s.tag}>
              <code>{s.tag}</code> {s.source} → {s.target}
              {s.readOnly ? ' (read-only)' : ''} <span className="vm-field__hint">via {shareTransport(s)}</span>
              <p className="vm-field__hint">
                In the guest: <code>{guestMountCommand(s)}</code>
              </p>
              <button
                type="button"
                className="button vm-btn-sm"
                data-method="vm.update"
                aria-disabled={off}
                title={why}
                onClick={() => void (!off && change(shares.filter((x) => x.tag !== s.tag).map(asSpec)))}
              >
                {`Remove ${s.tag}`}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        aria-label="Share a folder"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <FormField label="Host folder" error={sourceError}>
          {(p) => <input {...p} className="vm-input" placeholder="/home/me/src" value={source} onChange={(e) => setSource(e.target.value)} />}
        </FormField>
        <FormField label="Path in the guest" error={targetError}>
          {(p) => <input {...p} className="vm-input" placeholder="/mnt/src" value={target} onChange={(e) => setTarget(e.target.value)} />}
        </FormField>
        <label className="vm-check">
          <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} />
          Read-only (the guest cannot change the folder)
        </label>
        <div className="vm-wizard__actions">
          <button type="submit" className="button" data-method="vm.update" aria-disabled={off ?? (!sourceCheck?.ok || !targetCheck?.ok || undefined)} title={why}>
            Share folder
          </button>
        </div>
      </form>
    </section>
  );
}
