// Progress of a host check, in the page header: a thin bar along the header's lower
// edge and a line of text beside Re-check, so nothing below moves. The helper does not
// stream progress, so the bar is an estimate from the previous check's duration and
// the text says what is known: the elapsed time.
import type { HostPhase } from '../../stores/host-store.js';
import { formatDuration } from '../../lib/format-time.js';
import { useNow } from '../../lib/use-now.js';

interface CheckProgressProps {
  readonly phase: Exclude<HostPhase, 'idle'>;
  readonly startedAt: number;
  /** How long the last fresh check took, for the estimate; null when unknown. */
  readonly expectedMs: number | null;
  /** The request is queued until the connection to Nova is back. */
  readonly waiting: boolean;
}

export function CheckProgress({ phase, startedAt, expectedMs, waiting }: CheckProgressProps) {
  const now = useNow(250);
  const elapsed = Math.max(0, now - startedAt);
  // Never reach the end on an estimate: a bar stuck at 100 % reads as a hang.
  const fraction = expectedMs && !waiting ? Math.min(0.95, elapsed / expectedMs) : null;
  const label = waiting
    ? 'Waiting for the connection to Nova'
    : phase === 'rechecking'
      ? 'Re-running every host check'
      : 'Reading the host report';
  const seconds = Math.floor(elapsed / 1000);
  return (
    <div className="check-progress">
      <p className="check-progress__text" aria-hidden="true">
        {label}… {seconds} s
        {expectedMs && !waiting ? <span className="muted"> of about {formatDuration(expectedMs)}</span> : null}
      </p>
      <div
        className={`progress-bar${fraction === null ? ' progress-bar--indeterminate' : ''}`}
        role="progressbar"
        aria-label="Host check progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
        aria-valuetext={`${label}, ${seconds} seconds elapsed`}
      >
        <div className="progress-bar__fill" style={fraction === null ? undefined : { width: `${fraction * 100}%` }} />
      </div>
    </div>
  );
}
