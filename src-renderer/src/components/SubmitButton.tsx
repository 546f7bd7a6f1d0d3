// A form's submit button that says it is working: a spinner and the busy word while the
// answer is awaited, kept focusable (aria-disabled) so focus does not jump to the page.
import { LoaderCircle } from 'lucide-react';

/** `method`: the helper method(s) the form calls, as data-method for the parity table. */
export function SubmitButton({ busy, label, busyLabel, method }: { busy: boolean; label: string; busyLabel: string; method?: string }) {
  return (
    <button type="submit" className="button button--primary" aria-disabled={busy || undefined} data-method={method}>
      {busy && <LoaderCircle aria-hidden="true" size={14} className="spin" />}
      {busy ? busyLabel : label}
    </button>
  );
}
