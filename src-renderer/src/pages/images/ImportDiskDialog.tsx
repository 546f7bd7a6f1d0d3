// The import-disk dialog: a file on the host and the name to list it under. It closes
// as soon as the helper runs the import, whose progress and Cancel then live on the
// Images page and in the activity panel; a refusal before that is shown here, whole,
// and one about the file (missing, outside the allowed folders) under the path field.
import { useId, useState, type FormEvent } from 'react';
import { SubmitButton } from '../../components/SubmitButton.js';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import { ModalDialog } from '../../components/ModalDialog.js';
import { errorWords } from '../../lib/error-words.js';
import { checkImportForm, suggestImageName, type ImportFormValues } from '../../lib/image-import-form.js';
import { lockingOperation } from '../../lib/operation-format.js';

interface ImportDiskDialogProps {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly onImport: (path: string, name: string) => Promise<void>;
  /** Brings an operation into view in the activity panel (the one a "busy" refusal names). */
  readonly onShowOperation: (id: string) => void;
}

export function ImportDiskDialog({ open, onClose, onImport, onShowOperation }: ImportDiskDialogProps) {
  return (
    <ModalDialog open={open} title="Import a disk" onClose={onClose} className="modal--form">
      {/* Mounted only while open, so every opening starts from an empty form. */}
      {open && <ImportDiskForm onClose={onClose} onImport={onImport} onShowOperation={onShowOperation} />}
    </ModalDialog>
  );
}

function ImportDiskForm({ onClose, onImport, onShowOperation }: Omit<ImportDiskDialogProps, 'open'>) {
  const ids = useId();
  const [values, setValues] = useState<ImportFormValues>({ path: '', name: '' });
  const [nameEdited, setNameEdited] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<ErrorShape | null>(null);
  const errors = checkImportForm(values);
  const holder = refusal ? lockingOperation(refusal) : null;
  const words = refusal ? errorWords(refusal) : null;
  const pathRefusal = words?.field === 'path' ? `${words.sentence} ${words.next}` : undefined;

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (busy) return;
    setSubmitted(true);
    const first = (['path', 'name'] as const).find((f) => errors[f]);
    if (first) return document.getElementById(`${ids}-${first}`)?.focus();
    setBusy(true);
    setRefusal(null);
    try {
      await onImport(values.path.trim(), values.name.trim());
      onClose();
    } catch (err) {
      const error = toErrorShape(err);
      setRefusal(error);
      setBusy(false);
      if (errorWords(error).field === 'path') document.getElementById(`${ids}-path`)?.focus();
    }
  };

  const field = (key: keyof ImportFormValues, label: string, hint: string, onChange: (v: string) => void) => {
    const error = (submitted || values[key] ? errors[key] : undefined) ?? (key === 'path' ? pathRefusal : undefined);
    const id = `${ids}-${key}`;
    return (
      <div className="form-field" data-field={key}>
        <label htmlFor={id} className="form-field__label">
          {label}
        </label>
        <input
          id={id}
          className="form-field__input"
          value={values[key]}
          onChange={(e) => {
            // A refusal was about the value that was sent; an edited one awaits its own answer.
            setRefusal(null);
            onChange(e.target.value);
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
          autoComplete="off"
          spellCheck={false}
          data-autofocus={key === 'path' || undefined}
        />
        {error && (
          <p id={`${id}-error`} className="form-field__error">
            {error}
          </p>
        )}
        <p id={`${id}-hint`} className="form-field__hint">
          {hint}
        </p>
      </div>
    );
  };

  return (
    <form className="network-form" aria-label="Import a disk" data-method="image.import" onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
      <div className="network-form__body">
        {field(
          'path',
          'Disk file on the host',
          'raw, qcow2, vmdk, vdi or vhdx (kept as qcow2), or an .iso copied as it is. The helper reads only from its allowed folders.',
          (path) => setValues((v) => ({ path, name: nameEdited ? v.name : suggestImageName(path) })),
        )}
        {field('name', 'Name', 'How VMs and the library name it.', (name) => {
          setNameEdited(true);
          setValues((v) => ({ ...v, name }));
        })}
        {words && !pathRefusal && (
          <div className="form-refusal" role="alert">
            <p className="form-refusal__title">The helper did not start the import: {words.title}</p>
            <p>{words.sentence}</p>
            <p className="form-field__hint">{words.next}</p>
            {holder && (
              <button
                type="button"
                className="button"
                onClick={() => {
                  onClose();
                  onShowOperation(holder);
                }}
              >
                Show the operation
              </button>
            )}
          </div>
        )}
      </div>
      <footer className="modal__footer">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
        <SubmitButton busy={busy} label="Import" busyLabel="Starting…" />
      </footer>
    </form>
  );
}
