// Copies of a VM: Clone (vm.clone: a full copy, or linked overlays when the VM is a
// template), Make template / Make ordinary VM (vm.setTemplate) and, for a template, New
// from template (vm.create with fromTemplate). A clone is an operation: its progress
// shows in the activity panel while the dialog waits; the new VM opens when it is made.
import { Copy, LayoutTemplate } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { toErrorShape } from '../../../../src-shared/errors.js';
import { VmNameSchema, type VmInfo } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import { ModalDialog } from '../../components/ModalDialog.js';
import { DialogFormFooter } from '../../components/DialogFormFooter.js';
import { errorWords } from '../../lib/error-words.js';
import { vmHref } from '../../lib/vm-route.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { announce } from '../../stores/toast-store.js';
import { FormField } from './FormField.js';
import { useVmStore } from './vm-context.js';

type CopyMode = 'clone' | 'fromTemplate';

export function VmCopies({ vm, busy }: { vm: VmInfo; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useVmStore();
  const [mode, setMode] = useState<CopyMode | null>(null);
  const { name, template } = vm.definition;
  const stopped = vm.state === 'stopped' || vm.state === 'crashed';
  const off = busy || !stopped ? true : undefined;
  const why = busy?.reason ?? (stopped ? undefined : 'Stop the VM first.');

  const toggleTemplate = () => {
    if (off) return;
    void store.getState().run(name, template ? 'Making it an ordinary VM…' : 'Making it a template…', () => client.call('vm.setTemplate', { name, template: !template }));
  };

  return (
    <section className="vm-card" aria-labelledby="vm-copies">
      <h2 id="vm-copies" className="vm-card__title">
        Copies and templates
      </h2>
      <p className="vm-field__hint">
        {template
          ? `${name} is a template: it does not start; new VMs made from it share its disks as overlays.`
          : 'A clone copies the disks whole. A template is kept unchanged as the start of new VMs.'}
      </p>
      <div className="vm-wizard__actions">
        <button type="button" className="button" aria-disabled={off} title={why} data-method="vm.clone" onClick={() => !off && setMode('clone')}>
          <Copy aria-hidden="true" size={14} />
          Clone…
        </button>
        {template && (
          <button type="button" className="button" aria-disabled={busy ? true : undefined} title={busy?.reason} data-method="vm.create" onClick={() => !busy && setMode('fromTemplate')}>
            <LayoutTemplate aria-hidden="true" size={14} />
            New from template…
          </button>
        )}
        <button type="button" className="button" aria-disabled={off} title={why} data-method="vm.setTemplate" onClick={toggleTemplate}>
          {template ? 'Make ordinary VM' : 'Make template'}
        </button>
      </div>
      <ModalDialog open={mode !== null} title={mode === 'fromTemplate' ? `New VM from ${name}` : `Clone ${name}`} onClose={() => setMode(null)} className="modal--form">
        {mode && <CopyForm mode={mode} source={vm} onClose={() => setMode(null)} />}
      </ModalDialog>
    </section>
  );
}

function CopyForm({ mode, source, onClose }: { mode: CopyMode; source: VmInfo; onClose: () => void }) {
  const { client } = useServices();
  const from = source.definition.name;
  const [target, setTarget] = useState(`${from}-${mode === 'clone' ? 'copy' : 'new'}`.slice(0, 63));
  const [linked, setLinked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const checked = VmNameSchema.safeParse(target.trim());
  const invalid = checked.success ? undefined : (checked.error.issues[0]?.message ?? 'not a valid VM name');
  const method = mode === 'clone' ? 'vm.clone' : 'vm.create';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || invalid) return;
    setBusy(true);
    setRefusal(null);
    const name = target.trim();
    try {
      if (mode === 'clone') await client.call('vm.clone', { source: from, target: name, linked });
      else await client.call('vm.create', { name, fromTemplate: from });
      announce(mode === 'clone' ? `Cloned '${from}' to '${name}'` : `Created '${name}' from template '${from}'`);
      onClose();
      window.location.hash = vmHref({ kind: 'vm', name, tab: 'overview' });
    } catch (err) {
      const words = errorWords(toErrorShape(err));
      setRefusal(`${words.sentence} ${words.next}`);
      setBusy(false);
    }
  };

  return (
    <form className="network-form" aria-label={mode === 'clone' ? `Clone ${from}` : `New VM from ${from}`} data-method={method} noValidate onSubmit={(e) => void submit(e)} aria-busy={busy}>
      <div className="network-form__body">
        <FormField label="New VM name" error={invalid}>
          {(p) => <input {...p} className="vm-input" value={target} onChange={(e) => setTarget(e.target.value)} autoComplete="off" spellCheck={false} data-autofocus />}
        </FormField>
        {mode === 'clone' && source.definition.template && (
          <label className="vm-check">
            <input type="checkbox" checked={linked} onChange={(e) => setLinked(e.target.checked)} />
            Linked: overlays on this template's disks instead of whole copies
          </label>
        )}
        {refusal && (
          <p className="form-field__error" role="alert">
            {refusal}
          </p>
        )}
      </div>
      <DialogFormFooter onClose={onClose} busy={busy} label={mode === 'clone' ? 'Clone' : 'Create'} busyLabel={mode === 'clone' ? 'Cloning…' : 'Creating…'} />
    </form>
  );
}
