// A failure, said fully: what failed (the context), why (code and message) and what
// to do next (advice per code), with a retry when one makes sense.
import { CircleX, RefreshCw } from 'lucide-react';
import type { ErrorShape } from '../../../src-shared/index.js';
import { adviceFor } from '../lib/error-advice.js';

interface ErrorPanelProps {
  readonly context: string;
  readonly error: ErrorShape;
  readonly onRetry?: () => void;
  readonly retryLabel?: string;
  readonly busy?: boolean;
}

export function ErrorPanel({ context, error, onRetry, retryLabel = 'Try again', busy = false }: ErrorPanelProps) {
  const advice = adviceFor(error.code);
  return (
    <div className="error-panel" role="alert" aria-label={`${context}: ${advice.title}`}>
      <CircleX className="error-panel__icon" aria-hidden="true" size={20} />
      <div className="error-panel__body">
        <p className="error-panel__title">
          {context}: {advice.title}
        </p>
        <p className="error-panel__message">
          <code className="error-panel__code">{error.code}</code> {error.message}
        </p>
        <p className="error-panel__next">{advice.next}</p>
        {error.details !== undefined && (
          <details className="error-panel__details">
            <summary>Details</summary>
            <pre>{JSON.stringify(error.details, null, 2)}</pre>
          </details>
        )}
        {onRetry && (
          <button type="button" className="button" onClick={busy ? undefined : onRetry} aria-disabled={busy || undefined}>
            <RefreshCw aria-hidden="true" size={14} />
            {retryLabel}
          </button>
        )}
      </div>
    </div>
  );
}
