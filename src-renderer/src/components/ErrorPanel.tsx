// A failure, said fully: what failed (the context), why (code and message) and what
// to do next (lib/error-words.ts: advice per code, refined by the details; never the raw code), with a retry when one makes sense. A `locked` refusal
// names the operation in the way, and a button shows it in the activity panel.
import { Activity, CircleX, RefreshCw } from 'lucide-react';
import { useContext } from 'react';
import type { ErrorShape } from '../../../src-shared/index.js';
import { ServicesContext } from '../app/services.js';
import { errorWords } from '../lib/error-words.js';
import { lockingOperation } from '../lib/operation-format.js';

interface ErrorPanelProps {
  readonly context: string;
  readonly error: ErrorShape;
  readonly onRetry?: () => void;
  readonly retryLabel?: string;
  readonly busy?: boolean;
}

export function ErrorPanel({ context, error, onRetry, retryLabel = 'Try again', busy = false }: ErrorPanelProps) {
  const advice = errorWords(error);
  // Outside the app shell (the console window) there is no activity panel to open.
  const operations = useContext(ServicesContext)?.operations;
  const holder = lockingOperation(error);
  return (
    <div className="error-panel" role="alert" aria-label={`${context}: ${advice.title}`}>
      <CircleX className="error-panel__icon" aria-hidden="true" size={20} />
      <div className="error-panel__body">
        <p className="error-panel__title">
          {context}: {advice.title}
        </p>
        <p className="error-panel__message">
          {advice.sentence}
        </p>
        <p className="error-panel__next">{advice.next}</p>
        {error.details !== undefined && (
          <details className="error-panel__details">
            <summary>Details</summary>
            <pre>{JSON.stringify(error.details, null, 2)}</pre>
          </details>
        )}
        {holder && operations && (
          <button type="button" className="button" onClick={() => operations.getState().openPanel(holder)}>
            <Activity aria-hidden="true" size={14} />
            Show the operation
          </button>
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
