// The form behind "Import disk" and "Pull image": where the image comes from (a file on
// the host, or a registry reference) and the name to list it under. Its dialog closes as
// soon as the helper runs the import or pull, whose progress and Cancel then live on the
// Images page and in the activity panel; a refusal before that is shown here, whole, and
// one about the source (missing, unreadable) under the source field.
import { useId, useState, type FormEvent } from 'react';
import { DialogFormFooter } from '../../components/DialogFormFooter.js';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import { ModalDialog } from '../../components/ModalDialog.js';
import { TextField } from '../../components/TextField.js';
import { errorWords } from '../../lib/error-words.js';
import type { ImportFormErrors, ImportFormValues } from '../../lib/image-import-form.js';
import { lockingOperation } from '../../lib/operation-format.js';

/** What makes the form an import or a pull. */
export interface ImageSourceSpec {
  readonly title: string;
  readonly sourceLabel: string;
  readonly sourceHint: string;
  readonly nameHint: string;
  readonly submitLabel: string;
  /** The helper method the submit calls, for data-method. */
  readonly method: string;
  readonly check: (values: ImportFormValues) => ImportFormErrors;
  readonly suggestName: (source: string) => string;
  /** A yes/no beside the fields (a pull's "plain HTTP registry on 127.0.0.1"). */
  readonly option?: { readonly label: string; readonly hint: string };
}

export interface ImageSourceFormProps {
  readonly spec: ImageSourceSpec;
  readonly onClose: () => void;
  readonly onSubmit: (source: string, name: string, option: boolean) => Promise<void>;
  /** Brings an operation into view in the activity panel (the one a "busy" refusal names). */
  readonly onShowOperation: (id: string) => void;
}

export function ImageSourceDialog({ open, ...props }: ImageSourceFormProps & { readonly open: boolean }) {
  return (
    <ModalDialog open={open} title={props.spec.title} onClose={props.onClose} className="modal--form">
      {/* Mounted only while open, so every opening starts from an empty form. */}
      {open && <ImageSourceForm {...props} />}
    </ModalDialog>
  );
}

function ImageSourceForm({ spec, onClose, onSubmit, onShowOperation }: ImageSourceFormProps) {
  const ids = useId();
  const [values, setValues] = useState<ImportFormValues>({ path: '', name: '' });
  const [nameEdited, setNameEdited] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [option, setOption] = useState(false);
  const [refusal, setRefusal] = useState<ErrorShape | null>(null);
  const errors = spec.check(values);
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
      await onSubmit(values.path.trim(), values.name.trim(), option);
      onClose();
    } catch (err) {
      const error = toErrorShape(err);
      setRefusal(error);
      setBusy(false);
      if (errorWords(error).field === 'path') document.getElementById(`${ids}-path`)?.focus();
    }
  };

  const field = (key: keyof ImportFormValues, label: string, hint: string, onChange: (v: string) => void) => (
    <TextField
      id={`${ids}-${key}`}
      field={key}
      label={label}
      hint={hint}
      value={values[key]}
      error={(submitted || values[key] ? errors[key] : undefined) ?? (key === 'path' ? pathRefusal : undefined)}
      required={key === 'path'}
      autoFocus={key === 'path'}
      onChange={(v) => {
        // A refusal was about the value that was sent; an edited one awaits its own answer.
        setRefusal(null);
        onChange(v);
      }}
    />
  );

  return (
    <form className="network-form" aria-label={spec.title} data-method={spec.method} onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
      <div className="network-form__body">
        {field('path', spec.sourceLabel, spec.sourceHint, (path) => setValues((v) => ({ path, name: nameEdited ? v.name : spec.suggestName(path) })))}
        {field('name', 'Name', spec.nameHint, (name) => {
          setNameEdited(true);
          setValues((v) => ({ ...v, name }));
        })}
        {spec.option && (
          <div className="form-field" data-field="option">
            <label className="vm-check">
              <input type="checkbox" checked={option} onChange={(e) => setOption(e.target.checked)} aria-describedby={`${ids}-option-hint`} /> {spec.option.label}
            </label>
            <p id={`${ids}-option-hint`} className="form-field__hint">
              {spec.option.hint}
            </p>
          </div>
        )}
        {words && !pathRefusal && (
          <div className="form-refusal" role="alert">
            <p className="form-refusal__title">
              The helper did not start the {spec.submitLabel.toLowerCase()}: {words.title}
            </p>
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
      <DialogFormFooter onClose={onClose} busy={busy} label={spec.submitLabel} busyLabel="Starting…" />
    </form>
  );
}
