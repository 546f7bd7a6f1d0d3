// The foot of a form in a dialog: Close, and the submit button that says it is working.
import { SubmitButton } from './SubmitButton.js';

export function DialogFormFooter({ onClose, busy, label, busyLabel }: { onClose: () => void; busy: boolean; label: string; busyLabel: string }) {
  return (
    <footer className="modal__footer">
      <button type="button" className="button" onClick={onClose}>
        Close
      </button>
      <SubmitButton busy={busy} label={label} busyLabel={busyLabel} />
    </footer>
  );
}
