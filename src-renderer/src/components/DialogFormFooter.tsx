// The foot of a form in a dialog: Close, and the submit button that says it is working.
import { SubmitButton } from './SubmitButton.js';

interface DialogFormFooterProps {
  readonly onClose: () => void;
  readonly busy: boolean;
  readonly label: string;
  readonly busyLabel: string;
  /** The method(s) submitting calls, as data-method for the parity table. */
  readonly method?: string;
  readonly closeLabel?: string;
}

export function DialogFormFooter({ onClose, busy, label, busyLabel, method, closeLabel = 'Close' }: DialogFormFooterProps) {
  return (
    <footer className="modal__footer">
      <button type="button" className="button" onClick={onClose}>
        {closeLabel}
      </button>
      <SubmitButton busy={busy} label={label} busyLabel={busyLabel} {...(method ? { method } : {})} />
    </footer>
  );
}
