// A VM's settings: its memory, CPUs and description (saved with vm.update while stopped,
// sizes checked with the contract's parser as typed) and deleting
// it, with the choice to keep its disk files. Deleting a running VM asks to force it off.
// While something holds the VM both are off, saying what holds it (the header says it too).
import { Trash2 } from 'lucide-react';
import { useState } from 'react';
import { VM_MAX_CPUS, type VmInfo } from '../../../../src-shared/vm.js';
import { formatSize, parseSize, VM_MEMORY } from '../../../../src-shared/vocabulary/size.js';
import { useServices } from '../../app/services.js';
import { vmHref } from '../../lib/vm-route.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { ProjectChangeNotice } from '../projects/ProjectOwner.js';
import { FormField } from './FormField.js';
import { useVmStore } from './vm-context.js';

export function VmSettings({ vm, busy }: { vm: VmInfo; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useVmStore();
  const name = vm.definition.name;
  const off = busy ? true : undefined;
  const def = vm.definition;
  const [description, setDescription] = useState(def.description);
  const [memory, setMemory] = useState(formatSize(def.memoryMiB));
  const [cpus, setCpus] = useState(String(def.cpus));
  const [keepDisks, setKeepDisks] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const stopped = vm.state === 'stopped' || vm.state === 'crashed';
  const tooLong = description.length > 1024 ? 'a description has at most 1024 characters' : undefined;
  const parsedMemory = parseSize(memory, VM_MEMORY);
  const memoryError = parsedMemory.ok ? undefined : parsedMemory.message;
  const cpuCount = Number(cpus);
  const cpusError = /^\d+$/.test(cpus.trim()) && cpuCount >= 1 && cpuCount <= VM_MAX_CPUS ? undefined : `a whole number of CPUs from 1 to ${VM_MAX_CPUS}`;
  const patch = {
    ...(description !== def.description ? { description } : {}),
    ...(parsedMemory.ok && parsedMemory.value !== def.memoryMiB ? { memory: formatSize(parsedMemory.value) } : {}),
    ...(!cpusError && cpuCount !== def.cpus ? { cpus: cpuCount } : {}),
  };
  const invalid = Boolean(tooLong ?? memoryError ?? cpusError);
  const changed = Object.keys(patch).length > 0;

  const save = () => {
    if (busy || invalid || !changed || !stopped) return;
    void store.getState().run(name, 'Saving…', () => client.call('vm.update', { name, ...patch }));
  };

  const remove = async () => {
    if (busy) return;
    const ok = await store.getState().run(name, stopped ? 'Deleting…' : 'Forcing off and deleting…', () =>
      client.call('vm.delete', { name, force: !stopped, keepDisks }),
    );
    if (ok) window.location.hash = vmHref({ kind: 'list' });
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
        <ProjectChangeNotice project={def.project} kind="vm" name={name} noun="VM" />
        <FormField label="Memory" error={memoryError} hint={stopped ? 'e.g. 2Gi or 512Mi' : 'Stop the VM to change its settings.'}>
          {(p) => <input {...p} className="vm-input" value={memory} onChange={(e) => setMemory(e.target.value)} spellCheck={false} autoComplete="off" />}
        </FormField>
        <FormField label="CPUs" error={cpusError}>
          {(p) => <input {...p} className="vm-input" inputMode="numeric" value={cpus} onChange={(e) => setCpus(e.target.value)} autoComplete="off" />}
        </FormField>
        <FormField label="VM description" error={tooLong}>
          {(p) => <textarea {...p} className="vm-input" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </FormField>
        <div className="vm-wizard__actions">
          <button type="submit" className="button" aria-disabled={off ?? (!changed || !stopped || invalid || undefined)} title={busy?.reason}>
            Save
          </button>
        </div>
      </form>
      <section className="vm-card vm-card--danger" aria-labelledby="vm-delete">
        <h2 id="vm-delete" className="vm-card__title">Delete this VM</h2>
        <label className="vm-check">
          <input type="checkbox" checked={keepDisks} onChange={(e) => setKeepDisks(e.target.checked)} />
          Keep its disk files (only the definition, snapshots list and logs go)
        </label>
        {!confirming ? (
          <button type="button" className="button vm-btn-danger" aria-disabled={off} title={busy?.reason} onClick={() => !busy && setConfirming(true)}>
            <Trash2 aria-hidden="true" size={14} />
            Delete {name}…
          </button>
        ) : (
          <div className="vm-confirm" role="alertdialog" aria-label={`Confirm deleting ${name}`}>
            <p>
              {stopped
                ? `Delete ${name}${keepDisks ? ', keeping its disks' : ' and its disks'}? This cannot be undone.`
                : `${name} is ${vm.state}. Force it off (unsaved guest data is lost) and delete it${keepDisks ? ', keeping its disks' : ' with its disks'}?`}
            </p>
            <button type="button" className="button vm-btn-danger" aria-disabled={off} title={busy?.reason} onClick={() => void remove()}>
              {busy?.status ?? (stopped ? 'Delete' : 'Force off and delete')}
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        )}
      </section>
    </div>
  );
}
