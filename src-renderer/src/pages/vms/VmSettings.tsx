// A VM's settings: its description (saved with vm.update while stopped), its hardware
// (VmHardwareSettings), its shared folders (VmSharesSettings), how it starts and restarts (VmLifecycleSettings), and deleting
// it, with the choice to keep its disk files. Deleting a running VM asks to force it off.
// While something holds the VM both are off, saying what holds it (the header says it too).
// Deleting asks first (components/ConfirmDialog.tsx), saying what goes.
import { Trash2 } from 'lucide-react';
import { useState } from 'react';
import type { VmInfo } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { announce } from '../../stores/toast-store.js';
import { vmHref } from '../../lib/vm-route.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { ProjectChangeNotice } from '../projects/ProjectOwner.js';
import { FormField } from './FormField.js';
import { VmCopies } from './VmCopies.js';
import { VmHardwareSettings } from './VmHardwareSettings.js';
import { VmLifecycleSettings } from './VmLifecycleSettings.js';
import { VmSharesSettings } from './VmSharesSettings.js';
import { useVmStore } from './vm-context.js';

export function VmSettings({ vm, busy }: { vm: VmInfo; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useVmStore();
  const name = vm.definition.name;
  const off = busy ? true : undefined;
  const [description, setDescription] = useState(vm.definition.description);
  const [keepDisks, setKeepDisks] = useState(false);
  const { confirm, dialog } = useConfirm();
  const stopped = vm.state === 'stopped' || vm.state === 'crashed';
  const tooLong = description.length > 1024 ? 'a description has at most 1024 characters' : undefined;
  const changed = description !== vm.definition.description;

  const save = () => {
    if (busy || tooLong || !changed || !stopped) return;
    void store.getState().run(name, 'Saving…', () => client.call('vm.update', { name, description }));
  };

  const remove = async () => {
    if (busy) return;
    const yes = await confirm({
      title: `Delete ${name}?`,
      body: (
        <p>
          {stopped
            ? `${name} goes with its snapshots and logs${keepDisks ? '; its disk files are kept' : ' and its disks'}. This cannot be undone.`
            : `${name} is ${vm.state}: it is forced off at once (what the guest has not saved is lost), then deleted with its snapshots and logs${keepDisks ? '; its disk files are kept' : ' and its disks'}. This cannot be undone.`}
        </p>
      ),
      confirmLabel: stopped ? 'Delete' : 'Force off and delete',
    });
    if (!yes) return;
    const ok = await store.getState().run(name, stopped ? 'Deleting…' : 'Forcing off and deleting…', () =>
      client.call('vm.delete', { name, force: !stopped, keepDisks }),
    );
    if (!ok) return;
    announce(`Deleted '${name}'`, keepDisks ? 'Its disk files were kept.' : undefined);
    window.location.hash = vmHref({ kind: 'list' });
  };

  return (
    <div className="vm-settings">
      <form
        className="vm-card"
        aria-label="General settings"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <h2 className="vm-card__title">General</h2>
        <ProjectChangeNotice project={vm.definition.project} kind="vm" name={name} noun="VM" />
        <FormField label="VM description" error={tooLong} hint={stopped ? undefined : 'Stop the VM to change its settings.'}>
          {(p) => <textarea {...p} className="vm-input" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </FormField>
        <div className="vm-wizard__actions">
          <button type="submit" className="button" data-method="vm.update" aria-disabled={off ?? (!changed || !stopped || Boolean(tooLong) || undefined)} title={busy?.reason}>
            Save
          </button>
        </div>
      </form>
      <VmHardwareSettings key={`${vm.definition.cpus}-${vm.definition.memoryMiB}`} vm={vm} busy={busy} />
      <VmSharesSettings vm={vm} busy={busy} />
      <VmLifecycleSettings key={JSON.stringify([vm.definition.autostart, vm.definition.restart])} vm={vm} busy={busy} />
      <VmCopies vm={vm} busy={busy} />
      <section className="vm-card vm-card--danger" aria-labelledby="vm-delete">
        <h2 id="vm-delete" className="vm-card__title">Delete this VM</h2>
        <label className="vm-check">
          <input type="checkbox" checked={keepDisks} onChange={(e) => setKeepDisks(e.target.checked)} />
          Keep its disk files (only the definition, snapshots list and logs go)
        </label>
        <button type="button" className="button vm-btn-danger" data-method="vm.delete" aria-disabled={off} title={busy?.reason} onClick={() => void remove()}>
          <Trash2 aria-hidden="true" size={14} />
          {busy?.status ?? `Delete ${name}…`}
        </button>
      </section>
      {dialog}
    </div>
  );
}
