// Saving a remote host: a name and ssh://[user@]host[:port], checked while typing by the
// same parsers `nova host add` uses, so the page refuses exactly what the CLI refuses.
// The save then asks the host, and the caller says what it found.
import { useId, useState, type FormEvent } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import type { HostStatusView, SavedHost } from '../../../../src-shared/api/hosts-api.js';
import { LOCAL_HOST, parseHostAddress, parseHostName } from '../../../../src-shared/vocabulary/index.js';
import { useServices } from '../../app/services.js';
import { DialogFormFooter } from '../../components/DialogFormFooter.js';
import { ModalDialog } from '../../components/ModalDialog.js';
import { TextField } from '../../components/TextField.js';
import { errorWords } from '../../lib/error-words.js';

type Field = 'name' | 'url';

export function hostFieldError(field: Field, value: string): string | undefined {
  if (field === 'name') {
    if (value === LOCAL_HOST) return '"local" always means this machine; choose another name';
    const parsed = parseHostName(value);
    return parsed.ok ? undefined : parsed.message;
  }
  const parsed = parseHostAddress(value);
  if (!parsed.ok) return parsed.message;
  return parsed.value.kind === 'local' ? '"local" is this machine and needs no saving; give an ssh:// address' : undefined;
}

interface AddHostDialogProps {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly onAdded: (host: SavedHost, status: HostStatusView) => void;
}

export function AddHostDialog({ open, onClose, onAdded }: AddHostDialogProps) {
  return (
    <ModalDialog open={open} title="Add a host" onClose={onClose} className="modal--form">
      {/* Mounted only while open, so every opening starts from an empty form. */}
      {open && <AddHostForm onClose={onClose} onAdded={onAdded} />}
    </ModalDialog>
  );
}

function AddHostForm({ onClose, onAdded }: Omit<AddHostDialogProps, 'open'>) {
  const ids = useId();
  const { client } = useServices();
  const [values, setValues] = useState<Record<Field, string>>({ name: '', url: '' });
  const [touched, setTouched] = useState<ReadonlySet<Field>>(new Set());
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<ErrorShape | null>(null);

  const errorOf = (f: Field): string | undefined => (touched.has(f) ? hostFieldError(f, values[f]) : undefined);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (busy) return;
    setTouched(new Set<Field>(['name', 'url']));
    const first = (['name', 'url'] as const).find((f) => hostFieldError(f, values[f]));
    if (first) {
      document.getElementById(`${ids}-${first}`)?.focus();
      return;
    }
    setBusy(true);
    setRefusal(null);
    try {
      const r = await client.call('hosts.add', { name: values.name, url: values.url });
      onAdded(r.host, r.status);
    } catch (err) {
      setRefusal(toErrorShape(err));
      setBusy(false);
    }
  };

  const field = (f: Field, label: string, placeholder: string, hint: string) => (
    <TextField
      id={`${ids}-${f}`}
      label={label}
      value={values[f]}
      placeholder={placeholder}
      hint={hint}
      error={errorOf(f)}
      autoFocus={f === 'name'}
      onChange={(value) => {
        setValues((v) => ({ ...v, [f]: value }));
        setTouched((t) => new Set(t).add(f));
      }}
    />
  );

  return (
    <form className="network-form" onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
      <div className="network-form__body">
        {field('name', 'Name', 'closet', 'What --host calls it: lowercase letters, digits and "-".')}
        {field('url', 'Address', 'ssh://admin@closet.lan:2222', 'Reached with your own ssh keys; Nova keeps no passwords.')}
        {refusal && (
          <div className="form-refusal" role="alert">
            <p className="form-refusal__title">The host was not saved</p>
            <p className="form-refusal__message">{errorWords(refusal).sentence}</p>
          </div>
        )}
      </div>
      <DialogFormFooter onClose={onClose} busy={busy} label="Add host" busyLabel="Asking the host…" method="hosts.add" closeLabel="Cancel" />
    </form>
  );
}
