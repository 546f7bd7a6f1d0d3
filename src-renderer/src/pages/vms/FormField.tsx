// One labelled form control with its hint and its error beside it; the error is tied
// to the control with aria-describedby so a screen reader reads it with the field.
import { useId, type ReactElement, type ReactNode } from 'react';

interface FormFieldProps {
  readonly label: string;
  readonly hint?: ReactNode;
  readonly error?: string | undefined;
  readonly children: (props: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactElement;
}

export function FormField({ label, hint, error, children }: FormFieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={`vm-field${error ? ' vm-field--invalid' : ''}`}>
      <label htmlFor={id} className="vm-field__label">
        {label}
      </label>
      {children({ id, ...(error ? { 'aria-invalid': true as const } : {}), ...(described ? { 'aria-describedby': described } : {}) })}
      {hint && (
        <p id={`${id}-hint`} className="vm-field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="vm-field__error" data-error-for={label}>
          {error}
        </p>
      )}
    </div>
  );
}
