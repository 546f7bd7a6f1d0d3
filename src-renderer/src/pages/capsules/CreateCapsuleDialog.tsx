// The create dialog: image (from the imported and pulled list), command, env, volumes,
// CPU, memory and pids limits and the restart policy, checked with the contract's
// schema as the user types (an error shows once its field was touched, all of them on
// submit). Once the helper runs the creation, the dialog closes and the capsule's page
// opens on it, showing its progress in place; created, it is started unless asked not to.
import { useMemo, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { ModalDialog } from '../../components/ModalDialog.js';
import { capsuleSpecFromForm, EMPTY_CAPSULE_FORM, type CapsuleForm, type CapsuleFormField } from '../../lib/capsule-form.js';
import { focusFirstInvalid } from '../../lib/focus-first-invalid.js';
import { capsuleHref } from '../../lib/capsule-route.js';
import { formatBytes } from '../../lib/vm-format.js';
import { FormField } from '../vms/FormField.js';
import { useCapsuleStore } from './capsule-context.js';

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

  const set = (field: CapsuleFormField) => (value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    setTouched((t) => new Set(t).add(field));
  };
  const shown = (field: CapsuleFormField) => (touched.has(field) ? errors[field] : undefined);

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

  const text = (field: CapsuleFormField, label: string, opts: { hint?: string; placeholder?: string; autofocus?: boolean; inputMode?: 'decimal' | 'numeric' } = {}) => (
    <div data-field={field}>
      <FormField label={label} hint={opts.hint} error={shown(field)}>
        {(p) => (
          <input
            {...p}
            className="vm-input"
            value={form[field]}
            placeholder={opts.placeholder}
            inputMode={opts.inputMode}
            spellCheck={false}
            autoComplete="off"
            {...(opts.autofocus ? { 'data-autofocus': true } : {})}
            onChange={(e) => set(field)(e.target.value)}
          />
        )}
      </FormField>
    </div>
  );
  const area = (field: CapsuleFormField, label: string, hint: string, placeholder: string) => (
    <div data-field={field} className="capsule-form__wide">
      <FormField label={label} hint={hint} error={shown(field)}>
        {(p) => <textarea {...p} className="vm-input" rows={2} value={form[field]} placeholder={placeholder} spellCheck={false} onChange={(e) => set(field)(e.target.value)} />}
      </FormField>
    </div>
  );

  return (
    <form className="capsule-form" onSubmit={(e) => void submit(e)} noValidate aria-busy={Boolean(busy)}>
      <div className="capsule-form__body">
        {refusal && <ErrorPanel context={refusal.what} error={refusal.error} />}
        <div className="vm-form-grid">
          {text('name', 'Name', { placeholder: 'web', hint: 'Lowercase letters, digits, - and _.', autofocus: true })}
          <div data-field="image">
            <FormField
              label="Image"
              hint={image ? `${image.source === 'pull' ? 'Pulled' : 'Imported'}, ${formatBytes(image.sizeBytes)}; runs ${[...image.config.entrypoint, ...image.config.cmd].join(' ') || 'nothing by default'}` : 'Import or pull an image with "nova image" first.'}
              error={shown('image')}
            >
              {(p) => (
                <select {...p} className="vm-input" value={form.image} onChange={(e) => set('image')(e.target.value)}>
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
        <div className="capsule-form__wide">
          {text('command', 'Command', { placeholder: image?.config.cmd.join(' ') || 'sh -c "echo hello"', hint: "The image's command when empty. Quote as in a shell." })}
        </div>
        <div className="vm-form-grid">
          {area('env', 'Environment', 'One KEY=value per line.', 'GREETING=hello')}
          {area('volumes', 'Volumes', 'One /host/path:/path/inside[:ro] per line.', '/srv/data:/data')}
        </div>
        <div className="vm-form-grid capsule-form__limits">
          {text('cpus', 'CPUs', { placeholder: 'no limit', hint: '0.5 is half of one CPU.', inputMode: 'decimal' })}
          {text('memoryMiB', 'Memory (MiB)', { placeholder: 'no limit', hint: 'At least 6 MiB; 512Mi, 2Gi or 2g work too.' })}
          {text('pids', 'Processes', { placeholder: 'no limit', inputMode: 'numeric' })}
          {text('restart', 'Restart policy', { hint: 'no, always, on-failure or on-failure:N.' })}
        </div>
        <label className="vm-check">
          <input type="checkbox" checked={startNow} onChange={(e) => setStartNow(e.target.checked)} />
          Start it once created
        </label>
      </div>
      <footer className="modal__footer">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button button--primary" aria-disabled={Boolean(busy) || undefined}>
          {busy ?? 'Create'}
        </button>
      </footer>
    </form>
  );
}
