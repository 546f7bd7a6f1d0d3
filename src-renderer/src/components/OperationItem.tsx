// One operation, as the activity panel and a resource's page show it: its state as a
// word and a colour, what it does to which resource, a progress bar with the phase and
// the numbers, a Cancel button while it runs, and the failure in words when it failed.
import { Ban, CircleCheck, CircleX, LoaderCircle } from 'lucide-react';
import { useStore } from 'zustand';
import { describeResource, type Operation } from '../../../src-shared/operation.js';
import { useServices } from '../app/services.js';
import { errorWords } from '../lib/error-words.js';
import { formatAgo, formatDuration } from '../lib/format-time.js';
import { cancelNote, kindLabel, operationStatus, ownerText, progressFraction, progressNumbers, resourceHref, type OperationTone } from '../lib/operation-format.js';
import { useNow } from '../lib/use-now.js';

/** The status badge's colours for a verdict; running has its own (the accent). */
const BADGE_TONES: Record<OperationTone, string> = {
  running: 'op-state--running',
  cancelling: 'status-badge--warn',
  ok: 'status-badge--ok',
  fail: 'status-badge--fail',
  cancelled: 'status-badge--warn',
};

const STATE_ICONS: Record<OperationTone, typeof CircleCheck> = {
  running: LoaderCircle,
  cancelling: LoaderCircle,
  ok: CircleCheck,
  fail: CircleX,
  cancelled: Ban,
};

interface OperationItemProps {
  readonly op: Operation;
  readonly highlighted?: boolean;
  /** On a resource's own page the resource goes without saying. */
  readonly showResource?: boolean;
  readonly onDismiss?: () => void;
}

export function OperationItem({ op, highlighted = false, showResource = true, onDismiss }: OperationItemProps) {
  const { operations } = useServices();
  const asking = useStore(operations, (s) => Boolean(s.cancelling[op.id]));
  const refusal = useStore(operations, (s) => s.cancelErrors[op.id]);
  const running = op.state === 'running';
  const now = useNow(1000, running);
  const status = operationStatus(op);
  const Icon = STATE_ICONS[status.tone];
  const resource = describeResource(op.resource);
  const href = resourceHref(op.resource);
  const note = cancelNote(op);
  const title = op.title.charAt(0).toUpperCase() + op.title.slice(1);
  const ended = op.finishedAt ? formatDuration(Date.parse(op.finishedAt) - Date.parse(op.startedAt)) : null;

  return (
    <article
      className={`op-item op-item--${status.tone}${highlighted ? ' op-item--highlight' : ''}`}
      data-operation={op.id}
      data-method="operation.get"
      data-state={op.state}
      aria-label={`${title} of ${resource}: ${status.text}`}
      tabIndex={highlighted ? -1 : undefined}
    >
      <div className="op-item__head">
        <span className={`status-badge op-state ${BADGE_TONES[status.tone]}`}>
          <Icon aria-hidden="true" size={13} strokeWidth={2.25} className={running ? 'spin' : undefined} />
          {status.text}
        </span>
        <span className="op-item__title">{title}</span>
        {running && (
          <button
            type="button"
            className="op-item__button"
            data-method="operation.cancel"
            onClick={op.cancelRequested || asking ? undefined : () => void operations.getState().cancel(op.id)}
            aria-disabled={op.cancelRequested || asking || undefined}
            aria-label={op.cancelRequested ? `Cancelling ${op.title}` : `Cancel ${op.title}`}
          >
            {op.cancelRequested || asking ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
        {!running && onDismiss && (
          <button type="button" className="op-item__button" onClick={onDismiss} aria-label={`Dismiss ${op.title}`}>
            Dismiss
          </button>
        )}
      </div>
      <p className="op-item__meta">
        {kindLabel(op.kind)}
        {showResource && (
          <>
            {' of '}
            {href ? <a href={href}>{resource}</a> : resource}
          </>
        )}
        {' · '}
        {running ? `started ${formatAgo(Date.parse(op.startedAt), now)}` : `took ${ended ?? '?'}`} by {ownerText(op.owner)}
      </p>
      {running && <OperationBar op={op} />}
      {note && <p className="op-item__note">{note}</p>}
      {refusal && (
        <p className="op-item__refusal" role="alert">
          Could not cancel: {errorWords(refusal).sentence}
        </p>
      )}
      {op.state === 'failed' && op.error && (
        <div className="op-item__error">
          <p className="op-item__error-title">{errorWords(op.error).title}</p>
          <p>{errorWords(op.error).sentence}</p>
          <p className="op-item__advice">{errorWords(op.error).next}</p>
        </div>
      )}
      {op.state === 'cancelled' && op.error && <p className="op-item__note">{op.error.message}</p>}
    </article>
  );
}

export function OperationBar({ op }: { op: Operation }) {
  const fraction = progressFraction(op);
  const numbers = progressNumbers(op);
  const words = numbers ? `${op.progress.phase}, ${numbers}` : op.progress.phase;
  return (
    <>
      <div
        className={`op-bar${fraction === null ? ' op-bar--indeterminate' : ''}`}
        role="progressbar"
        aria-label={`Progress of ${op.title}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={fraction === null ? undefined : Math.floor(fraction * 100)}
        aria-valuetext={words}
      >
        <div className="op-bar__fill" style={fraction === null ? undefined : { width: `${fraction * 100}%` }} />
      </div>
      <p className="op-item__phase">
        <span>{op.progress.phase}</span>
        {numbers && <span className="op-item__numbers">{numbers}</span>}
      </p>
    </>
  );
}
