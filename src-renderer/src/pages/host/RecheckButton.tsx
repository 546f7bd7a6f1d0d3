// Re-check: re-runs every probe. While it runs the button says so and is
// aria-disabled rather than disabled, so keyboard focus stays on it.
import { LoaderCircle, RefreshCw } from 'lucide-react';

interface RecheckButtonProps {
  readonly busy: boolean;
  readonly onRecheck: () => void;
}

export function RecheckButton({ busy, onRecheck }: RecheckButtonProps) {
  return (
    <button
      type="button"
      className="button button--primary"
      data-method="host.check"
      onClick={busy ? undefined : onRecheck}
      aria-disabled={busy || undefined}
      aria-busy={busy || undefined}
    >
      {busy ? (
        <LoaderCircle className="spin" aria-hidden="true" size={14} />
      ) : (
        <RefreshCw aria-hidden="true" size={14} />
      )}
      {busy ? 'Checking…' : 'Re-check'}
    </button>
  );
}
