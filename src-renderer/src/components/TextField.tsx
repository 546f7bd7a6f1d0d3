// A labelled text input of a dialog's form, with its error (when there is one) and hint
// beneath it, both read out with the field.
export interface TextFieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly hint: string;
  readonly error?: string | undefined;
  readonly placeholder?: string;
  readonly autoFocus?: boolean;
  /** False for a field that may stay empty. */
  readonly required?: boolean;
  /** The form's own name for the field (`data-field`), where the form finds fields by it. */
  readonly field?: string;
}

export function TextField({ id, label, value, onChange, hint, error, placeholder, autoFocus, required = true, field }: TextFieldProps) {
  return (
    <div className="form-field" data-field={field}>
      <label htmlFor={id} className="form-field__label">
        {label}
      </label>
      <input
        id={id}
        className="form-field__input"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        aria-required={required || undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${error ? `${id}-error ` : ''}${id}-hint`}
        autoComplete="off"
        spellCheck={false}
        data-autofocus={autoFocus || undefined}
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
}
