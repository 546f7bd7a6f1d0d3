// The create dialog, with every field `nova capsule create` has: image (from the imported
// and pulled list), entrypoint and command (shown back as the quoted list they become),
// user, working dir, hostname, env, volumes, the network (a Nova network, an address on it
// or one Nova picks) with published ports, CPU, memory, pids and IO limits, the restart
// policy and the stop timeout, checked with the contract's schema as the user types (an error shows once its field was touched, all of them on
// submit). Once the helper runs the creation, the dialog closes and the capsule's page
// opens on it, showing its progress in place; created, it is started unless asked not to.
import { useMemo, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { ModalDialog } from '../../components/ModalDialog.js';
import { capsuleSpecFromForm, EMPTY_CAPSULE_FORM, quotedWords, type CapsuleForm, type CapsuleFormField } from '../../lib/capsule-form.js';
import { focusFirstInvalid } from '../../lib/focus-first-invalid.js';
import { capsuleHref } from '../../lib/capsule-route.js';
import { formatBytes } from '../../lib/vm-format.js';
import { FormField } from '../vms/FormField.js';
import { useCapsuleStore } from './capsule-context.js';
import { LinesField, NetworkFields, TextField, type FieldProps } from './CapsuleFormFields.js';


export function CreateCapsuleDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <ModalDialog open={open} title="Create capsule" onClose={onClose} className="capsule-dialog">
      {open && <CreateCapsuleForm onClose={onClose} />}
    </ModalDialog>
  );
}

function CreateCapsuleForm({ onClose }: { onClose: () => void }) {
  const store = useCapsuleStore();
  const images = useStore(store, (s) => s.images);
  const capsules = useStore(store, (s) => s.capsules);
  const [form, setForm] = useState<CapsuleForm>(() => ({ ...EMPTY_CAPSULE_FORM, image: images?.[0]?.name ?? '' }));
  const [touched, setTouched] = useState<ReadonlySet<CapsuleFormField>>(new Set());
  const [startNow, setStartNow] = useState(true);
  const [busy, setBusy] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<{ what: string; error: ErrorShape } | null>(null);
  const taken = useMemo(() => new Set((capsules ?? []).map((c) => c.name)), [capsules]);
  const { spec, errors } = capsuleSpecFromForm(form, taken);
  const image = images?.find((i) => i.name === form.image);

  const set = (field: CapsuleFormField, value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    setTouched((t) => new Set(t).add(field));
  };
  const p: FieldProps<CapsuleFormField> = { form, errors, shown: (field) => touched.has(field), set };
  const runs = spec ? quotedWords([...(spec.entrypoint ?? image?.config.entrypoint ?? []), ...(spec.command ?? (spec.entrypoint ? [] : (image?.config.cmd ?? [])))]) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(new Set(Object.keys(form) as CapsuleFormField[]));
    if (!spec) return focusFirstInvalid(e.currentTarget as HTMLFormElement);
    if (busy) return;
    setRefusal(null);
    setBusy('Creating…');
    try {
      await store.getState().create(spec, startNow);
    } catch (err) {
      setRefusal({ what: 'Creating the capsule failed', error: toErrorShape(err) });
      setBusy(null);
      return;
    }
    setBusy(null);
    onClose();
    window.location.hash = capsuleHref({ kind: 'capsule', name: spec.name, tab: 'logs' });
  };

  return (
    <form className="capsule-form" onSubmit={(e) => void submit(e)} noValidate aria-busy={Boolean(busy)}>
      <div className="capsule-form__body">
        {refusal && <ErrorPanel context={refusal.what} error={refusal.error} />}
        <div className="vm-form-grid">
          <TextField field="name" label="Name" p={p} o={{ placeholder: 'web', hint: 'Lowercase letters, digits, - and _.', autofocus: true }} />
          <div data-field="image">
            <FormField
              label="Image"
              hint={image ? `${image.source === 'pull' ? 'Pulled' : 'Imported'}, ${formatBytes(image.sizeBytes)}` : 'Import or pull an image with "nova image" first.'}
              error={touched.has('image') ? errors.image : undefined}
            >
              {(a) => (
                <select {...a} className="vm-input" value={form.image} onChange={(e) => set('image', e.target.value)}>
                  {(images ?? []).length === 0 && <option value="">No images yet</option>}
                  {(images ?? []).map((i) => (
                    <option key={i.id} value={i.name}>
                      {i.name}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
          </div>
        </div>
        <fieldset className="capsule-form__group">
          <legend>What it runs</legend>
          <div className="vm-form-grid">
            <TextField field="entrypoint" label="Entrypoint" p={p} o={{ placeholder: quotedWords(image?.config.entrypoint ?? []) || "the image's", hint: "The image's when empty." }} />
            <TextField field="command" label="Command" p={p} o={{ placeholder: quotedWords(image?.config.cmd ?? []) || 'sh -c "echo hello"', hint: 'Quote as in a shell.' }} />
          </div>
          <p className="vm-field__hint" data-runs>
            {runs === null ? 'Runs: (fix the fields above)' : `Runs: ${runs || 'nothing: the image has no command; give one'}`}
          </p>
          <div className="vm-form-grid">
            <TextField field="user" label="User" p={p} o={{ placeholder: image?.config.user || "the image's", hint: 'Numeric uid or uid:gid.' }} />
            <TextField field="workdir" label="Working directory" p={p} o={{ placeholder: image?.config.workdir || "the image's" }} />
            <TextField field="hostname" label="Hostname" p={p} o={{ placeholder: 'the capsule name' }} />
          </div>
          <div className="vm-form-grid">
            <LinesField field="env" label="Environment" hint="One KEY=value per line." placeholder="GREETING=hello" p={p} />
            <LinesField field="volumes" label="Volumes" hint="One /host/path:/path/inside[:ro] per line; :ro makes it read-only." placeholder="/srv/data:/data:ro" p={p} />
          </div>
        </fieldset>
        <fieldset className="capsule-form__group">
          <legend>Network</legend>
          <NetworkFields p={p} />
        </fieldset>
        <fieldset className="capsule-form__group">
          <legend>Limits and restarts</legend>
          <div className="vm-form-grid capsule-form__limits">
            <TextField field="cpus" label="CPUs" p={p} o={{ placeholder: 'no limit', hint: '0.5 is half of one CPU.', inputMode: 'decimal' }} />
            <TextField field="memoryMiB" label="Memory" p={p} o={{ placeholder: 'no limit', hint: 'e.g. 512Mi or 2Gi; a bare number is MiB.' }} />
            <TextField field="pids" label="Processes" p={p} o={{ placeholder: 'no limit', inputMode: 'numeric' }} />
            <TextField field="ioWeight" label="IO weight" p={p} o={{ placeholder: 'default', hint: '10 to 1000.', inputMode: 'numeric' }} />
            <TextField field="restart" label="Restart policy" p={p} o={{ hint: 'no, always, on-failure or on-failure:N.' }} />
            <TextField field="stopTimeoutSec" label="Stop timeout (s)" p={p} o={{ hint: 'SIGTERM, then SIGKILL after this.', inputMode: 'numeric' }} />
          </div>
        </fieldset>
        <label className="vm-check">
          <input type="checkbox" checked={startNow} onChange={(e) => setStartNow(e.target.checked)} />
          Start it once created
        </label>
      </div>
      <footer className="modal__footer">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button button--primary" data-method="capsule.create capsule.start" aria-disabled={Boolean(busy) || undefined}>
          {busy ?? 'Create'}
        </button>
      </footer>
    </form>
  );
}
