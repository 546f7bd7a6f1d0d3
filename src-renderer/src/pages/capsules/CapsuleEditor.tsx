// Changing a capsule's settings on its Settings tab: what it runs (entrypoint, command,
// user, working directory, hostname), env, volumes, limits, restart policy, stop
// timeout, network, address and published ports, sent with capsule.update, which takes a
// stopped capsule and applies them at its next start (a running one is refused by the
// helper, so the fields stay open but saving says to stop it first). Each field is checked
// as typed with the contract's own parsers (lib/capsule-form.ts), so the page and the
// helper refuse the same values; an emptied field removes the limit or the network. A
// project's capsule gets the write-back offer beside it.
import { useState, type FormEvent } from 'react';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { useServices } from '../../app/services.js';
import { capsuleUpdateFromForm, editFormOf, EDITABLE_FIELDS, type CapsuleEditForm, type EditableField } from '../../lib/capsule-form.js';
import { focusFirstInvalid } from '../../lib/focus-first-invalid.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { announce } from '../../stores/toast-store.js';
import { ProjectChangeNotice } from '../projects/ProjectOwner.js';
import { useCapsuleStore } from './capsule-context.js';
import { LinesField, NetworkFields, TextField, type FieldProps } from './CapsuleFormFields.js';

export function CapsuleEditor({ capsule, busy }: { capsule: Capsule; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useCapsuleStore();
  const [form, setForm] = useState<CapsuleEditForm>(() => editFormOf(capsule.spec));
  const [submitted, setSubmitted] = useState(false);
  const stopped = capsule.state === 'stopped' || capsule.state === 'created';
  const { update, errors, changed } = capsuleUpdateFromForm(capsule.name, capsule.spec, form);
  const changedFields = EDITABLE_FIELDS.filter((f) => form[f].trim() !== editFormOf(capsule.spec)[f].trim());
  const off = busy !== null || !stopped || !changed;

  const set = (field: EditableField, value: string) => setForm((f) => ({ ...f, [field]: value }));
  // An error shows once its field differs from what the capsule has, or after a submit.
  const p: FieldProps<EditableField> = { form, errors, shown: (field) => submitted || changedFields.includes(field), set };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!update) return focusFirstInvalid(e.currentTarget as HTMLFormElement);
    if (off) return;
    const ok = await store.getState().run(capsule.name, 'Saving…', () => client.call('capsule.update', update));
    if (ok) {
      setSubmitted(false);
      announce(`Saved the settings of '${capsule.name}'`, 'They apply when it starts.');
    }
  };

  return (
    <form className="vm-card capsule-form" aria-label="Change settings" noValidate onSubmit={(e) => void save(e)}>
      <h2 className="vm-card__title">Change settings</h2>
      <ProjectChangeNotice project={capsule.spec.project} kind="capsule" name={capsule.name} noun="capsule" />
      <p className="vm-field__hint">{stopped ? 'Changes apply at its next start.' : 'Stop the capsule to change these; they apply at its next start.'}</p>
      <div className="vm-form-grid">
        <TextField field="entrypoint" label="Entrypoint" p={p} o={{ placeholder: "the image's", hint: "Quote as in a shell; empty: the image's." }} />
        <TextField field="command" label="Command" p={p} o={{ placeholder: "the image's", hint: "Quote as in a shell; empty: the image's." }} />
      </div>
      <div className="vm-form-grid">
        <TextField field="user" label="User" p={p} o={{ placeholder: "the image's", hint: 'Numeric uid or uid:gid.' }} />
        <TextField field="workdir" label="Working directory" p={p} o={{ placeholder: "the image's" }} />
        <TextField field="hostname" label="Hostname" p={p} o={{ placeholder: 'the capsule name' }} />
      </div>
      <div className="vm-form-grid capsule-form__limits">
        <TextField field="memoryMiB" label="Memory limit" p={p} o={{ placeholder: 'no limit', hint: 'e.g. 512Mi or 2Gi; empty for no limit' }} />
        <TextField field="cpus" label="CPUs" p={p} o={{ placeholder: 'no limit', inputMode: 'decimal' }} />
        <TextField field="pids" label="Processes" p={p} o={{ placeholder: 'no limit', inputMode: 'numeric' }} />
        <TextField field="ioWeight" label="IO weight" p={p} o={{ placeholder: 'default', inputMode: 'numeric' }} />
        <TextField field="restart" label="Restart policy" p={p} o={{ hint: 'no, always, on-failure or on-failure:N.' }} />
        <TextField field="stopTimeoutSec" label="Stop timeout (s)" p={p} o={{ inputMode: 'numeric' }} />
      </div>
      <div className="vm-form-grid">
        <LinesField field="env" label="Environment" hint="One KEY=value per line." placeholder="GREETING=hello" p={p} />
        <LinesField field="volumes" label="Volumes" hint="One /host/path:/path/inside[:ro] per line; :ro makes it read-only." placeholder="/srv/data:/data:ro" p={p} />
      </div>
      <NetworkFields p={p} />
      <div className="vm-wizard__actions">
        <button type="submit" className="button button--primary" data-method="capsule.update" aria-disabled={off || undefined} title={busy?.reason ?? (stopped ? undefined : 'Stop the capsule first')}>
          Save changes
        </button>
      </div>
    </form>
  );
}
